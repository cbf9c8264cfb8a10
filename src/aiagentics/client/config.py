"""Where the client's base URL and key come from: flags, `--env` section, environment, config."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from aiagentics.project import ApiSection, Project

DEFAULT_BASE_URL = "http://127.0.0.1:8787/v1"
KEY_ENV = "AIAGENTICS_API_KEY"
URL_ENV = "AIAGENTICS_BASE_URL"


@dataclass(frozen=True, slots=True)
class Connection:
    """The resolved API endpoint and key (the key may be None: calls then fail with 401)."""

    base_url: str
    api_key: str | None
    api_key_source: str


def resolve_connection(
    project: Project | None,
    env: str | None = None,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Connection:
    """Resolve the connection; `base_url`/`api_key` are the command-line flags (not env vars).

    Base URL: the flag, then `[env.NAME.api] base_url` when `--env NAME` has
    one, then AIAGENTICS_BASE_URL, then `[api] base_url`. Key: the flag, then
    the variable named by `[env.NAME.api] api_key_env`, then
    AIAGENTICS_API_KEY, then the variable named by `[api] api_key_env`.
    """
    environ = os.environ if environ is None else environ
    config = project.config if project is not None else None
    env_api = None
    if config is not None and env is not None and env in config.env:
        env_api = config.env[env].api
    base_api = config.api if config is not None else ApiSection()

    url = (
        base_url
        or (env_api.base_url if env_api is not None else None)
        or environ.get(URL_ENV)
        or base_api.base_url
        or DEFAULT_BASE_URL
    )
    if api_key:
        return Connection(url, api_key, "--api-key")
    candidates = []
    if env_api is not None:
        candidates.append(env_api.api_key_env)
    candidates += [KEY_ENV, base_api.api_key_env]
    for name in candidates:
        if environ.get(name):
            return Connection(url, environ[name], name)
    return Connection(url, None, candidates[0])
