"""A real `aia dev` process on a free loopback port, serving a project written by the test."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tests.e2e.conftest import AIA, free_port, is_up

CONFIG = """[project]
name = "devtest"

[vars]
company = "Acme"
"""

AGENT = """apiVersion: aiagentics.io/v1
kind: Agent
metadata:
  name: {name}
  description: {description}
spec:
  model: scripted
  instructions: "You help {{{{ vars.company }}}} customers. {instructions}"
  tools: [{tools}]
  model_options:
    script:
{script}
"""

CLIENT_TOOL = """apiVersion: aiagentics.io/v1
kind: Tool
metadata:
  name: {name}
spec:
  type: client
  description: Ask the caller
  parameters:
    type: object
    properties:
      question: {{type: string}}
"""


def agent_yaml(
    name: str = "helper",
    *,
    description: str = "Helps",
    instructions: str = "Be brief.",
    tools: str = "",
    script: str = '      - content: "hello there"',
) -> str:
    return AGENT.format(
        name=name, description=description, instructions=instructions, tools=tools, script=script
    )


def write_project(root: Path) -> None:
    (root / "agents").mkdir(parents=True, exist_ok=True)
    (root / "tools").mkdir(exist_ok=True)
    (root / "aiagentics.toml").write_text(CONFIG)
    (root / "agents" / "helper.yaml").write_text(agent_yaml())


@dataclass
class DevServer:
    root: Path
    origin: str
    api_key: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.origin + "/v1/", headers=self.headers, timeout=30)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


def start_dev(root: Path, api_key: str | None = None) -> DevServer:
    api_key = api_key or f"sk_test_{secrets.token_hex(20)}"
    for attempt in range(3):
        port = free_port()
        log = root.parent / f"dev-{root.name}-{port}.log"
        env = {**os.environ, "AIAGENTICS_API_KEY": api_key, "NO_COLOR": "1"}
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [AIA, "-C", str(root), "dev", "--port", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=root,
            )
        server = DevServer(root, f"http://127.0.0.1:{port}", api_key, process, log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if is_up(server.origin, process):
                    return server
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        server.stop()
        if attempt == 2:
            raise RuntimeError(f"aia dev did not start:\n{server.output()}")
    raise AssertionError("unreachable")


def wait_for(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll `check` until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.03)
    raise AssertionError(f"condition not reached in {timeout}s; last value: {last!r}")


def agents_by_name(client: httpx.Client) -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in client.get("agents", params={"limit": 100}).json()["data"]}
