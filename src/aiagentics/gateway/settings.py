"""Gateway settings: one frozen value built from `aiagentics.toml` [gateway] and CLI flags.

Nothing reads the environment or the disk at import time; `GatewaySettings.from_project`
and `GatewaySettings.from_env_json` are the only constructors that look outside.
Other components may ADD fields here (with a default) by a targeted edit.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiagentics.project import Project

DEFAULT_DATABASE = ".aiagentics/gateway.db"
SETTINGS_ENV = "AIAGENTICS_GATEWAY_SETTINGS"


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    """Everything the gateway needs to run; tests build their own."""

    host: str = "127.0.0.1"
    port: int = 8787
    # Absolute (or cwd-relative) path of the SQLite file; its directory also holds
    # `files/` (uploaded content) and `secret.key` (sealing key) unless set below.
    database: str = DEFAULT_DATABASE
    workers: int = 1
    bootstrap_api_key: str | None = None
    default_project: str = "default"
    default_environment: str = "test"
    # Token bucket per key: `rate_limit_per_second` refill, `rate_limit_burst` capacity.
    rate_limit_per_second: float = 100.0
    rate_limit_burst: int = 200
    max_body_bytes: int = 1_000_000
    max_file_bytes: int = 20_000_000
    allow_private_network: bool = False
    max_concurrent_runs: int = 20
    # Run engine: SSE keep-alive comment interval on idle streams, the largest body an
    # `http` tool handler may answer, and the longest silence of a model stream.
    sse_keepalive_seconds: float = 15.0
    tool_max_response_bytes: int = 1_000_000
    model_read_timeout_seconds: float = 60.0
    model_aliases: dict[str, str] = field(default_factory=dict)
    # The model of an agent created through the API without one; None: `model` is required.
    default_model: str | None = None
    # provider name -> {"base_url": ..., "api_key_env": ...}
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)
    webhook_max_attempts: int = 8
    webhook_base_delay_seconds: float = 1.0
    # E: per-attempt deadline of a webhook delivery; optional OpenAI-compatible /embeddings
    # endpoint for hybrid retrieval (BM25 alone when unset).
    webhook_timeout_seconds: float = 10.0
    embeddings_base_url: str | None = None
    embeddings_model: str = "text-embedding-3-small"
    embeddings_api_key_env: str | None = None
    # Fernet key (urlsafe base64, 32 bytes) sealing stored webhook secrets; when None a
    # key file `secret.key` (mode 0600) beside the database is created and used.
    secret_key: str | None = None
    idempotency_ttl_seconds: int = 86_400
    # Encoded reads kept until the next database write (0 turns the read cache off).
    read_cache_entries: int = 10_000
    graceful_shutdown_seconds: float = 10.0

    @property
    def database_path(self) -> Path:
        """The SQLite file as a Path."""
        return Path(self.database)

    @property
    def data_dir(self) -> Path:
        """The directory beside the database that holds files and the sealing key."""
        return self.database_path.parent

    @property
    def files_dir(self) -> Path:
        """Where uploaded file content lives, one file per id."""
        return self.data_dir / "files"

    def replace(self, **changes: Any) -> GatewaySettings:
        """A copy with some fields changed (None values are ignored, so CLI flags can pass through)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_project(
        cls,
        project: Project | None,
        root: Path | None = None,
        environ: dict[str, str] | None = None,
    ) -> GatewaySettings:
        """Settings from a project's [gateway], [models] and [providers]; defaults without one.

        The database path is resolved against the project root (or `root`, else the cwd).
        """
        env = os.environ if environ is None else environ
        base = (project.root if project is not None else (root or Path.cwd())).resolve()
        if project is None:
            return cls(
                database=str(base / DEFAULT_DATABASE),
                bootstrap_api_key=env.get("AIAGENTICS_API_KEY") or None,
            )
        gw = project.config.gateway
        return cls(
            host=gw.host,
            port=gw.port,
            database=str(base / _sqlite_path(gw.database)),
            allow_private_network=gw.allow_private_network,
            rate_limit_per_second=gw.rate_limit_per_second,
            rate_limit_burst=gw.rate_limit_burst,
            max_body_bytes=gw.max_body_bytes,
            max_file_bytes=gw.max_file_bytes,
            read_cache_entries=gw.read_cache_entries,
            max_concurrent_runs=gw.max_concurrent_runs,
            webhook_max_attempts=gw.webhook_max_attempts,
            webhook_base_delay_seconds=gw.webhook_base_delay_seconds,
            webhook_timeout_seconds=gw.webhook_timeout_seconds,
            embeddings_base_url=gw.embeddings_base_url,
            embeddings_model=gw.embeddings_model,
            embeddings_api_key_env=gw.embeddings_api_key_env,
            bootstrap_api_key=env.get(project.config.api.api_key_env) or None,
            model_aliases=dict(project.config.models),
            default_model=gw.default_model,
            providers={
                name: p.model_dump(exclude_none=True)
                for name, p in project.config.providers.items()
            },
        )

    def to_env_json(self) -> str:
        """Serialised for worker processes (see `from_env_json`)."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_env_json(cls, text: str) -> GatewaySettings:
        """The inverse of `to_env_json`; unknown keys are ignored."""
        raw = json.loads(text)
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in names})


def _sqlite_path(url: str) -> str:
    """`sqlite:///rel/path.db` or a bare path -> the path part."""
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///") :]
    if "://" in url:
        raise ValueError(f"unsupported database URL {url!r}: only sqlite:/// is built in")
    return url
