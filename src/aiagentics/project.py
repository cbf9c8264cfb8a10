"""`aiagentics.toml`: finding and reading the project configuration."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

CONFIG_FILE = "aiagentics.toml"
DEFAULT_PATHS = ("agents", "tools", "memory", "webhooks")


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
    rate_limit_per_second: float = Field(100.0, gt=0)
    rate_limit_burst: int = Field(200, ge=1)
    max_body_bytes: int = Field(1_000_000, ge=1024)
    max_file_bytes: int = Field(20_000_000, ge=1)
    read_cache_entries: int = Field(10_000, ge=0)
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
