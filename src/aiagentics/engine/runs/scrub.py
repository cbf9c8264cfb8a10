"""Known secrets out of error messages: the one `Scrubber` every error path of a run uses.

A model provider or a tool handler may echo what it was sent (an API key, an
`Authorization` header) in its error body. Run errors, failed tool outputs and the
trace steps built from them are stored, streamed, listed and sent in webhooks, so
every known secret is replaced before any of that happens. The gateway knows:

- the API keys of the model providers (the configured `api_key_env` variables, the
  `NAME_API_KEY` defaults, and environment variables named like secrets),
- the embeddings key, the bootstrap admin key and the sealing key,
- values registered with `Scrubber.add` (e.g. `${ENV}` values `aia dev` compiled),
- per run, the header (and `env`) values of the tools pinned in its snapshot and
  the key of the provider its model resolves to.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[REDACTED]"
# Shorter values (a port, "true", a two-letter header) would blank ordinary words.
MIN_SECRET_CHARS = 8
SECRET_ENV_SUFFIXES = ("_API_KEY", "_KEY", "_TOKEN", "_SECRET", "_PASSWORD", "_PASS")
DEFAULT_KEY_ENVS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")


def _variants(secret: str) -> set[str]:
    # A provider may quote what it echoes (a URL query, a JSON string).
    out = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}
    return {v for v in out if len(v) >= MIN_SECRET_CHARS}


class Scrubber:
    """Replaces every known secret (and its URL-quoted forms) with `[REDACTED]`."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._known: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        """Treat these values as secrets from now on (short and empty ones are ignored)."""
        before = len(self._known)
        for secret in secrets:
            if isinstance(secret, str) and len(secret.strip()) >= MIN_SECRET_CHARS:
                self._known |= _variants(secret.strip())
        if len(self._known) != before:
            self._pattern = _compile(self._known)

    def __contains__(self, secret: str) -> bool:
        return secret in self._known

    def scrub(self, value: Any, extra: Iterable[str] = ()) -> Any:
        """`value` with every known secret (and each of `extra`) replaced in every string
        it holds (dicts and lists are copied, other values returned as they are)."""
        more: set[str] = set()
        for secret in extra:
            if isinstance(secret, str) and len(secret.strip()) >= MIN_SECRET_CHARS:
                more |= _variants(secret.strip())
        more -= self._known
        pattern = _compile(self._known | more) if more else self._pattern
        if pattern is None:
            return value
        return _walk(value, pattern, sorted(self._known | more, key=len, reverse=True))


def _cut_tail(text: str, secrets: list[str]) -> str:
    # Messages are often cut to a length ("... answered HTTP 500: <first 500 chars>"): a
    # secret cut there leaves its beginning at the very end of the text.
    for secret in secrets:
        for n in range(len(secret) - 1, MIN_SECRET_CHARS - 1, -1):
            if text.endswith(secret[:n]):
                return text[:-n] + REDACTED
    return text


def _compile(secrets: set[str]) -> re.Pattern[str] | None:
    if not secrets:
        return None
    # Longest first, so a secret that contains another is replaced whole.
    return re.compile("|".join(re.escape(s) for s in sorted(secrets, key=len, reverse=True)))


def _walk(value: Any, pattern: re.Pattern[str], secrets: list[str]) -> Any:
    if isinstance(value, str):
        return _cut_tail(pattern.sub(REDACTED, value), secrets)
    if isinstance(value, dict):
        return {k: _walk(v, pattern, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_walk(v, pattern, secrets) for v in value]
    return value


def environment_secrets(
    environ: Mapping[str, str],
    providers: Mapping[str, Any],
    named: Iterable[str | None] = (),
) -> list[str]:
    """The values of the provider key variables (configured, defaults, `named`) and of every
    variable whose name ends like a secret's (`_API_KEY`, `_TOKEN`, `_SECRET`, ...)."""
    names: set[str] = set(DEFAULT_KEY_ENVS)
    names.update(n for n in named if n)
    for provider, config in providers.items():
        names.add(f"{provider.upper()}_API_KEY")
        env = config.get("api_key_env") if isinstance(config, Mapping) else None
        if env:
            names.add(str(env))
    names.update(n for n in environ if n.upper().endswith(SECRET_ENV_SUFFIXES))
    return [environ[n] for n in sorted(names) if environ.get(n)]


def tool_secrets(tools: Iterable[Any]) -> list[str]:
    """Header values (and `env` values, for tools that start a process) of a run's pinned tools."""
    out: list[str] = []
    for tool in tools:
        if not isinstance(tool, Mapping):
            continue
        for field in ("headers", "env"):
            values = tool.get(field)
            if isinstance(values, Mapping):
                out.extend(v for v in values.values() if isinstance(v, str))
    return out
