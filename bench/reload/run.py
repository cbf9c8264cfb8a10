"""bench/reload: from a saved file to the gateway serving it, next to a full restart.

Starts the real `aia dev` on a generated project, makes 20 edits of an agent's
instructions and measures, for each, the time from the write to the first
`GET /v1/agents/:id` that returns the new text. In the same run it measures
what a `--reload` style server would cost instead: stopping and starting the
gateway process until it answers with the agent again. Prints p50/p99 and the ratio.

    .venv/bin/python bench/reload/run.py [--edits 20] [--restarts 5]
"""

from __future__ import annotations

import argparse
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

AIA = str(Path(sys.executable).with_name("aia"))
AGENT = """apiVersion: aiagentics.io/v1
kind: Agent
metadata: {{name: bench}}
spec:
  model: scripted
  instructions: "Edit number {n} for {{{{ vars.company }}}}."
"""
TOOL = """apiVersion: aiagentics.io/v1
kind: Tool
metadata: {{name: tool{i}}}
spec: {{type: client, description: "tool {i}"}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(root: Path, key: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [AIA, "-C", str(root), "dev", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"AIAGENTICS_API_KEY": key, "PATH": "/usr/bin:/bin"},
    )
    return proc, f"http://127.0.0.1:{port}/v1"


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_served(client: httpx.Client, base: str, expect: str, deadline: float) -> None:
    while time.perf_counter() < deadline:
        try:
            r = client.get(f"{base}/agents", params={"limit": 1})
            if r.status_code == 200:
                data = r.json()["data"]
                if any(a["name"] == "bench" and a["instructions"] == expect for a in data):
                    return
        except httpx.TransportError:
            pass
        time.sleep(0.002)
    raise SystemExit("timed out waiting for the gateway")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--restarts", type=int, default=5)
    parser.add_argument("--tools", type=int, default=50, help="other resources in the project")
    args = parser.parse_args()
    key = f"sk_test_{secrets.token_hex(20)}"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "agents").mkdir()
        (root / "tools").mkdir()
        (root / "aiagentics.toml").write_text(
            '[project]\nname = "bench"\n[vars]\ncompany = "Acme"\n'
        )
        for i in range(args.tools):
            (root / "tools" / f"tool{i}.yaml").write_text(TOOL.format(i=i))
        agent = root / "agents" / "bench.yaml"
        agent.write_text(AGENT.format(n=0))
        headers = {"Authorization": f"Bearer {key}"}
        proc, base = start(root, key)
        reloads: list[float] = []
        try:
            with httpx.Client(headers=headers, timeout=5) as client:
                wait_served(client, base, "Edit number 0 for Acme.", time.perf_counter() + 30)
                for n in range(1, args.edits + 1):
                    time.sleep(0.1)  # edits a person makes, not a burst
                    t0 = time.perf_counter()
                    agent.write_text(AGENT.format(n=n))
                    wait_served(client, base, f"Edit number {n} for Acme.", t0 + 10)
                    reloads.append((time.perf_counter() - t0) * 1000)
        finally:
            stop(proc)
        restarts: list[float] = []
        with httpx.Client(headers=headers, timeout=5) as client:
            n = args.edits
            for _ in range(args.restarts):
                t0 = time.perf_counter()
                proc, base = start(root, key)
                try:
                    wait_served(client, base, f"Edit number {n} for Acme.", t0 + 60)
                    restarts.append((time.perf_counter() - t0) * 1000)
                finally:
                    stop(proc)
    print(f"project: 1 agent + {args.tools} tools; {args.edits} edits, {args.restarts} restarts")
    print(f"{'':28}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for label, values in (
        ("hot reload (write->served)", reloads),
        ("full restart (start->served)", restarts),
    ):
        print(
            f"{label:28}{pct(values, 0.5):>10.1f}{pct(values, 0.99):>10.1f}{statistics.mean(values):>10.1f}"
        )
    print(f"restart / reload (p50): {pct(restarts, 0.5) / pct(reloads, 0.5):.1f}x")


if __name__ == "__main__":
    main()
