"""The typed dependencies resolve one at a time: Litestar resolves dependencies of the
same depth in an anyio task group, which costs more per request than the lookups do."""

from __future__ import annotations

from pathlib import Path

from aiagentics.gateway.app import create_app
from aiagentics.gateway.settings import GatewaySettings


def test_no_handler_resolves_two_dependencies_at_the_same_depth(tmp_path: Path) -> None:
    app = create_app(GatewaySettings(database=str(tmp_path / "gw.db")))
    seen: dict[str, list[list[str]]] = {}
    for route in app.routes:
        # Litestar's own per-handler plan (private, hence read defensively).
        for method, (_, kwargs_model) in getattr(route, "route_handler_map", {}).items():
            batches = [sorted(d.key for d in b) for b in kwargs_model.dependency_batches]
            seen[f"{method} {route.path}"] = batches
            assert all(len(b) == 1 for b in batches), (method, route.path, batches)
    # The parts come after `auth`, which comes after `services`.
    assert seen["POST /v1/keys"] == [["services"], ["auth"], ["keys"]]
    assert seen["GET /v1/runs/{run_id:str}"] == [["services"], ["auth"], ["runs"]]
    assert seen["GET /v1/traces/{run_id:str}"] == [["services"], ["auth"], ["runs"]]
    assert seen["POST /v1/agents"] == [["services"], ["auth"], ["definitions"]]
