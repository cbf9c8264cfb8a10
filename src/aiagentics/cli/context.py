"""What the global options give every verb."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(slots=True)
class CliContext:
    project_dir: str = "."
    base_url: str | None = None
    api_key: str | None = None
    env: str | None = None

    @property
    def directory(self) -> Path:
        return Path(self.project_dir)
