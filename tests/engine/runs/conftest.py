"""An in-process run engine on a real SQLite file: RunService on SQLiteStorage, no HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from aiagentics.engine.runs.events import RunEvent
from aiagentics.engine.runs.service import RunService
from aiagentics.gateway.settings import GatewaySettings
from aiagentics.storage.base import Scope
from aiagentics.storage.sqlite.db import Database
from aiagentics.storage.sqlite.migrations import apply_migrations
from aiagentics.storage.sqlite.storage import SQLiteStorage

SCOPE = Scope("default", "test")


class Engine:
    """A RunService with helpers to define agents and tools and to read event logs."""

    def __init__(self, path: Path, *, sole_writer: bool = False, **settings: Any) -> None:
        self.path = path
        self.settings = GatewaySettings(database=str(path), allow_private_network=True, **settings)
        self.db = Database(path, sole_writer=sole_writer)
        apply_migrations(self.db)
        self.storage = SQLiteStorage(self.db)
        self.store = self.storage.definitions
        self.service = RunService(self.settings, self.storage)

    async def tool(self, name: str, type: str = "client", **spec: Any) -> str:
        data = {
            "type": type,
            "description": f"the {name} tool",
            "parameters": spec.pop("parameters", {"type": "object", "properties": {}}),
            "method": "POST",
            "headers": {},
            "timeout_seconds": 30,
            "metadata": {},
            **spec,
        }
        return (await self.store.create("tool", SCOPE, name, data)).id

    async def agent(self, name: str = "helper", *, tools: list[str] = (), **spec: Any) -> str:  # type: ignore[assignment]
        data = {
            "model": spec.pop("model", "scripted"),
            "instructions": spec.pop("instructions", "Be brief."),
            "tools": list(tools),
            "guardrails": {"max_steps": 10, "max_output_tokens": None, "timeout_seconds": 300},
            "model_options": {},
            "metadata": {},
            "description": "",
        }
        if "script" in spec:
            data["model_options"] = {"script": spec.pop("script")}
        data["guardrails"].update(spec.pop("guardrails", {}))
        data.update(spec)
        return (await self.store.create("agent", SCOPE, name, data)).id

    async def run(self, agent_id: str, input: Any = "hello") -> Any:
        """Create a run and wait until its segment ends."""
        run = await self.service.create(SCOPE, agent_id=agent_id, input=input)
        await self.service.wait(run.id)
        return await self.service.get(SCOPE, run.id)

    async def events(self, run_id: str) -> list[RunEvent]:
        return await self.service.runs.events_after(run_id, 0)

    async def names(self, run_id: str) -> list[str]:
        return [e.event for e in await self.events(run_id) if e.event != "model.step"]


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Engine]:
    eng = Engine(tmp_path / "gateway.db")
    await eng.service.start()
    yield eng
    await eng.service.stop()
    await eng.db.close()
