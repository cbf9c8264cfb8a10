"""Warnings about an agent's model that would fail at run time: no such provider, or no key.

Only warnings: the files are valid, and the environment that serves the runs may not be
the one `aia validate` runs in. Checking whether a variable is set is all it reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from aiagentics.model_routing import PUBLIC_BASE_URLS, ModelRouteError, route_model
from aiagentics.spec.diagnostics import Diagnostic
from aiagentics.spec.validate import Resource, did_you_mean

_AT = ("spec", "model")


def check_model_route(
    resource: Resource,
    aliases: Mapping[str, str],
    providers: Mapping[str, Any],
    environ: Mapping[str, str],
) -> list[Diagnostic]:
    """Warnings for an Agent whose `model` has an unknown provider or a required key unset."""
    spec: Any = resource.model.spec if resource.model is not None else None  # type: ignore[attr-defined]
    if spec is None:
        return []
    model = str(spec.model)
    if model not in aliases and "/" not in model:
        return []  # `scripted`, or an unknown name: an error of its own
    try:
        route = route_model(model, aliases, providers)
    except ModelRouteError as exc:
        if exc.what == "provider" and exc.provider is not None:
            known = sorted({*providers, *PUBLIC_BASE_URLS})
            hint = did_you_mean(exc.provider, known) or (
                f"add [providers.{exc.provider}] with a base_url to aiagentics.toml "
                f"(known providers: {', '.join(known)})"
            )
            message = (
                f"{_named(model, aliases)} names provider {exc.provider!r}, which is not "
                "configured: its runs would fail"
            )
            return [_warning(resource, "unknown-provider", message, hint)]
        hint = "an alias in [models] names `provider/model` or `scripted`"
        return [_warning(resource, "unknown-model", f"{_named(model, aliases)}: {exc}", hint)]
    if route.missing_key(environ) is None:
        return []
    detail = " (the api_key_env of its provider)" if route.key_configured else ""
    message = (
        f"{_named(model, aliases)} needs the API key in {route.key_env}{detail}, which is not "
        "set here: its runs would fail"
    )
    return [_warning(resource, "missing-provider-key", message, route.key_hint())]


def _named(model: str, aliases: Mapping[str, str]) -> str:
    return f"model {model!r} (= {aliases[model]!r})" if model in aliases else f"model {model!r}"


def _warning(resource: Resource, code: str, message: str, hint: str) -> Diagnostic:
    diagnostic = resource.document.diagnostic(_AT, code, message, hint, at="value")
    return replace(diagnostic, severity="warning")
