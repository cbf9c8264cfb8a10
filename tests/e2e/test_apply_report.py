"""`aia apply --json` reports and Ctrl-C during an apply, against `aia serve`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook
from tests.e2e.conftest import AIA, Gateway
from tests.e2e.plan_helpers import agent, aia, listing, tool, write_project
from tests.engine.webhooks.webhook_receiver import running_receiver

pytestmark = pytest.mark.e2e


def test_apply_json_reports_done_failed_and_not_done(gateway: Gateway, tmp_path: Path) -> None:
    # The server caps metadata values at 1000 characters: the second tool is refused.
    bad = tool("b-bad").replace(
        "  description:", f"  labels: {{note: {'x' * 1001}}}\n  description:"
    )
    root = write_project(
        tmp_path / "p",
        **{"tools/a.yaml": tool("a-ok"), "tools/b.yaml": bad, "tools/c.yaml": tool("c-later")},
    )
    failed = aia(root, gateway, "apply", "--yes", "--json")
    assert failed.returncode == 1
    report = json.loads(failed.stdout)  # stdout is the report only
    assert report["format_version"] == "1" and report["status"] == "failed"
    assert [(a["action"], a["address"]) for a in report["done"]] == [("create", "Tool/a-ok")]
    assert report["done"][0]["remote_id"] == listing(gateway, "tools")[0]["id"]
    assert report["failed"]["address"] == "Tool/b-bad"
    assert report["failed"]["error"]["status"] == 400 and report["failed"]["error"]["message"]
    assert [a["address"] for a in report["not_done"]] == ["Tool/c-later"]
    assert "apply failed at Tool/b-bad" in failed.stderr

    (root / "tools/b.yaml").write_text(tool("b-bad"))
    rerun = aia(root, gateway, "apply", "--yes", "--json")
    assert rerun.returncode == 0, rerun.stderr
    again = json.loads(rerun.stdout)
    assert again["status"] == "applied" and again["failed"] is None and again["not_done"] == []
    assert sorted(a["address"] for a in again["done"]) == ["Tool/b-bad", "Tool/c-later"]
    nothing = json.loads(aia(root, gateway, "apply", "--yes", "--json").stdout)
    assert nothing["status"] == "no_changes" and nothing["done"] == []


def test_apply_json_refusal_lists_everything_as_not_done(gateway: Gateway, tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", **{"tools/a.yaml": tool("a-ok")})
    refused = aia(root, gateway, "apply", "--json")  # no TTY and no --yes
    assert refused.returncode == 1
    report = json.loads(refused.stdout)
    assert report["status"] == "refused" and "--yes" in report["error"]["message"]
    assert [a["address"] for a in report["not_done"]] == ["Tool/a-ok"]
    assert listing(gateway, "tools") == []


def _listing_when_allowed(gw: Gateway) -> list[dict[str, Any]]:
    """The tools, waiting out the slow gateway's rate limit."""
    with gw.client() as client:
        for _ in range(30):
            r = client.get("tools", params={"limit": 100})
            if r.status_code != 429:
                assert r.status_code == 200, r.text
                return list(r.json()["data"])
            time.sleep(float(r.headers.get("retry-after", "1")))
    raise AssertionError("still rate limited")


def test_ctrl_c_during_apply_reports_done_and_not_done(
    gateway_factory: Any, tmp_path: Path
) -> None:
    # A slow gateway (one request a second after a small burst) so Ctrl-C lands midway: four
    # times as many tools as the burst, so that the bucket refilling while a loaded machine
    # plans slowly still leaves most creates waiting.
    gw: Gateway = gateway_factory(settings={"rate_limit_burst": 12, "rate_limit_per_second": 1})
    names = [f"t{i:02d}" for i in range(48)]
    root = write_project(tmp_path / "p", **{f"tools/{n}.yaml": tool(n) for n in names})
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIAGENTICS_")}
    env.update(NO_COLOR="1", AIAGENTICS_API_KEY=gw.api_key, AIAGENTICS_BASE_URL=gw.base_url)
    proc = subprocess.Popen(
        [AIA, "-C", str(root), "apply", "--yes"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    deadline = time.time() + 60
    while ": done" not in (line := proc.stdout.readline()):
        assert line and time.time() < deadline, "apply ended before any change"
    time.sleep(0.05)
    interrupted_at = time.time()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    took = time.time() - interrupted_at
    # When this fails, say what the apply printed and how long it ran after the signal.
    assert proc.returncode == 1, (
        f"{took:.1f}s after SIGINT; stderr: {err!r}; stdout: {out[-1500:]!r}"
    )
    assert "Traceback" not in err and "Interrupted" in err
    created = {t["name"] for t in _listing_when_allowed(gw)}
    done_part = err.split("Done before the interruption")[1].split("Not done")[0]
    done_part = done_part.split("In flight")[0]  # that one may or may not have been created
    not_done = err.split("Not done")[1]
    assert 0 < len(created) < len(names)
    for name in names:
        if f"Tool/{name}" in not_done:
            assert name not in created
        if f"Tool/{name}" in done_part:
            assert name in created
    assert any(f"Tool/{n}" in not_done for n in names)


HOOK = """\
apiVersion: aiagentics.io/v1
kind: Webhook
metadata: {{name: {name}}}
spec:
  url: {url}
  events: [run.completed]
"""


def test_apply_shows_a_generated_webhook_secret_once(gateway_factory: Any, tmp_path: Path) -> None:
    gw: Gateway = gateway_factory(settings={"allow_private_network": True})
    with running_receiver() as first, running_receiver() as second:
        root = write_project(
            tmp_path / "p",
            **{
                "webhooks/ops.yaml": HOOK.format(name="ops", url=first.url),
                "agents/a.yaml": agent(tools=""),
            },
        )
        human = aia(root, gw, "apply", "--yes")
        assert human.returncode == 0, human.stderr
        shown = re.findall(r"signing secret: (whsec_\S+)", human.stdout)
        assert len(shown) == 1 and "it will not be shown again" in human.stdout
        assert "rotate_secret" in human.stdout

        (root / "webhooks/alerts.yaml").write_text(HOOK.format(name="alerts", url=second.url))
        applied = aia(root, gw, "apply", "--yes", "--json")
        assert applied.returncode == 0, applied.stderr
        report = json.loads(applied.stdout)
        (created,) = report["done"]
        assert created["address"] == "Webhook/alerts" and created["secret"].startswith("whsec_")
        assert "it will not be shown again" in applied.stderr

        # The secrets shown are the ones that sign the deliveries.
        with gw.client() as c:
            assert c.post("runs", json={"agent": "support", "input": "ping"}).status_code == 200
        for receiver, secret in ((first, shown[0]), (second, created["secret"])):
            deadline = time.monotonic() + 20
            while not receiver.received and time.monotonic() < deadline:
                time.sleep(0.05)
            delivery = receiver.received[0]
            assert (
                Webhook(secret).verify(delivery.body, delivery.headers)["type"] == "run.completed"
            )

        # Nothing is created again: no secret is shown again.
        again = aia(root, gw, "apply", "--yes", "--json")
        assert "whsec_" not in again.stdout + again.stderr
