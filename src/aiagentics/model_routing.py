"""Which provider serves an agent's `model`, and whether it needs an API key.

Pure (no network; the environment is passed in) so that the gateway, which calls the
provider, and the compiler, which warns about it, decide the same way.

`model` is `scripted`, an alias from `[models]`, or `provider/model`. The provider is
`[providers.NAME]` or a built-in one (`openai`, `anthropic`) at its public endpoint.
Its key is read from the environment variable that `api_key_env` names, by default
`NAME_API_KEY`. A key is required when the provider's config names an `api_key_env`,
or when the provider is served at its public endpoint (no `base_url`, or the public
one). A `[providers.NAME]` with a `base_url` and no `api_key_env` is a keyless local
endpoint (vLLM, Ollama, llama.cpp): `NAME_API_KEY` is sent when it is set, and is not
required.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PUBLIC_BASE_URLS: Mapping[str, str] = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
}
SCRIPTED = "scripted"


class ModelRouteError(ValueError):
    """`model` names no provider: `what` is `model` (not `provider/model`) or `provider`."""

    def __init__(self, message: str, what: str, provider: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.what = what
        self.provider = provider


@dataclass(frozen=True, slots=True)
class ModelRoute:
    """Where one model call goes; `provider` is empty for the built-in `scripted` model."""

    model: str  # after alias resolution: `provider/model` or `scripted`
    provider: str = ""
    remote: str = SCRIPTED  # the provider-side model name
    base_url: str = ""
    api: str = SCRIPTED  # `openai` (Chat Completions), `anthropic` (Messages) or `scripted`
    key_env: str | None = None
    key_configured: bool = False  # the config itself names `api_key_env`

    @property
    def key_required(self) -> bool:
        """True when a call without a key is known to fail (see the module docstring)."""
        if not self.provider:
            return False
        public = self.base_url.rstrip("/") in PUBLIC_BASE_URLS.values()
        return self.key_configured or public

    def missing_key(self, environ: Mapping[str, str]) -> str | None:
        """Why this route cannot be called with `environ`, or None when it can."""
        if not self.key_required or not self.key_env or environ.get(self.key_env):
            return None
        if self.key_configured:
            return (
                f"{self.key_env} (the api_key_env of [providers.{self.provider}]) is not set; "
                + self.key_hint()
            )
        return f"{self.key_env} is not set; {self.key_hint()}"

    def key_hint(self) -> str:
        """How to give this route its key, or to declare its endpoint keyless."""
        name = self.provider
        if self.key_configured:
            return f"set it, or remove api_key_env if {display_url(self.base_url)} takes no key"
        return (
            f"set it to your {name} API key, name another variable with [providers.{name}] "
            f"api_key_env, or give [providers.{name}] a base_url for a keyless local endpoint "
            "(vLLM, Ollama)"
        )


def config_field(config: Any, name: str) -> Any:
    """One field of a provider's config, a mapping or a `[providers.NAME]` section model."""
    if config is None:
        return None
    if isinstance(config, Mapping):
        return config.get(name)
    value = getattr(config, name, None)
    if value is None and hasattr(config, "model_extra"):
        value = (config.model_extra or {}).get(name)
    return value


def route_model(model: str, aliases: Mapping[str, str], providers: Mapping[str, Any]) -> ModelRoute:
    """The route of an agent's `model`; raises ModelRouteError when no provider serves it."""
    seen: set[str] = set()
    while model in aliases and model not in seen:
        seen.add(model)
        model = aliases[model]
    if model == SCRIPTED:
        return ModelRoute(model)
    name, sep, remote = model.partition("/")
    if not sep or not name or not remote:
        raise ModelRouteError(
            f"unknown model {model!r}: use `scripted`, an alias from [models], or provider/model",
            "model",
        )
    config = providers.get(name)
    base_url = config_field(config, "base_url") or PUBLIC_BASE_URLS.get(name)
    if not base_url:
        raise ModelRouteError(
            f"unknown model provider {name!r}: add [providers.{name}] with a base_url",
            "provider",
            name,
        )
    configured_env = config_field(config, "api_key_env")
    kind = config_field(config, "api") or config_field(config, "type") or name
    return ModelRoute(
        model=model,
        provider=name,
        remote=remote,
        base_url=str(base_url),
        api="anthropic" if kind == "anthropic" else "openai",
        key_env=str(configured_env or f"{name.upper()}_API_KEY"),
        key_configured=bool(configured_env),
    )


def display_url(url: str) -> str:
    """`url` fit for an error message: without user info, query or fragment (which can hold keys)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
