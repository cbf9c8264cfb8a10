"""Model providers behind one interface, chosen by an agent's `model`.

`model` is `scripted`, an alias from `[models]` (settings.model_aliases), or
`provider/model`; the provider's `base_url` and `api_key_env` come from
`[providers.NAME]` (settings.providers). A provider named `anthropic` (or one
configured with `api = "anthropic"`) speaks the Messages API; every other one
speaks OpenAI-compatible Chat Completions.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aiagentics.gateway.runtime.providers._http import RetryPolicy
from aiagentics.gateway.runtime.providers.anthropic import AnthropicProvider
from aiagentics.gateway.runtime.providers.base import (
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
from aiagentics.gateway.runtime.providers.openai import OpenAIProvider
from aiagentics.gateway.runtime.providers.scripted import ScriptedProvider

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

_DEFAULT_BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
}


def _field(config: Any, name: str) -> Any:
    if isinstance(config, Mapping):
        return config.get(name)
    value = getattr(config, name, None)
    if value is None and hasattr(config, "model_extra"):
        value = (config.model_extra or {}).get(name)
    return value


class ProviderRegistry:
    """Builds and caches one provider (one connection pool) per configured provider."""

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
        seen: set[str] = set()
        while model in self.aliases and model not in seen:
            seen.add(model)
            model = self.aliases[model]
        if model == "scripted":
            return self._scripted, model
        name, sep, remote = model.partition("/")
        if not sep or not remote:
            raise ProviderError(
                f"unknown model {model!r}: use `scripted`, an alias from [models], or provider/model",
                code="model_not_found",
            )
        return self._provider(name), remote

    def _provider(self, name: str) -> Provider:
        if name in self._built:
            return self._built[name]
        config = self.configs.get(name)
        base_url = _field(config, "base_url") if config is not None else None
        base_url = base_url or _DEFAULT_BASE_URLS.get(name)
        if base_url is None:
            raise ProviderError(
                f"unknown model provider {name!r}: add [providers.{name}] with a base_url",
                code="model_not_found",
            )
        key_env = (_field(config, "api_key_env") if config is not None else None) or (
            f"{name.upper()}_API_KEY"
        )
        api_key = self.environ.get(key_env)
        kind = (_field(config, "api") or _field(config, "type") or name) if config else name
        cls = AnthropicProvider if kind == "anthropic" else OpenAIProvider
        provider = cls(
            base_url, api_key, retry=self.retry, read_timeout=self.read_timeout, key_env=key_env
        )
        self._built[name] = provider
        return provider

    async def aclose(self) -> None:
        """Close every provider's connections."""
        for provider in self._built.values():
            await provider.aclose()
        self._built.clear()
