"""Benchmark: a streamed model call through the gateway, next to the same call made directly.

    python bench/hotpath/run.py [--runs 300] [--concurrency 16] [--litellm]

One fake OpenAI-compatible provider (bench/hotpath/provider.py: 20 streamed chunks, no
delay) serves every path. Measured, one request at a time and interleaved:
  - direct: a streamed chat completion straight from the provider;
  - gateway: `POST /v1/runs` (stream: true) of a one-step agent on that provider, through
    a real `aia serve` (the production stack), until `run.completed`;
  - with `--litellm`: the same completion through a LiteLLM proxy (1 worker, no database),
    installed by this bench into its own virtual environment (never a project dependency;
    skipped with a message when it cannot be installed).
Printed: p50/p99 latency, overhead over direct (p50), server CPU per request (from the
server process's own CPU time), and runs per second at `--concurrency` streams, with ratios
against direct (and against LiteLLM's overhead) measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.servers import free_port, wait_healthy  # noqa: E402

KEY = "sk_test_" + "h0tpath" * 6
LITELLM_KEY = "sk-" + secrets.token_hex(16)
HERE = Path(__file__).resolve().parent
TICKS = os.sysconf("SC_CLK_TCK")
CHAT = {
    "model": "m",
    "messages": [{"role": "user", "content": "Say twenty words."}],
    "stream": True,
    "stream_options": {"include_usage": True},
}

Call = Callable[[httpx.AsyncClient], Awaitable[None]]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def direct_call(client: httpx.AsyncClient) -> None:
    async with client.stream("POST", "/v1/chat/completions", json=CHAT) as response:
        async for line in response.aiter_lines():
            if line == "data: [DONE]":
                return
    raise RuntimeError("the stream ended without [DONE]")


def run_call(agent_id: str) -> Call:
    body = {"agent_id": agent_id, "input": "Say twenty words.", "stream": True}

    async def call(client: httpx.AsyncClient) -> None:
        async with client.stream("POST", "/v1/runs", json=body) as response:
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}: {await response.aread()!r}")
            async for line in response.aiter_lines():
                if line.startswith("event: run."):
                    if line == "event: run.completed":
                        return
                    if line != "event: run.created":
                        raise RuntimeError(f"the run ended with {line}")
        raise RuntimeError("the stream ended without run.completed")

    return call


class Path_:
    """One way to the provider: a client, a call, and the server process whose CPU counts."""

    def __init__(self, name: str, base_url: str, call: Call, pid: int | None, headers: Any):
        self.name, self.call, self.pid = name, call, pid
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        self.client = httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=60, limits=limits
        )
        self.latencies: list[float] = []
        self.cpu = 0.0
        self.burst_rps = 0.0

    async def once(self) -> None:
        started = time.perf_counter()
        await self.call(self.client)
        self.latencies.append(time.perf_counter() - started)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def measure(paths: list[Path_], runs: int, concurrency: int) -> None:
    for path in paths:
        for _ in range(30):
            await path.once()
        path.latencies.clear()
    cpu_before = {p.name: cpu_seconds(p.pid) for p in paths if p.pid}
    for _ in range(runs):  # interleaved: each round trip of each path sees the same machine
        for path in paths:
            await path.once()
    for path in paths:
        if path.pid:
            path.cpu = (cpu_seconds(path.pid) - cpu_before[path.name]) / runs
    for path in paths:
        total = max(concurrency * 10, 100)
        started = time.perf_counter()
        queue = iter(range(total))

        async def worker(path: Path_ = path, queue: Any = queue) -> None:
            for _ in queue:
                await path.call(path.client)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        path.burst_rps = total / (time.perf_counter() - started)
    for path in paths:
        await path.client.aclose()


def start(cmd: list[str], cwd: str, env: dict[str, str], url: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_healthy(url, proc, timeout=60)
    return proc


def litellm_venv() -> Path | None:
    """A virtual environment with LiteLLM's proxy (created on first use), or None."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "aiagentics-bench"
    venv = cache / "litellm"
    exe = venv / "bin" / "litellm"
    if exe.exists():
        return venv
    print("installing LiteLLM into its own virtual environment (once)...", file=sys.stderr)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "litellm[proxy]"], check=True, timeout=900
        )
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"LiteLLM skipped: it could not be installed ({exc})", file=sys.stderr)
        return None
    return venv if exe.exists() else None


def create_agent(base_url: str) -> str:
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=30
    ) as c:
        agent = c.post("/v1/agents", json={"name": "bench", "model": "fake/m"})
        agent.raise_for_status()
        return str(agent.json()["id"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="interleaved requests per path")
    parser.add_argument("--concurrency", type=int, default=16, help="streams at once")
    parser.add_argument("--litellm", action="store_true", help="also measure a LiteLLM proxy")
    args = parser.parse_args()
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "AIAGENTICS_API_KEY": KEY,
            "FAKE_KEY": "sk-fake",
            "PYTHONHASHSEED": "0",
        }
        try:
            provider_port = free_port()
            provider_url = f"http://127.0.0.1:{provider_port}"
            procs.append(
                start(
                    [sys.executable, str(HERE / "provider.py"), str(provider_port)],
                    tmp,
                    env,
                    provider_url + "/health",
                )
            )
            gateway_port = free_port()
            Path(tmp, "aiagentics.toml").write_text(
                '[project]\nname = "bench"\n\n'
                f"[gateway]\nport = {gateway_port}\nmax_concurrent_runs = 100000\n"
                "rate_limit_per_second = 1000000\nrate_limit_burst = 1000000\n\n"
                f'[providers.fake]\nbase_url = "{provider_url}/v1"\napi_key_env = "FAKE_KEY"\n'
            )
            gateway_url = f"http://127.0.0.1:{gateway_port}"
            aia = str(Path(sys.executable).with_name("aia"))
            gateway = start([aia, "serve"], tmp, env, gateway_url + "/v1/health")
            procs.append(gateway)
            agent_id = create_agent(gateway_url)
            paths = [
                Path_("direct", provider_url, direct_call, None, {}),
                Path_(
                    "aia serve",
                    gateway_url,
                    run_call(agent_id),
                    gateway.pid,
                    {"Authorization": f"Bearer {KEY}"},
                ),
            ]
            venv = litellm_venv() if args.litellm else None
            if venv is not None:
                litellm_port = free_port()
                lite = start(
                    [
                        str(venv / "bin" / "litellm"),
                        "--model",
                        "openai/m",
                        "--api_base",
                        f"{provider_url}/v1",
                        "--port",
                        str(litellm_port),
                        "--num_workers",
                        "1",
                    ],
                    tmp,
                    # Recent proxies refuse to start without a master key.
                    {**env, "OPENAI_API_KEY": "sk-fake", "LITELLM_MASTER_KEY": LITELLM_KEY},
                    f"http://127.0.0.1:{litellm_port}/health/liveliness",
                )
                procs.append(lite)
                paths.append(
                    Path_(
                        "LiteLLM proxy",
                        f"http://127.0.0.1:{litellm_port}",
                        direct_call,
                        lite.pid,
                        {"Authorization": f"Bearer {LITELLM_KEY}"},
                    )
                )
            asyncio.run(measure(paths, args.runs, args.concurrency))
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)
    direct = paths[0]
    base = pct(direct.latencies, 0.5)
    print(f"one streamed call (20 chunks), {args.runs} interleaved, {args.concurrency} at once")
    print(
        f"{'path':16}{'p50 ms':>9}{'p99 ms':>9}{'overhead p50':>14}{'CPU ms/req':>12}"
        f"{'req/s @' + str(args.concurrency):>12}"
    )
    overheads: dict[str, float] = {}
    for path in paths:
        p50 = pct(path.latencies, 0.5)
        overheads[path.name] = p50 - base
        cpu = f"{path.cpu * 1000:.2f}" if path.pid else "-"
        print(
            f"{path.name:16}{p50:>9.2f}{pct(path.latencies, 0.99):>9.2f}"
            f"{(p50 - base):>14.2f}{cpu:>12}{path.burst_rps:>12.1f}"
        )
    gw = paths[1]
    print(f"gateway p50 / direct p50: {pct(gw.latencies, 0.5) / base:.2f}")
    print(
        f"gateway req/s / direct req/s @{args.concurrency}: {gw.burst_rps / direct.burst_rps:.3f}"
    )
    if "LiteLLM proxy" in overheads and overheads["LiteLLM proxy"] > 0:
        ratio = overheads["aia serve"] / overheads["LiteLLM proxy"]
        print(f"gateway overhead / LiteLLM overhead (p50): {ratio:.3f} (goal <= 0.05)")
    print(
        "goals: CPU/run <= 3 ms, overhead p50 <= 5 ms, >= 200 runs/s at 16 streams;"
        f" mean gateway latency {statistics.mean(gw.latencies) * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
