"""Model providers behind one interface, chosen by an agent's `model`.

`model` is `scripted`, an alias from `[models]` (settings.model_aliases), or
`provider/model`; the provider's `base_url` and `api_key_env` come from
`[providers.NAME]` (settings.providers), resolved by `aiagentics.model_routing`.
A provider named `anthropic` (or one configured with `api = "anthropic"`) speaks
the Messages API; every other one speaks OpenAI-compatible Chat Completions.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aiagentics.engine.providers._http import RetryPolicy
from aiagentics.engine.providers.anthropic import AnthropicProvider
from aiagentics.engine.providers.base import (
    FinishEvent,
    ModelRequest,
    Provider,
    ProviderError,
    StreamEvent,
    TextDelta,
    ToolCallEvent,
    ToolDefinition,
    UsageEvent,
)
from aiagentics.engine.providers.openai import OpenAIProvider
from aiagentics.engine.providers.scripted import ScriptedProvider
from aiagentics.model_routing import (
    SCRIPTED,
    ModelRoute,
    ModelRouteError,
    display_url,
    route_model,
)

__all__ = [
    "AnthropicProvider",
    "FinishEvent",
    "ModelRequest",
    "OpenAIProvider",
    "Provider",
    "ProviderError",
    "ProviderRegistry",
    "RetryPolicy",
    "ScriptedProvider",
    "StreamEvent",
    "TextDelta",
    "ToolCallEvent",
    "ToolDefinition",
    "UsageEvent",
]


class ProviderRegistry:
    """Builds and caches one provider (one connection pool) per configured provider.

    Which provider serves a model, and when it needs a key, is `aiagentics.model_routing`'s
    rule; a required key that is not set fails the call before any request is made.
    """

    def __init__(
        self,
        model_aliases: Mapping[str, str] | None = None,
        providers: Mapping[str, Any] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        read_timeout: float = 60.0,
    ) -> None:
        self.aliases = dict(model_aliases or {})
        self.configs = dict(providers or {})
        self.environ = environ if environ is not None else os.environ
        self.retry = retry or RetryPolicy()
        self.read_timeout = read_timeout
        self._scripted = ScriptedProvider()
        self._built: dict[str, Provider] = {}

    def resolve(self, model: str) -> tuple[Provider, str]:
        """The provider and the provider-side model name for an agent's `model`."""
        try:
            route = route_model(model, self.aliases, self.configs)
        except ModelRouteError as exc:
            raise ProviderError(exc.message, code="model_not_found") from None
        if route.api == SCRIPTED:
            return self._scripted, route.model
        problem = route.missing_key(self.environ)
        if problem is not None:
            raise ProviderError(
                f"model provider {route.provider!r} at {display_url(route.base_url)}: {problem}",
                code="missing_api_key",
            )
        return self._provider(route), route.remote

    def _provider(self, route: ModelRoute) -> Provider:
        built = self._built.get(route.provider)
        if built is not None:
            return built
        api_key = self.environ.get(route.key_env) if route.key_env else None
        cls = AnthropicProvider if route.api == "anthropic" else OpenAIProvider
        provider = cls(
            route.base_url,
            api_key,
            retry=self.retry,
            read_timeout=self.read_timeout,
            key_env=route.key_env,
            name=route.provider,
        )
        self._built[route.provider] = provider
        return provider

    async def aclose(self) -> None:
        """Close every provider's connections."""
        for provider in self._built.values():
            await provider.aclose()
        self._built.clear()
