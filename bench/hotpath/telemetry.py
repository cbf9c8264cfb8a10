"""Benchmark: what telemetry costs on the hot path, as ratios measured in one run.

    python bench/hotpath/telemetry.py [--rounds 5] [--requests 400] [--runs 150]

Three `aia serve` gateways on one machine, the same project but for `[telemetry]`:
  - bare: `metrics = false` (no telemetry at all);
  - default: metrics on, no trace export (what a gateway runs without configuration);
  - export: metrics on and spans exported over OTLP/HTTP to a loopback receiver that
    accepts and discards them (the SDK's batch exporter, its worker thread included).
Measured in interleaved rounds (each round gives every gateway the same machine), at
`--concurrency` clients: requests per second of `GET /v1/agents/:id`, and runs per second
of `POST /v1/runs` (stream: true, a two-step scripted agent with an `http` tool, until
`run.completed`). Printed: the median of each, and each gateway's ratio to bare.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.servers import free_port, wait_healthy  # noqa: E402

KEY = "sk_test_" + "t3lemetry" * 5
AIA = str(Path(sys.executable).with_name("aia"))


class Sink(BaseHTTPRequestHandler):
    """An OTLP/HTTP receiver that reads and drops every export (a collector's first hop)."""

    protocol_version = "HTTP/1.1"  # keep-alive, as a collector is
    spans_bytes = 0

    def do_POST(self) -> None:
        Sink.spans_bytes += len(self.rfile.read(int(self.headers.get("content-length", "0"))))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


def start_gateway(tmp: Path, name: str, telemetry: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    root = tmp / name
    root.mkdir()
    port = free_port()
    (root / "aiagentics.toml").write_text(
        '[project]\nname = "bench"\n\n'
        f"[gateway]\nport = {port}\nallow_private_network = true\n"
        "max_concurrent_runs = 100000\nrate_limit_per_second = 1000000.0\n"
        "rate_limit_burst = 1000000\n\n"
        f"[telemetry]\n{telemetry}\n"
    )
    proc = subprocess.Popen(
        [AIA, "-C", str(root), "serve"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(root / "serve.log", "wb"),  # noqa: SIM115
    )
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url + "/v1/health", proc)
    return proc, url


def setup(url: str, tool_url: str) -> str:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=30) as c:
        tool = c.post(
            "/v1/tools",
            json={"name": "echo", "type": "http", "handler_url": tool_url,
                  "parameters": {"type": "object"}},
        )
        tool.raise_for_status()
        agent = c.post(
            "/v1/agents",
            json={
                "name": "bench",
                "model": "scripted",
                "tools": [tool.json()["id"]],
                "model_options": {
                    "script": [
                        {"tool_calls": [{"name": "echo", "arguments": {"n": 1}}]},
                        {"content": "one two three four five"},
                    ]
                },
            },
        )
        agent.raise_for_status()
        return str(agent.json()["id"])


async def burst(url: str, total: int, concurrency: int, call: Any) -> float:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=60, limits=limits
    ) as client:
        queue = iter(range(total))

        async def worker() -> None:
            for _ in queue:
                await call(client)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return total / (time.perf_counter() - started)


def get_agent(agent_id: str) -> Any:
    async def call(client: httpx.AsyncClient) -> None:
        r = await client.get(f"/v1/agents/{agent_id}")
        if r.status_code != 200:
            raise RuntimeError(f"HTTP {r.status_code}")

    return call


def run_agent(agent_id: str) -> Any:
    body = {"agent_id": agent_id, "input": "go", "stream": True}

    async def call(client: httpx.AsyncClient) -> None:
        async with client.stream("POST", "/v1/runs", json=body) as response:
            async for line in response.aiter_lines():
                if line.startswith("event: run.") and line != "event: run.created":
                    if line != "event: run.completed":
                        raise RuntimeError(line)
                    return
        raise RuntimeError("no run.completed")

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=400, help="GETs per gateway per round")
    parser.add_argument("--runs", type=int, default=150, help="runs per gateway per round")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    sink = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    tool = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=tool.serve_forever, daemon=True).start()
    tool_url = f"http://127.0.0.1:{tool.server_port}/echo"
    env = {**os.environ, "AIAGENTICS_API_KEY": KEY, "PYTHONHASHSEED": "0"}
    for name in list(env):
        if name.startswith("OTEL_"):
            env.pop(name)
    configs = {
        "bare": "metrics = false",
        "default": "",
        "export": f'endpoint = "http://127.0.0.1:{sink.server_port}"',
    }
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            urls: dict[str, tuple[str, str]] = {}
            for name, table in configs.items():
                proc, url = start_gateway(Path(tmp), name, table, env)
                procs.append(proc)
                urls[name] = (url, setup(url, tool_url))
            results: dict[str, dict[str, list[float]]] = {n: {"get": [], "run": []} for n in urls}
            for url, agent in urls.values():  # warm up
                asyncio.run(burst(url, 100, args.concurrency, get_agent(agent)))
                asyncio.run(burst(url, 30, args.concurrency, run_agent(agent)))
            names = list(urls)
            for round_ in range(args.rounds):
                # Each round starts with another gateway: no one always runs first.
                for name in names[round_ % 3 :] + names[: round_ % 3]:
                    url, agent = urls[name]
                    results[name]["get"].append(
                        asyncio.run(burst(url, args.requests, args.concurrency, get_agent(agent)))
                    )
                    results[name]["run"].append(
                        asyncio.run(burst(url, args.runs, args.concurrency, run_agent(agent)))
                    )
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(15)
    for name, r in results.items():
        print(name, "per round: GET", [round(x) for x in r["get"]], "runs", [round(x, 1) for x in r["run"]])
    base = {k: statistics.median(v) for k, v in results["bare"].items()}
    print(f"{args.rounds} interleaved rounds, concurrency {args.concurrency}; median of rounds")
    print(f"{'gateway':<8} {'GET /v1/agents/:id req/s':>26} {'ratio':>6} {'runs/s':>9} {'ratio':>6}")
    for name, r in results.items():
        get, run = statistics.median(r["get"]), statistics.median(r["run"])
        print(f"{name:<8} {get:>26.0f} {get / base['get']:>6.3f} {run:>9.1f} {run / base['run']:>6.3f}")
    d = results["default"]
    e = results["export"]
    print(
        "export vs default: GET "
        f"{statistics.median(e['get']) / statistics.median(d['get']):.3f}, runs "
        f"{statistics.median(e['run']) / statistics.median(d['run']):.3f}"
        f" ({Sink.spans_bytes} bytes of spans received)"
    )


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # the gateway's outbound client keeps connections

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


if __name__ == "__main__":
    main()
