"""Event-loop stall benchmark: other requests while one run streams 100,000 tokens.

    .venv/bin/python bench/stall/stream.py [--tokens 100000] [--samples 300]

A fake OpenAI-compatible provider (bench/hotpath/provider.py) answers with `--tokens`
streamed chunks and no delay, so the gateway receives them as fast as it can take them.
One `POST /v1/runs` (stream: true) of an agent on that provider is read to its end by a
child process (curl), so the reader does not compete with the sampler for this process's
GIL. Meanwhile `GET /v1/health` and `GET /v1/runs` are sampled back to back on one
keep-alive connection; the same sampling with nothing else going on, in the same run, is
the baseline. Prints median, p99 and worst latency of both phases and their ratios.
Goal: p99 under 50 ms while the stream runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.servers import free_port, wait_healthy  # noqa: E402

KEY = "sk_test_" + "s7ream" * 7
PROVIDER = ROOT / "bench" / "hotpath" / "provider.py"


def sample(client: httpx.Client, count: int, until: subprocess.Popen[bytes] | None) -> list[float]:
    """Latencies (ms) of alternating health and run-list requests."""
    latencies: list[float] = []
    for n in range(count):
        if until is not None and until.poll() is not None:
            break
        started = time.perf_counter()
        response = client.get("/v1/health" if n % 2 == 0 else "/v1/runs?limit=5")
        response.raise_for_status()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def summary(name: str, values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    print(f"{name:18}{len(values):>8}{p50:>10.2f}{p99:>10.2f}{ordered[-1]:>10.2f}")
    return p50, p99, ordered[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=100_000, help="chunks the provider streams")
    parser.add_argument("--samples", type=int, default=300, help="requests in the baseline phase")
    args = parser.parse_args()
    curl = shutil.which("curl")
    if curl is None:
        raise SystemExit("this bench reads the stream with curl, which is not installed")
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "AIAGENTICS_API_KEY": KEY, "FAKE_KEY": "sk-fake"}
        try:
            provider_port = free_port()
            provider_url = f"http://127.0.0.1:{provider_port}"
            procs.append(
                subprocess.Popen(
                    [sys.executable, str(PROVIDER), str(provider_port), str(args.tokens)],
                    cwd=tmp,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            wait_healthy(provider_url + "/health", procs[-1], timeout=60)
            port = free_port()
            Path(tmp, "aiagentics.toml").write_text(
                '[project]\nname = "stall"\n\n'
                f"[gateway]\nport = {port}\nrate_limit_per_second = 1000000\n"
                "rate_limit_burst = 1000000\n\n"
                f'[providers.fake]\nbase_url = "{provider_url}/v1"\napi_key_env = "FAKE_KEY"\n'
            )
            aia = str(Path(sys.executable).with_name("aia"))
            procs.append(
                subprocess.Popen(
                    [aia, "serve"],
                    cwd=tmp,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            base_url = f"http://127.0.0.1:{port}"
            wait_healthy(base_url + "/v1/health", procs[-1], timeout=60)
            headers = {"Authorization": f"Bearer {KEY}"}
            with httpx.Client(base_url=base_url, headers=headers, timeout=120) as client:
                agent = client.post("/v1/agents", json={"name": "streamer", "model": "fake/m"})
                agent.raise_for_status()
                body = {"agent_id": agent.json()["id"], "input": "Talk.", "stream": True}
                sample(client, 50, None)  # warm up
                idle = sample(client, args.samples, None)
                out = Path(tmp, "stream.sse")
                started = time.perf_counter()
                reader = subprocess.Popen(
                    [
                        curl, "-sN", "-o", str(out), "-X", "POST", base_url + "/v1/runs",
                        "-H", f"Authorization: Bearer {KEY}",
                        "-H", "Content-Type: application/json",
                        "-d", json.dumps(body),
                    ]
                )  # fmt: skip
                busy = sample(client, 10**9, reader)
                reader.wait(timeout=600)
                seconds = time.perf_counter() - started
            text = out.read_text()
            tokens = text.count("event: token")
            if "event: run.completed" not in text:
                raise SystemExit(f"the run did not complete: {text[-500:]}")
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)
    print(f"one run streaming {tokens} token events took {seconds:.2f} s")
    print(f"{'phase':18}{'requests':>8}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    i50, i99, imax = summary("idle", idle)
    b50, b99, bmax = summary("during the stream", busy)
    print(
        f"ratios (during / idle): p50 {b50 / i50:.2f}, p99 {b99 / i99:.2f}, max {bmax / imax:.2f}"
    )
    print(f"goal: p99 during the stream under 50 ms: {'met' if b99 < 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
