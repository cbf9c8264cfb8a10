"""The run engine's public surface: everything in `__all__` is importable, and the event names are the contract's."""

from __future__ import annotations

import aiagentics.engine.providers as providers
import aiagentics.engine.runs as runtime


def test_public_names_resolve() -> None:
    for module in (runtime, providers):
        for name in module.__all__:
            assert getattr(module, name) is not None, name


def test_event_names_are_the_contracts() -> None:
    assert set(runtime.PUBLIC_EVENTS) == {
        "run.created",
        "token",
        "tool.requested",
        "tool.completed",
        "run.requires_action",
        "run.completed",
        "run.failed",
        "run.cancelled",
    }
