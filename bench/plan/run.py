"""Benchmark: `aia plan` against a local gateway holding 1,000 agents and 1,000 tools.

Starts `aia serve` on a free loopback port (SQLite in a temp dir), applies a
project of N tools and N agents (each agent uses one tool), then times:
  - `aia validate` (compile only, no API): the baseline
  - `aia plan` with no changes, counting the HTTP calls it makes (client side)
  - `aia plan` with 10% of the resources changed
Usage: python bench/plan/run.py [--count 1000] [--repeat 3]
Target: a no-change plan of 2,000 resources in < 1.5 s and < 50 HTTP calls, with or without
the template cache.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

AIA = str(Path(sys.executable).with_name("aia"))

TOOL = """apiVersion: aiagentics.io/v1
kind: Tool
metadata:
  name: tool-{i:04d}
spec:
  type: client
  description: {description}
  parameters:
    type: object
    properties:
      id: {{type: string}}
"""
AGENT = """apiVersion: aiagentics.io/v1
kind: Agent
metadata:
  name: agent-{i:04d}
  labels: {{team: bench}}
spec:
  model: scripted
  instructions: |
    You are agent {i} of {{{{ vars.company }}}}.
    {tone}
  tools: [tool-{i:04d}]
  guardrails: {{max_steps: 5}}
"""


def write_project(root: Path, count: int, changed: set[int]) -> None:
    """N tools and N agents, one file each; indices in `changed` get edited fields."""
    for folder in ("agents", "tools"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for i in range(count):
        edit = i in changed
        (root / "tools" / f"tool-{i:04d}.yaml").write_text(
            TOOL.format(i=i, description="Edited tool" if edit else "Look something up")
        )
        (root / "agents" / f"agent-{i:04d}.yaml").write_text(
            AGENT.format(i=i, tone="Be thorough." if edit else "Be brief.")
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(
    root: Path, env: dict[str, str], *args: str
) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    result = subprocess.run([AIA, "-C", str(root), *args], capture_output=True, text=True, env=env)
    return time.perf_counter() - started, result


def timed(root: Path, env: dict[str, str], repeat: int, *args: str) -> tuple[float, str]:
    times, last = [], None
    for _ in range(repeat):
        seconds, last = run(root, env, *args)
        if last.returncode not in (0, 2):
            raise SystemExit(f"aia {' '.join(args)} failed:\n{last.stdout}\n{last.stderr}")
        times.append(seconds)
    assert last is not None
    return statistics.median(times), last.stderr + last.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="agents (and tools) to hold")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        root.mkdir()
        port = free_port()
        key = f"sk_test_{secrets.token_hex(16)}"
        (root / "aiagentics.toml").write_text(
            '[project]\nname = "bench"\n\n[vars]\ncompany = "Acme"\n\n'
            f'[api]\nbase_url = "http://127.0.0.1:{port}/v1"\n\n'
            f"[gateway]\nport = {port}\nrate_limit_per_second = 100000.0\nrate_limit_burst = 100000\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIAGENTICS_")}
        env["AIAGENTICS_API_KEY"] = key
        log = open(Path(tmp) / "serve.log", "wb")  # noqa: SIM115
        server = subprocess.Popen(
            [AIA, "-C", str(root), "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if (
                        httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code
                        == 200
                    ):
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            write_project(root, opts.count, set())
            total = 2 * opts.count
            seconds, result = run(root, env, "apply", "--yes")
            if result.returncode != 0:
                raise SystemExit(f"seeding apply failed:\n{result.stderr[-2000:]}")
            print(
                f"seed: apply of {total} resources: {seconds:.2f} s ({total / seconds:.0f} resources/s)"
            )

            env["AIAGENTICS_STATS"] = "1"
            validate_s, _ = timed(root, env, opts.repeat, "validate")
            plan_s, out = timed(root, env, opts.repeat, "plan", "--detailed-exitcode")
            calls = re.search(r"stats: (\d+) HTTP calls", out)
            assert "No changes" in out, out[-500:]
            print(f"baseline: aia validate ({total} resources, no API): {validate_s:.3f} s")
            print(
                f"no-change plan: {plan_s:.3f} s, {calls.group(1) if calls else '?'} HTTP calls "
                f"({plan_s / validate_s:.2f}x validate); target < 1.5 s and < 50 calls"
            )

            # The first plan after a clone or an upgrade has no template cache to lean on.
            env["AIAGENTICS_NO_CACHE"] = "1"
            validate_cold_s, _ = timed(root, env, opts.repeat, "validate")
            plan_cold_s, out = timed(root, env, opts.repeat, "plan", "--detailed-exitcode")
            env.pop("AIAGENTICS_NO_CACHE")
            assert "No changes" in out, out[-500:]
            print(
                f"without the template cache: validate {validate_cold_s:.3f} s, "
                f"no-change plan {plan_cold_s:.3f} s ({plan_cold_s / validate_s:.2f}x cached validate)"
            )

            changed = set(range(0, opts.count, 10))
            write_project(root, opts.count, changed)
            changed_s, out = timed(root, env, opts.repeat, "plan", "--detailed-exitcode")
            calls = re.search(r"stats: (\d+) HTTP calls", out)
            summary = re.search(r"Plan: ([^\n]+)", out)
            print(
                f"10% changed plan: {changed_s:.3f} s, {calls.group(1) if calls else '?'} HTTP calls "
                f"({changed_s / validate_s:.2f}x validate): {summary.group(1) if summary else '?'}"
            )
            env.pop("AIAGENTICS_STATS")
            seconds, result = run(root, env, "apply", "--yes")
            print(f"apply of the 10% change ({2 * len(changed)} updates): {seconds:.2f} s")
        finally:
            server.terminate()
            server.wait(15)
            log.close()


if __name__ == "__main__":
    main()
