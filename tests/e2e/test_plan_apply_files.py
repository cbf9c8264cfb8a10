"""Files, memory and webhooks through plan/apply: uploads only on content change, secrets hidden."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.e2e.conftest import Gateway
from tests.e2e.plan_helpers import aia, by_name, listing, write_project

pytestmark = pytest.mark.e2e

RESOURCES = """\
apiVersion: aiagentics.io/v1
kind: File
metadata: {name: faq}
spec: {path: files/faq.md}
---
apiVersion: aiagentics.io/v1
kind: Memory
metadata: {name: notes}
spec:
  vector: {files: [faq]}
---
apiVersion: aiagentics.io/v1
kind: Webhook
metadata: {name: ops}
spec:
  url: https://example.com/hook
  events: [run.failed]
  secret: ${OPS_SECRET}
---
apiVersion: aiagentics.io/v1
kind: Agent
metadata: {name: support}
spec:
  model: scripted
  instructions: Answer from the FAQ.
  memory: notes
  files: [faq]
"""
SECRET_1 = "whsec_c2VjcmV0LW9uZS1zZWNyZXQtb25l"
SECRET_2 = "whsec_c2VjcmV0LXR3by1zZWNyZXQtdHdv"


def test_files_upload_on_content_change_and_secrets_stay_hidden(
    gateway: Gateway, tmp_path: Path
) -> None:
    root = write_project(
        tmp_path / "p", **{"memory/all.yaml": RESOURCES, "files/faq.md": "Refunds: 5 days.\n"}
    )
    env = {"OPS_SECRET": SECRET_1}
    created = aia(root, gateway, "plan", "--json", env=env)
    assert SECRET_1 not in created.stdout + created.stderr and "(sensitive)" in created.stdout
    assert aia(root, gateway, "apply", "--yes", env=env).returncode == 0
    faq = by_name(gateway, "files", "faq")
    assert faq["metadata"]["aia.content_hash"] == faq["sha256"]
    assert by_name(gateway, "memory_stores", "notes")["vector"]["files"] == [faq["id"]]
    assert aia(root, gateway, "plan", "--detailed-exitcode", env=env).returncode == 0

    # A new secret: the server never reports it, the plan says it changes without showing it.
    env = {"OPS_SECRET": SECRET_2}
    secret = aia(root, gateway, "plan", "--json", "--detailed-exitcode", env=env)
    assert secret.returncode == 2
    (action,) = json.loads(secret.stdout)["actions"]
    assert action["address"] == "Webhook/ops"
    assert (
        action["changes"][0]["path"] == "secret" and action["changes"][0]["after"] == "(sensitive)"
    )
    assert SECRET_2 not in secret.stdout and SECRET_1 not in secret.stdout
    assert aia(root, gateway, "apply", "--yes", env=env).returncode == 0
    assert by_name(gateway, "files", "faq")["id"] == faq["id"]  # unchanged content: no upload

    # New content: the file is replaced and everything using it is re-pointed.
    (root / "files/faq.md").write_text("Refunds: 3 days.\n")
    plan = aia(root, gateway, "plan", env=env)
    assert "-/+ File/faq" in plan.stdout and "content cannot change in place" in plan.stdout
    assert aia(root, gateway, "apply", "--yes", env=env).returncode == 0
    (new,) = listing(gateway, "files")
    assert new["id"] != faq["id"] and new["name"] == "faq"
    assert by_name(gateway, "agents", "support")["files"] == [new["id"]]
    assert by_name(gateway, "memory_stores", "notes")["vector"]["files"] == [new["id"]]
    assert aia(root, gateway, "plan", "--detailed-exitcode", env=env).returncode == 0
