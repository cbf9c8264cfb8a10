"""`aia export`: the API's resources as YAML in the project layout; plan right after shows nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tests.e2e.conftest import Gateway
from tests.e2e.plan_helpers import aia, by_name

pytestmark = pytest.mark.e2e


def test_export_round_trip_adopts_resources(gateway: Gateway, tmp_path: Path) -> None:
    with gateway.client() as client:
        upload = client.post(
            "files",
            files={"file": ("faq.md", b"# FAQ\nRefunds take 5 days.\n")},
            data={"name": "faq"},
        )
        upload.raise_for_status()
        file_id = upload.json()["id"]
        tool = client.post(
            "tools",
            json={
                "name": "refund",
                "type": "client",
                "description": "Refund",
                "metadata": {"team": "pay"},
            },
        ).json()
        mem = client.post(
            "memory_stores", json={"name": "notes", "vector": {"files": [file_id]}}
        ).json()
        client.post(
            "agents",
            json={
                "name": "support",
                "model": "scripted",
                "instructions": "Hello {{ name }}\nBe brief.\n",
                "tools": [tool["id"]],
                "memory": mem["id"],
                "files": [file_id],
                "guardrails": {"max_steps": 4},
            },
        ).raise_for_status()
        client.post(
            "webhooks",
            json={"name": "ops", "url": "https://example.com/h", "events": ["run.failed"]},
        ).raise_for_status()
        # The seed's shape: no name. Export names it after its host, adoption gives it that name.
        nameless = client.post(
            "webhooks", json={"url": "https://hooks.example.com/x", "events": ["run.completed"]}
        ).json()
        assert nameless["name"] is None
        client.post(
            "tools", json={"name": "theirs", "type": "client", "metadata": {"aia.project": "other"}}
        ).raise_for_status()

    out = tmp_path / "adopted"
    result = aia(out, gateway, "export", "--out", str(out), "--name", "payments")
    assert result.returncode == 0, result.stderr
    agent = yaml.safe_load((out / "agents/support.yaml").read_text())
    assert agent["spec"]["tools"] == ["refund"] and agent["spec"]["memory"] == "notes"
    assert agent["spec"]["guardrails"] == {"max_steps": 4}
    assert (out / "files/faq.md").read_bytes() == b"# FAQ\nRefunds take 5 days.\n"
    assert (out / "webhooks/ops.yaml").is_file() and (out / "memory/notes.yaml").is_file()
    derived = yaml.safe_load((out / "webhooks/hooks-example-com.yaml").read_text())
    assert derived["metadata"] == {"name": "hooks-example-com"}
    assert derived["spec"] == {"url": "https://hooks.example.com/x", "events": ["run.completed"]}
    # A tool's description is written once, where the files keep it: spec.description.
    refund = yaml.safe_load((out / "tools/refund.yaml").read_text())
    assert refund["spec"]["description"] == "Refund" and "description" not in refund["metadata"]
    check = aia(out, gateway, "validate")
    assert check.returncode == 0 and "warning" not in check.stdout, check.stdout
    assert not (out / "tools/theirs.yaml").exists() and "Tool/theirs" in result.stdout
    assert by_name(gateway, "tools", "refund")["metadata"] == {
        **by_name(gateway, "tools", "refund")["metadata"],
        "team": "pay",
        "aia.project": "payments",
    }

    plan = aia(out, gateway, "plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes" in plan.stdout
    assert by_name(gateway, "webhooks", "hooks-example-com")["id"] == nameless["id"]
    # The exported prompt renders back to the same text, template markers included.
    assert by_name(gateway, "agents", "support")["instructions"] == "Hello {{ name }}\nBe brief.\n"
    again = aia(out, gateway, "export", "--out", str(out))
    assert again.returncode == 1 and "exists" in again.stderr
