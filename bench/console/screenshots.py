"""The README's console screenshots: a run page and an agent page, from a real gateway.

Starts the gateway on loopback with a local tool handler, runs a scripted support agent
that queries a tool and answers, and photographs the pages in headless Chromium.

    .venv/bin/python bench/console/screenshots.py [--out docs]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from playwright.sync_api import sync_playwright
from tests.e2e.browser_helpers import CHROMIUM_ARGS
from tests.fakes.gateway_server import ADMIN_KEY, GatewayServer
from tests.fakes.tool_handler import ToolHandlerServer

from aiagentics.gateway.settings import GatewaySettings

SCHEMA = {"type": "object", "properties": {"limit": {"type": "integer"}}, "required": ["limit"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="docs")
    out = Path(parser.parse_args().out)
    out.mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="console-shots-"))
    settings = GatewaySettings(database=str(folder / "shots.db"), allow_private_network=True)
    with ToolHandlerServer() as handler, GatewayServer(settings) as gateway:
        api = gateway.client()
        tool = api.post(
            "/v1/tools",
            json={
                "name": "sql_query",
                "type": "http",
                "description": "Read-only SQL over the payments database",
                "handler_url": handler.url("/rows"),
                "parameters": SCHEMA,
            },
        ).json()
        agent = api.post(
            "/v1/agents",
            json={
                "name": "support",
                "model": "scripted",
                "instructions": "You are Acme's support agent. Look payments up before answering.",
                "tools": [tool["id"]],
                "model_options": {
                    "script": [
                        {"tool_calls": [{"name": "sql_query", "arguments": {"limit": 50}}]},
                        {"content": "7 payments failed today, all with the same card issuer."},
                    ]
                },
            },
        ).json()
        api.post(f"/v1/agents/{agent['id']}", json={"description": "Answers payment questions"})
        run = api.post(
            "/v1/runs", json={"agent_id": agent["id"], "input": "Summarize today's failed payments"}
        ).json()
        while api.get(f"/v1/runs/{run['id']}").json()["status"] == "in_progress":
            time.sleep(0.05)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=shutil.which("chromium"), headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1180, "height": 640})
            page.goto(gateway.url + "/console/login")
            page.fill("#key", ADMIN_KEY)
            page.click("button[type=submit]")
            page.wait_for_url("**/console/agents")
            page.goto(f"{gateway.url}/console/runs/{run['id']}")
            page.locator("svg#timeline rect.bar.tool").click()
            page.screenshot(path=str(out / "console-run.png"))
            page.goto(f"{gateway.url}/console/agents/{agent['id']}")
            page.fill("#try-input", "Summarize today's failed payments")
            page.click("#try-send")
            page.locator("#try-status").filter(has_text="completed").wait_for()
            page.screenshot(path=str(out / "console-agent.png"))
            browser.close()
        api.close()
    for name in ("console-run.png", "console-agent.png"):
        print(f"{out / name}: {(out / name).stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
