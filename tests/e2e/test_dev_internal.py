"""`aia dev` and the CLI together: internal labels never leave the gateway, a generated secret is shown once."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from standardwebhooks.webhooks import Webhook
from tests.e2e.dev_helpers import CLIENT_TOOL, agent_yaml, start_dev, wait_for, write_project
from tests.e2e.plan_helpers import aia
from tests.engine.webhooks.webhook_receiver import running_receiver

pytestmark = pytest.mark.e2e

WEBHOOK = """apiVersion: aiagentics.io/v1
kind: Webhook
metadata:
  name: ops
spec:
  url: {url}
  events: [run.completed]
"""
SECRET_LINE = re.compile(r"Webhook/ops: signing secret: (whsec_\S+)")


def test_plan_export_and_the_api_never_see_dev_labels_and_the_secret_is_shown_once(
    tmp_path: Path,
) -> None:
    root = tmp_path / "project"
    write_project(root)
    (root / "agents" / "helper.yaml").write_text(agent_yaml(tools="ask"))
    (root / "tools" / "ask.yaml").write_text(CLIENT_TOOL.format(name="ask"))
    with running_receiver() as rec:
        (root / "webhooks").mkdir()
        (root / "webhooks" / "ops.yaml").write_text(WEBHOOK.format(url=rec.url))
        dev = start_dev(root)
        try:
            target = SimpleNamespace(api_key=dev.api_key, base_url=dev.origin + "/v1")
            with dev.client() as c:
                objects = [
                    o
                    for path in ("agents", "tools", "webhooks")
                    for o in c.get(path).json()["data"]
                ]
                assert len(objects) == 3
                for obj in objects:
                    assert not any(k == "aia.dev_source" for k in obj["metadata"]), obj
                    one = c.get(f"{obj['object']}s/{obj['id']}").json()
                    assert "aia.dev_source" not in one["metadata"]
                # Still declared: the API refuses to change it and names the file.
                agent = next(o for o in objects if o["object"] == "agent")
                refused = c.post(f"agents/{agent['id']}", json={"description": "x"})
                assert refused.status_code == 409 and "agents/helper.yaml" in refused.text

            plan = aia(root, target, "plan", "--detailed-exitcode")  # type: ignore[arg-type]
            assert plan.returncode == 0, plan.stdout + plan.stderr
            assert "No changes" in plan.stdout

            out = tmp_path / "exported"
            export = aia(root, target, "export", "--out", str(out), "--name", "devtest")  # type: ignore[arg-type]
            assert export.returncode == 0, export.stdout + export.stderr
            written = "".join(p.read_text() for p in out.rglob("*.yaml"))
            assert "aia." not in written and "webhooks/ops.yaml" in export.stdout
            check = aia(out, None, "validate")
            assert check.returncode == 0, check.stdout + check.stderr

            # The generated signing secret: printed once in the dev terminal, and the real one.
            secret = wait_for(lambda: SECRET_LINE.search(dev.output()))[1]
            assert "will not be shown again" in dev.output()
            with dev.client() as c:
                run = c.post("runs", json={"agent": "helper", "input": "ping"})
                assert run.status_code == 200, run.text
            delivery = wait_for(lambda: rec.received[:1], timeout=20)[0]
            assert (
                Webhook(secret).verify(delivery.body, delivery.headers)["type"] == "run.completed"
            )
            # A reload that creates nothing shows no secret again.
            (root / "agents" / "helper.yaml").write_text(
                agent_yaml(tools="ask", instructions="Hi.")
            )
            wait_for(lambda: "reloaded in" in dev.output())
            assert len(SECRET_LINE.findall(dev.output())) == 1
        finally:
            dev.stop()
