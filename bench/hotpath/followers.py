"""Benchmark: 1,000 concurrent SSE followers of live runs held by one gateway.

    python bench/hotpath/followers.py [--followers 1000] [--runs 10] [--tokens 500] [--processes 4]

A fake provider (bench/hotpath/provider.py) streams `--tokens` chunks 20 ms apart, so each
run stays live for a few seconds. `--runs` runs are started on one `aia serve`, then
`--followers` clients (spread evenly over the runs) follow them with
`GET /v1/runs/:id/events` at once. When every run has ended, each follower's events are
compared with the run's whole log replayed afterwards: a follower that missed, repeated
or reordered an event counts as a drop; a follower counts as live when it was connected
before its run ended. The followers live in `--processes` client processes. Prints
followers, errors, drops, live followers, the time until the last follower was connected,
and the gateway's CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.servers import free_port, wait_healthy  # noqa: E402

KEY = "sk_test_" + "f0llow" * 7
HERE = Path(__file__).resolve().parent
TICKS = os.sysconf("SC_CLK_TCK")
TERMINAL = {"run.completed", "run.failed", "run.cancelled"}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def follow(client: httpx.AsyncClient, run_id: str) -> tuple[float, float, list[str]]:
    """When the stream was connected and ended (wall clock) and its `id:event` pairs."""
    seen: list[str] = []
    event_id = ""
    async with client.stream("GET", f"/v1/runs/{run_id}/events") as response:
        response.raise_for_status()
        connected = time.time()
        async for line in response.aiter_lines():
            if line.startswith("id:"):
                event_id = line[3:].strip()
            elif line.startswith("event:"):
                name = line[6:].strip()
                seen.append(f"{event_id}:{name}")
                if name in TERMINAL:
                    return connected, time.time(), seen
    return connected, time.time(), seen


def client(base_url: str, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections + 16, max_keepalive_connections=16)
    headers = {"Authorization": f"Bearer {KEY}"}
    return httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120, limits=limits)


def follow_share(base_url: str, run_ids: list[str]) -> list[tuple[float, float, list[str]] | str]:
    """One client process's followers (one per entry of `run_ids`); errors as text."""

    async def go() -> list[tuple[float, float, list[str]] | str]:
        async with client(base_url, len(run_ids)) as c:
            results = await asyncio.gather(
                *(follow(c, run_id) for run_id in run_ids), return_exceptions=True
            )
        return [repr(r) if isinstance(r, BaseException) else r for r in results]

    return asyncio.run(go())


async def start_runs(base_url: str, agent_id: str, runs: int) -> list[str]:
    async with client(base_url, 4) as c:
        ids = []
        for _ in range(runs):
            created = await c.post("/v1/runs", json={"agent_id": agent_id, "input": "Go."})
            created.raise_for_status()
            ids.append(created.json()["id"])
        return ids


async def own_followers(base_url: str, ids: list[str]) -> list[tuple[float, float, list[str]]]:
    async with client(base_url, len(ids)) as c:
        return list(await asyncio.gather(*(follow(c, run_id) for run_id in ids)))


def measure(
    base_url: str, agent_id: str, followers: int, runs: int, processes: int
) -> dict[str, float]:
    ids = asyncio.run(start_runs(base_url, agent_id, runs))
    shares = [[ids[n % runs] for n in range(p, followers, processes)] for p in range(processes)]
    started = time.time()
    # The followers live in several client processes, so that the client is not what limits.
    with concurrent.futures.ProcessPoolExecutor(processes) as pool:
        futures = [pool.submit(follow_share, base_url, share) for share in shares]
        ended = {
            run_id: end
            for run_id, (_, end, _) in zip(
                ids, asyncio.run(own_followers(base_url, ids)), strict=True
            )
        }
        outcomes = [
            (run_id, r)
            for share, f in zip(shares, futures, strict=True)
            for run_id, r in zip(share, f.result(), strict=True)
        ]
    logs = {run_id: asyncio.run(own_followers(base_url, [run_id]))[0][2] for run_id in ids}
    errors = [r for _, r in outcomes if isinstance(r, str)]
    good = [(run_id, r) for run_id, r in outcomes if not isinstance(r, str)]
    drops = sum(r[2] != logs[run_id] for run_id, r in good)
    live = sum(r[0] < ended[run_id] for run_id, r in good)
    if errors:
        print(f"first error: {errors[0]}")
    return {
        "followers": followers,
        "errors": len(errors),
        "drops": drops,
        "connected while their run was live": live,
        "events per run": sum(len(v) for v in logs.values()) / len(logs),
        "last connected after (s)": max(r[0] for _, r in good) - started if good else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--tokens", type=int, default=500, help="chunks per answer, 20 ms apart")
    args = parser.parse_args()
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "AIAGENTICS_API_KEY": KEY, "FAKE_KEY": "sk-fake"}
        try:
            provider_port = free_port()
            provider_url = f"http://127.0.0.1:{provider_port}"
            cmd = [sys.executable, str(HERE / "provider.py"), str(provider_port)]
            procs.append(
                subprocess.Popen(
                    [*cmd, str(args.tokens), "20"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            wait_healthy(provider_url + "/health", procs[-1], timeout=60)
            port = free_port()
            Path(tmp, "aiagentics.toml").write_text(
                '[project]\nname = "followers"\n\n'
                f"[gateway]\nport = {port}\nmax_concurrent_runs = 100000\n"
                "rate_limit_per_second = 1000000\nrate_limit_burst = 1000000\n\n"
                f'[providers.fake]\nbase_url = "{provider_url}/v1"\napi_key_env = "FAKE_KEY"\n'
            )
            aia = str(Path(sys.executable).with_name("aia"))
            gateway = subprocess.Popen(
                [aia, "serve"], cwd=tmp, env=env, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            procs.append(gateway)
            base_url = f"http://127.0.0.1:{port}"
            wait_healthy(base_url + "/v1/health", gateway, timeout=60)
            with httpx.Client(
                base_url=base_url, headers={"Authorization": f"Bearer {KEY}"}
            ) as client:
                agent = client.post("/v1/agents", json={"name": "talker", "model": "fake/m"})
                agent.raise_for_status()
                agent_id = agent.json()["id"]
            cpu_before = cpu_seconds(gateway.pid)
            started = time.perf_counter()
            figures = measure(base_url, agent_id, args.followers, args.runs, args.processes)
            seconds = time.perf_counter() - started
            cpu = cpu_seconds(gateway.pid) - cpu_before
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)
    print(f"{args.runs} live runs, {args.tokens} tokens each 20 ms apart, followed at once")
    for name, value in figures.items():
        print(f"  {name}: {value:.2f}" if isinstance(value, float) else f"  {name}: {value}")
    print(f"  wall time: {seconds:.2f} s, gateway CPU: {cpu:.2f} s")
    ok = figures["errors"] == 0 and figures["drops"] == 0
    print(f"goal: {args.followers} followers with no dropped events and no error: "
          f"{'met' if ok else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
