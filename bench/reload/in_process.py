"""bench/reload/in_process: one reload (compile, plan, apply) without the file watcher.

`run.py` measures what a user waits for, file watcher and HTTP included, whose timer
steps blur a few milliseconds; this times `DevReloader.reload()` itself (wall clock, and the
CPU time of the whole process, steadier on a busy machine) on the same generated project: one agent edited (one update), and every tool edited at once (50
updates), each `--rounds` times. Run it on two checkouts (PYTHONPATH=<src>) to compare.

    .venv/bin/python bench/reload/in_process.py [--rounds 40] [--tools 50]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import tempfile
import time
from pathlib import Path

AGENT = """apiVersion: aiagentics.io/v1
kind: Agent
metadata: {{name: bench}}
spec:
  model: scripted
  instructions: "Edit number {n} for {{{{ vars.company }}}}."
  tools: [tool0]
"""
TOOL = """apiVersion: aiagentics.io/v1
kind: Tool
metadata: {{name: tool{i}}}
spec: {{type: client, description: "tool {i}, edit {n}"}}
"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main() -> None:
    from aiagentics.gateway.reload import DevReloader
    from aiagentics.gateway.services import build_services
    from aiagentics.gateway.settings import GatewaySettings

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--tools", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        (root / "agents").mkdir(parents=True)
        (root / "tools").mkdir()
        (root / "aiagentics.toml").write_text(
            '[project]\nname = "bench"\n[vars]\ncompany = "Acme"\n'
        )

        def write_tools(n: int) -> None:
            for i in range(args.tools):
                (root / "tools" / f"tool{i}.yaml").write_text(TOOL.format(i=i, n=n))

        write_tools(0)
        agent = root / "agents" / "bench.yaml"
        agent.write_text(AGENT.format(n=0))
        settings = GatewaySettings(
            database=str(Path(tmp) / "state" / "dev.db"),
            default_project="bench",
            default_environment="test",
            bootstrap_api_key="sk_test_" + secrets.token_hex(20),
        )
        services = build_services(settings)
        await services.start()
        reloader = DevReloader(services, root)
        first = await reloader.reload(("start",))
        assert first.ok, first
        one: list[float] = []
        bulk: list[float] = []
        one_cpu: list[float] = []
        bulk_cpu: list[float] = []
        for n in range(1, args.rounds + 1):
            agent.write_text(AGENT.format(n=n))
            t0, c0 = time.perf_counter(), time.process_time()
            outcome = await reloader.reload(("edit",))
            one.append((time.perf_counter() - t0) * 1000)
            one_cpu.append((time.process_time() - c0) * 1000)
            assert outcome.ok and outcome.plan is not None and len(outcome.plan.changes) == 1
            write_tools(n)
            t0, c0 = time.perf_counter(), time.process_time()
            outcome = await reloader.reload(("edit",))
            bulk.append((time.perf_counter() - t0) * 1000)
            bulk_cpu.append((time.process_time() - c0) * 1000)
            assert outcome.ok and outcome.plan is not None
            assert len(outcome.plan.changes) == args.tools
        await services.stop()
    print(f"project: 1 agent + {args.tools} tools; {args.rounds} rounds")
    print(f"{'':28}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    rows = (
        ("one agent edited", one),
        (f"{args.tools} tools edited", bulk),
        ("one agent edited, CPU", one_cpu),
        (f"{args.tools} tools edited, CPU", bulk_cpu),
    )
    for label, values in rows:
        print(
            f"{label:28}{pct(values, 0.5):>10.2f}{pct(values, 0.99):>10.2f}"
            f"{statistics.mean(values):>10.2f}"
        )
    print(f"all tools / one agent (p50): {pct(bulk, 0.5) / pct(one, 0.5):.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
