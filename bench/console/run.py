"""bench/console: the console's run page of a 200-step run, rendered server-side.

Starts the real gateway on loopback with a local tool handler, runs a scripted agent
whose 50 model turns each call an http tool three times (50 model + 150 tool steps, then
the answer: 201 steps), signs in to the console and times `GET /console/runs/:id` (the
whole request: session check, run and trace reads, rendering) over loopback.
Budget: p50 under 300 ms.

    .venv/bin/python bench/console/run.py [--requests 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx
from tests.fakes.gateway_server import ADMIN_KEY, GatewayServer
from tests.fakes.tool_handler import ToolHandlerServer

from aiagentics.gateway.settings import GatewaySettings

TURNS = 50
CALLS = 3
BUDGET_MS = 300.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-console-"))
    settings = GatewaySettings(database=str(folder / "bench.db"), allow_private_network=True)
    with ToolHandlerServer() as handler, GatewayServer(settings) as gateway:
        api = gateway.client()
        tool = api.post(
            "/v1/tools",
            json={
                "name": "rows",
                "type": "http",
                "handler_url": handler.url("/rows"),
                "parameters": {"type": "object", "properties": {"n": {"type": "integer"}}},
            },
        ).json()
        script = [
            {
                "tool_calls": [
                    {"name": "rows", "arguments": {"n": t * CALLS + c}} for c in range(CALLS)
                ]
            }
            for t in range(TURNS)
        ] + [{"content": "done after " + str(TURNS * CALLS) + " tool calls"}]
        agent = api.post(
            "/v1/agents",
            json={
                "name": "long",
                "model": "scripted",
                "tools": [tool["id"]],
                "guardrails": {"max_steps": 100},
                "model_options": {"script": script},
            },
        ).json()
        run = api.post("/v1/runs", json={"agent_id": agent["id"], "input": "go"}).json()
        while (run := api.get(f"/v1/runs/{run['id']}").json())["status"] == "in_progress":
            time.sleep(0.05)
        assert run["status"] == "completed", run
        steps = len(api.get(f"/v1/traces/{run['id']}").json()["steps"])
        browser = httpx.Client(base_url=gateway.url, timeout=30)
        r = browser.post("/console/login", data={"key": ADMIN_KEY}, headers={"Origin": gateway.url})
        assert r.status_code == 303, r.text
        browser.get(f"/console/runs/{run['id']}")  # templates compiled once
        times = []
        size = 0
        for _ in range(args.requests):
            t0 = time.perf_counter()
            page = browser.get(f"/console/runs/{run['id']}")
            times.append((time.perf_counter() - t0) * 1000)
            assert page.status_code == 200 and page.text.count('<rect class="bar') == steps
            size = len(page.content)
        times.sort()
        p50 = statistics.median(times)
        p95 = times[int(len(times) * 0.95) - 1]
        print(f"run page of a {steps}-step run: {size / 1024:.0f} KiB")
        print(f"GET /console/runs/:id over loopback, {args.requests} requests:")
        print(
            f"  p50 {p50:.1f} ms  p95 {p95:.1f} ms  max {times[-1]:.1f} ms  (budget {BUDGET_MS:.0f} ms)"
        )
        browser.close()
        api.close()
        if p50 > BUDGET_MS:
            raise SystemExit(f"over budget: p50 {p50:.1f} ms > {BUDGET_MS:.0f} ms")


if __name__ == "__main__":
    main()
