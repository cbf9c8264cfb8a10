"""`aiagentics.toml`: finding and reading the project configuration, and the gateway's settings.

The `[gateway]` section is declared once, by `GatewaySection`; `GatewaySettings`, what a
running gateway reads, is that section plus what only a process knows (workers, the
bootstrap key, the providers) and derives its fields, defaults and limits from it.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aiagentics.kinds import FOLDERS

CONFIG_FILE = "aiagentics.toml"
DEFAULT_PATHS = FOLDERS


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectSection(_Section):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    paths: list[str] = Field(default_factory=lambda: list(DEFAULT_PATHS))
    templates: str = "templates"


class ApiSection(_Section):
    base_url: str = "http://127.0.0.1:8787/v1"
    api_key_env: str = "AIAGENTICS_API_KEY"


class ProviderSection(BaseModel):
    model_config = ConfigDict(extra="allow")

    base_url: str | None = None
    api_key_env: str | None = None


class GatewaySection(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8787, ge=0, le=65535)
    database: str = "sqlite:///.aiagentics/gateway.db"
    allow_private_network: bool = False
    # Let `mcp` tools with transport stdio start a local command (code execution on the
    # gateway's host). Unset: allowed under `aia dev`, refused under `aia serve`.
    allow_stdio_tools: bool | None = None
    rate_limit_per_second: float = Field(100.0, gt=0)
    rate_limit_burst: int = Field(200, ge=1)
    max_body_bytes: int = Field(1_000_000, ge=1024)
    max_file_bytes: int = Field(20_000_000, ge=1)
    read_cache_entries: int = Field(10_000, ge=0)
    # Other processes (scripts, another tool) write into this SQLite file while the gateway
    # runs: each request then asks the file whether it changed. Off, a gateway of one worker
    # is the file's only writer (its change token is a counter) and refuses to share it.
    shared_database: bool = False
    max_concurrent_runs: int = Field(20, ge=1)
    webhook_max_attempts: int = Field(8, ge=1, le=50)
    webhook_base_delay_seconds: float = Field(1.0, gt=0, le=3600)
    webhook_timeout_seconds: float = Field(10.0, gt=0, le=120)
    embeddings_base_url: str | None = None  # OpenAI-compatible; enables hybrid retrieval
    embeddings_model: str = "text-embedding-3-small"
    embeddings_api_key_env: str | None = None
    # The model of an agent created through the API without `model` (alias, provider/model
    # or scripted); unset, such a create is a 400.
    default_model: str | None = Field(None, min_length=1)


class TelemetrySection(_Section):
    """`[telemetry]`: OTLP trace export and the `/metrics` endpoint (see aiagentics.telemetry).

    Traces are exported when an endpoint is set here or in the standard `OTEL_EXPORTER_OTLP_*`
    variables (which win over this table); export headers (an API key) belong in
    `OTEL_EXPORTER_OTLP_HEADERS`, never in this file.
    """

    # None: on when an endpoint is configured; false turns export off whatever the env says.
    enabled: bool | None = None
    endpoint: str | None = Field(None, pattern=r"^https?://")  # OTLP/HTTP base (.../v1/traces added)
    traces_endpoint: str | None = Field(None, pattern=r"^https?://")  # the full traces URL
    service_name: str | None = Field(None, min_length=1)
    # Message contents, tool arguments and results on spans (scrubbed of known secrets).
    capture_content: bool = False
    metrics: bool = True  # serve GET /metrics
    metrics_require_key: bool = False  # /metrics needs a valid API key with the `read` scope


DEFAULT_DATABASE = ".aiagentics/gateway.db"
SETTINGS_ENV = "AIAGENTICS_GATEWAY_SETTINGS"
# Selects the database, winning over [gateway] database: a postgresql:// URL, a
# sqlite:/// URL or a plain path (relative ones against the project root).
DATABASE_ENV = "AIAGENTICS_DATABASE_URL"
# The sealing key (as `secret_key`), so that instances on several hosts share one without
# copying `secret.key`; unset, the key file of the state folder is used (created if need be).
SECRET_KEY_ENV = "AIAGENTICS_SECRET_KEY"
# The state folder (files/, secret.key) when the database is not a file: under the project.
STATE_DIR = ".aiagentics"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class GatewaySettings(GatewaySection):
    """Everything the gateway needs to run: `[gateway]` and the process's own; tests build their own.

    Nothing reads the environment or the disk at import time; `from_project` and
    `from_env_json` are the only constructors that look outside.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Absolute (or cwd-relative) path of the SQLite file (the section's URL, resolved), or a
    # postgresql:// URL. The SQLite file's directory also holds `files/` (uploaded content)
    # and `secret.key` (sealing key); on PostgreSQL those live in `state_dir` (the project's
    # `.aiagentics/`): every instance on one database needs the same key (`secret_key`).
    database: str = DEFAULT_DATABASE
    state_dir: str | None = None
    workers: int = 1
    bootstrap_api_key: str | None = None
    default_project: str = "default"
    default_environment: str = "test"
    # Run engine: SSE keep-alive comment interval on idle streams, the largest body an
    # `http` tool handler may answer, and the longest silence of a model stream.
    sse_keepalive_seconds: float = 15.0
    tool_max_response_bytes: int = 1_000_000
    model_read_timeout_seconds: float = 60.0
    model_aliases: dict[str, str] = Field(default_factory=dict)
    # provider name -> {"base_url": ..., "api_key_env": ...}
    providers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Fernet key (urlsafe base64, 32 bytes) sealing stored secrets; when None a key file
    # `secret.key` (mode 0600) beside the database is created and used.
    secret_key: str | None = None
    idempotency_ttl_seconds: int = 86_400
    graceful_shutdown_seconds: float = 10.0
    telemetry: TelemetrySection = Field(default_factory=TelemetrySection)

    @property
    def is_postgres(self) -> bool:
        """Whether the database is a PostgreSQL server (else a SQLite file)."""
        return is_postgres_url(self.database)

    @property
    def database_path(self) -> Path:
        """The SQLite file as a Path (meaningless on PostgreSQL)."""
        return Path(self.database)

    @property
    def database_label(self) -> str:
        """The database as messages name it: the file, or host:port/db (never a password)."""
        if not self.is_postgres:
            return self.database
        from urllib.parse import urlsplit

        parts = urlsplit(self.database)
        return f"postgresql://{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"

    @property
    def data_dir(self) -> Path:
        """The directory that holds files and the sealing key: beside the SQLite file, or
        `state_dir` (`.aiagentics/` under the project root by default) on PostgreSQL."""
        if not self.is_postgres:
            return self.database_path.parent
        return Path(self.state_dir) if self.state_dir is not None else Path(STATE_DIR).resolve()

    @property
    def files_dir(self) -> Path:
        """Where uploaded file content lives, one file per id."""
        return self.data_dir / "files"

    def replace(self, **changes: Any) -> GatewaySettings:
        """A copy with some fields changed (None values are ignored, so CLI flags can pass through)."""
        return self.model_copy(update={k: v for k, v in changes.items() if v is not None})

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
        configured = project.config.gateway.database if project is not None else DEFAULT_DATABASE
        database = resolve_database(env.get(DATABASE_ENV) or configured, base)
        state_dir = str(base / STATE_DIR)  # used only when the database is not a file
        secret_key = env.get(SECRET_KEY_ENV) or None
        if project is None:
            return cls(
                database=database,
                state_dir=state_dir,
                secret_key=secret_key,
                bootstrap_api_key=env.get("AIAGENTICS_API_KEY") or None,
            )
        gw = project.config.gateway
        section = {name: getattr(gw, name) for name in GatewaySection.model_fields}
        return cls(
            **{**section, "database": database, "state_dir": state_dir},
            secret_key=secret_key,
            bootstrap_api_key=env.get(project.config.api.api_key_env) or None,
            telemetry=project.config.telemetry,
            model_aliases=dict(project.config.models),
            providers={
                name: p.model_dump(exclude_none=True)
                for name, p in project.config.providers.items()
            },
        )

    def to_env_json(self) -> str:
        """Serialised for worker processes (see `from_env_json`)."""
        return self.model_dump_json()

    @classmethod
    def from_env_json(cls, text: str) -> GatewaySettings:
        """The inverse of `to_env_json`; unknown keys are ignored."""
        raw = json.loads(text)
        return cls(**{k: v for k, v in raw.items() if k in cls.model_fields})


def is_postgres_url(url: str) -> bool:
    """Whether `url` names a PostgreSQL server."""
    return url.startswith(POSTGRES_SCHEMES)


def resolve_database(url: str, base: Path) -> str:
    """A database setting as the gateway uses it: a postgresql:// URL as is, else the SQLite
    file's path (`sqlite:///rel/path.db` or a bare path, relative ones against `base`)."""
    if is_postgres_url(url):
        return url
    return str(base / _sqlite_path(url))


def _sqlite_path(url: str) -> str:
    """`sqlite:///rel/path.db` or a bare path -> the path part."""
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///") :]
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise ValueError(
            f"unsupported database URL scheme {scheme}://: use sqlite:///path or"
            " postgresql://user@host:5432/db"
        )
    return url


class EnvSection(_Section):
    vars: dict[str, Any] = Field(default_factory=dict)
    api: ApiSection | None = None


class ProjectConfig(_Section):
    """The parsed `aiagentics.toml`. Only `[project]` is required."""

    project: ProjectSection
    api: ApiSection = Field(default_factory=ApiSection)
    vars: dict[str, Any] = Field(default_factory=dict)
    env: dict[str, EnvSection] = Field(default_factory=dict)
    models: dict[str, str] = Field(default_factory=dict)
    providers: dict[str, ProviderSection] = Field(default_factory=dict)
    gateway: GatewaySection = Field(default_factory=GatewaySection)
    telemetry: TelemetrySection = Field(default_factory=TelemetrySection)

    def vars_for(self, env: str | None) -> dict[str, Any]:
        """`[vars]` with `[env.NAME.vars]` laid over them."""
        merged = dict(self.vars)
        if env is not None and env in self.env:
            merged.update(self.env[env].vars)
        return merged

    def api_for(self, env: str | None) -> ApiSection:
        if env is not None and env in self.env and self.env[env].api is not None:
            return self.env[env].api  # type: ignore[return-value]
        return self.api


@dataclass(frozen=True, slots=True)
class ConfigError(Exception):
    """`aiagentics.toml` is missing or invalid; `line`/`column` are 1-based when known."""

    file: str
    message: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: error: {self.message}"


@dataclass(frozen=True, slots=True)
class Project:
    """A project on disk: its root directory and its configuration."""

    root: Path
    config: ProjectConfig

    @property
    def name(self) -> str:
        return self.config.project.name

    def spec_dirs(self) -> list[Path]:
        return [self.root / p for p in self.config.project.paths]

    @property
    def templates_dir(self) -> Path:
        return self.root / self.config.project.templates


def find_root(start: Path) -> Path | None:
    """The nearest directory at or above `start` holding `aiagentics.toml`."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / CONFIG_FILE).is_file():
            return candidate
    return None


def load_project(directory: Path) -> Project:
    """Read the project at or above `directory`; raises ConfigError with a location."""
    root = find_root(directory)
    if root is None:
        raise ConfigError(
            str(directory / CONFIG_FILE), f"no {CONFIG_FILE} here or in any parent directory"
        )
    path = root / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise ConfigError(CONFIG_FILE, f"not valid UTF-8: {exc.reason}") from None
    except tomllib.TOMLDecodeError as exc:
        line, column = _toml_position(str(exc))
        raise ConfigError(CONFIG_FILE, f"invalid TOML: {exc}", line, column) from None
    try:
        config = ProjectConfig.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        message = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        line, column = _toml_key_position(text, tuple(str(p) for p in err["loc"]))
        raise ConfigError(CONFIG_FILE, f"{where}: {message}", line, column) from None
    return Project(root=root, config=config)


def _toml_position(message: str) -> tuple[int, int]:
    # tomllib reports "(at line L, column C)" in its message text.
    import re

    match = re.search(r"line (\d+), column (\d+)", message)
    return (int(match.group(1)), int(match.group(2))) if match else (1, 1)


def _toml_key_position(text: str, loc: tuple[str, ...]) -> tuple[int, int]:
    """Best-effort 1-based place of a dotted key in simple TOML (tables and `key = value` lines)."""
    import re

    table: tuple[str, ...] = ()
    best = (1, 1)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        header = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", line)
        if header:
            table = tuple(p.strip().strip('"') for p in header.group(1).split("."))
            if table == loc[: len(table)] and len(table) > 0:
                best = (number, raw.index("[") + 1)
            continue
        key = re.match(r"^([A-Za-z0-9_\-\"\.]+)\s*=", line)
        if key:
            path = table + tuple(p.strip('"') for p in key.group(1).split("."))
            if path == loc[: len(path)]:
                column = raw.index(key.group(1)[0]) + 1
                if path == loc:
                    return number, column
                best = (number, column)
    return best
