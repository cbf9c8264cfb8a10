"""Helpers for the plan/apply/export e2e tests: a project on disk and the real `aia` command."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

from tests.e2e.conftest import AIA, Gateway

TOOL = """\
apiVersion: aiagentics.io/v1
kind: Tool
metadata:
  name: {name}
  description: {description}
spec:
  type: {type}
  parameters:
    type: object
    properties:
      amount: {{type: number}}
"""

AGENT = """\
apiVersion: aiagentics.io/v1
kind: Agent
metadata:
  name: support
  labels: {{team: payments}}
spec:
  model: scripted
  instructions: |
    You help {{{{ vars.company }}}} customers.
    {tone}
  tools: [{tools}]
  guardrails: {{max_steps: {max_steps}}}
"""


def write_project(root: Path, name: str = "payments", **files: str) -> Path:
    """A project named `name` with the given files ({"tools/refund.yaml": "..."})."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "aiagentics.toml").write_text(
        f'[project]\nname = "{name}"\n\n[vars]\ncompany = "Acme"\n', encoding="utf-8"
    )
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def tool(name: str = "refund", type: str = "client", description: str = "Refund a payment") -> str:
    return TOOL.format(name=name, type=type, description=description)


def agent(tools: str = "refund", tone: str = "Be brief.", max_steps: int = 10) -> str:
    return AGENT.format(tools=tools, tone=tone, max_steps=max_steps)


def aia(
    root: Path,
    gateway: Gateway | None,
    *args: str,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the installed `aia -C root ARGS` against `gateway` (key and URL in the environment)."""
    proc_env = {k: v for k, v in os.environ.items() if not k.startswith("AIAGENTICS_")}
    proc_env["NO_COLOR"] = "1"
    if gateway is not None:
        proc_env["AIAGENTICS_API_KEY"] = gateway.api_key
        proc_env["AIAGENTICS_BASE_URL"] = gateway.base_url
    proc_env.update(env or {})
    return subprocess.run(
        [AIA, "-C", str(root), *args],
        capture_output=True,
        text=True,
        env=proc_env,
        input=stdin if stdin is not None else "",
        timeout=120,
    )


def plan_json(root: Path, gateway: Gateway) -> dict[str, Any]:
    result = aia(root, gateway, "plan", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def listing(gateway: Gateway, path: str) -> list[dict[str, Any]]:
    with gateway.client() as client:
        response = client.get(path, params={"limit": 100})
        response.raise_for_status()
        return response.json()["data"]


def by_name(gateway: Gateway, path: str, name: str) -> dict[str, Any]:
    return next(o for o in listing(gateway, path) if o["name"] == name)
