"""Benchmark: the run engine with the scripted model, next to the bare HTTP round trips.

    python bench/runs/run.py [--runs 300] [--concurrency 200]

A run is two steps: the model calls one `http` tool (a local handler), then answers
in four words. Measured, from `POST /v1/runs` (stream: true) to `run.completed`:
  - one run at a time: p50/p99 latency and time to first event (`run.created`), runs/s
  - `--concurrency` streaming runs at once: wall time, runs/s, p50/p99
The baseline, in the same run, is a bare Litestar app on the same uvicorn stack that
does the same HTTP round trips without the engine: it takes the POST, calls the same
handler, and streams the same eight SSE events. Engine overhead per step is
(run p50 - baseline p50) / 2. Each server runs in its own process.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.fakes (the tool handler) lives beside the package
from bench.servers import wait_healthy  # noqa: E402

KEY = "sk_test_" + "b3nch" * 8
SCRIPT = [
    {"tool_calls": [{"name": "sql_query", "arguments": {"limit": 50}}]},
    {"content": "7 payments failed today."},
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_handler(port_out: Any) -> None:
    from tests.fakes.tool_handler import ToolHandlerServer

    server = ToolHandlerServer().start()
    port_out.send(server.port)
    while True:
        time.sleep(3600)


def serve_baseline_process(port: int, handler_url: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from baseline import serve

    serve(port, handler_url)


def serve_gateway(port: int, database: str) -> None:
    import uvicorn

    from aiagentics.gateway.app import create_app
    from aiagentics.gateway.settings import GatewaySettings

    settings = GatewaySettings(
        database=database,
        bootstrap_api_key=KEY,
        allow_private_network=True,
        max_concurrent_runs=100_000,
        rate_limit_per_second=1_000_000,
        rate_limit_burst=1_000_000,
    )
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="error", backlog=4096)


async def one_run(client: httpx.AsyncClient, body: dict[str, Any]) -> tuple[float, float, int]:
    """(seconds to the first event, seconds to run.completed, events) of one streamed run."""
    started = time.perf_counter()
    first = 0.0
    events = 0
    async with client.stream("POST", "/v1/runs", json=body) as response:
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {(await response.aread())[:300]!r}")
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                events += 1
                if events == 1:
                    first = time.perf_counter() - started
                if line.startswith(("event: run.completed", "event: run.failed")):
                    if "failed" in line:
                        raise RuntimeError("a run failed")
                    break
    return first, time.perf_counter() - started, events


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def measure(
    base_url: str, headers: dict[str, str], body: dict[str, Any], runs: int, concurrency: int
) -> dict[str, float]:
    limits = httpx.Limits(
        max_connections=concurrency + 10, max_keepalive_connections=concurrency + 10
    )
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=60, limits=limits
    ) as client:
        for _ in range(20):  # warm up connections, caches, the handler's keep-alive pool
            await one_run(client, body)
        sequential = [await one_run(client, body) for _ in range(runs)]
        started = time.perf_counter()
        burst = await asyncio.gather(*(one_run(client, body) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    seq_total = sum(r[1] for r in sequential)
    return {
        "p50": pct([r[1] for r in sequential], 0.5),
        "p99": pct([r[1] for r in sequential], 0.99),
        "ttfe_p50": pct([r[0] for r in sequential], 0.5),
        "ttfe_p99": pct([r[0] for r in sequential], 0.99),
        "seq_rps": runs / seq_total,
        "events": statistics.mean(r[2] for r in sequential),
        "burst_wall": wall * 1000,
        "burst_rps": concurrency / wall,
        "burst_p50": pct([r[1] for r in burst], 0.5),
        "burst_p99": pct([r[1] for r in burst], 0.99),
        "burst_ttfe_p99": pct([r[0] for r in burst], 0.99),
    }


def setup_agent(base_url: str, handler_url: str) -> str:
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as c:
        schema = {
            "type": "object",
            "properties": {"limit": {"type": "integer"}},
            "required": ["limit"],
        }
        tool = c.post(
            "/v1/tools",
            json={
                "name": "sql_query",
                "type": "http",
                "handler_url": handler_url,
                "parameters": schema,
            },
        )
        tool.raise_for_status()
        agent = c.post(
            "/v1/agents",
            json={
                "name": "bench",
                "model": "scripted",
                "tools": [tool.json()["id"]],
                "model_options": {"script": SCRIPT},
            },
        )
        agent.raise_for_status()
        return agent.json()["id"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="sequential runs")
    parser.add_argument("--concurrency", type=int, default=200, help="streaming runs at once")
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    procs = [ctx.Process(target=serve_handler, args=(send,), daemon=True)]
    procs[0].start()
    handler_url = f"http://127.0.0.1:{recv.recv()}/rows"
    gateway_port, baseline_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        procs.append(
            ctx.Process(
                target=serve_gateway, args=(gateway_port, os.path.join(tmp, "gw.db")), daemon=True
            )
        )
        procs.append(
            ctx.Process(
                target=serve_baseline_process, args=(baseline_port, handler_url), daemon=True
            )
        )
        for proc in procs[1:]:
            proc.start()
        try:
            gateway_url, baseline_url = (
                f"http://127.0.0.1:{gateway_port}",
                f"http://127.0.0.1:{baseline_port}",
            )
            wait_healthy(gateway_url + "/v1/health")
            wait_healthy(baseline_url + "/")
            agent_id = setup_agent(gateway_url, handler_url)
            body = {
                "agent_id": agent_id,
                "input": "Summarize today's failed payments",
                "stream": True,
            }
            engine = asyncio.run(
                measure(
                    gateway_url,
                    {"Authorization": f"Bearer {KEY}"},
                    body,
                    args.runs,
                    args.concurrency,
                )
            )
            bare = asyncio.run(measure(baseline_url, {}, body, args.runs, args.concurrency))
        finally:
            for proc in procs:
                proc.terminate()
    print(
        f"two-step run (http tool + 4-token answer), {args.runs} sequential, {args.concurrency} concurrent"
    )
    print(f"{'':28}{'engine':>12}{'baseline':>12}{'ratio':>8}")
    rows = [
        ("p50 POST->run.completed ms", "p50"),
        ("p99 POST->run.completed ms", "p99"),
        ("p50 time to first event ms", "ttfe_p50"),
        ("p99 time to first event ms", "ttfe_p99"),
        ("sequential runs/s", "seq_rps"),
        (f"{args.concurrency} concurrent: wall ms", "burst_wall"),
        (f"{args.concurrency} concurrent: runs/s", "burst_rps"),
        (f"{args.concurrency} concurrent: p50 ms", "burst_p50"),
        (f"{args.concurrency} concurrent: p99 ms", "burst_p99"),
        (f"{args.concurrency} concurrent: p99 TTFE ms", "burst_ttfe_p99"),
    ]
    for label, key in rows:
        ratio = engine[key] / bare[key] if bare[key] else float("nan")
        print(f"{label:28}{engine[key]:>12.2f}{bare[key]:>12.2f}{ratio:>8.2f}")
    overhead = (engine["p50"] - bare["p50"]) / 2
    print(f"engine overhead per step (p50): {overhead:.2f} ms (target < 5 ms)")


if __name__ == "__main__":
    main()
