"""What the global options give every verb."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(slots=True)
class CliContext:
    """The global options of one `aia` call, typed before or after the verb."""

    project_dir: str = "."
    base_url: str | None = None
    api_key: str | None = None
    env: str | None = None
    # The connection options typed on the command line (not read from the environment):
    # only those beat the `--env` section (see `aiagentics.client.resolve_connection`).
    typed: set[str] = field(default_factory=set)

    @property
    def directory(self) -> Path:
        return Path(self.project_dir)
