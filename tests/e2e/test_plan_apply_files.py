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


CRM_TOOL = """\
apiVersion: aiagentics.io/v1
kind: Tool
metadata: {name: crm}
spec:
  type: http
  handler_url: https://crm.example.com/lookup
  headers:
    Authorization: %s
"""
TOKEN_A = "Bearer s3cr3t-token"
TOKEN_B = "Bearer r0tated-token"
LITERAL = "Bearer public"


def database_bytes(gateway: Gateway) -> bytes:
    """The SQLite file and its write-ahead log, as bytes on disk."""
    return b"".join(p.read_bytes() for p in gateway.database.parent.glob("gateway.db*"))


def test_tool_headers_from_env_are_compared_by_fingerprint_and_never_shown(
    gateway: Gateway, tmp_path: Path
) -> None:
    root = write_project(tmp_path / "p", **{"tools/crm.yaml": CRM_TOOL % "${CRM_TOKEN}"})
    env = {"CRM_TOKEN": TOKEN_A}
    applied = aia(root, gateway, "apply", "--yes", env=env)
    assert applied.returncode == 0, applied.stderr
    assert "s3cr3t" not in applied.stdout + applied.stderr
    tool = by_name(gateway, "tools", "crm")
    assert tool["headers"]["Authorization"].startswith("scrypt$")
    assert tool["sensitive_fields"] == ["headers.Authorization"]
    assert b"s3cr3t" not in database_bytes(gateway)
    # Right after apply: the fingerprint matches the value, nothing to do.
    assert aia(root, gateway, "plan", "--detailed-exitcode", env=env).returncode == 0

    # Another value: a change, shown as (sensitive) on both sides.
    rotated = aia(
        root, gateway, "plan", "--json", "--detailed-exitcode", env={"CRM_TOKEN": TOKEN_B}
    )
    assert rotated.returncode == 2, rotated.stderr
    (action,) = json.loads(rotated.stdout)["actions"]
    (change,) = action["changes"]
    assert change["path"] == "headers.Authorization" and change["sensitive"] is True
    assert change["before"] == change["after"] == "(sensitive)"
    assert "s3cr3t" not in rotated.stdout and "r0tated" not in rotated.stdout

    # From ${ENV} to a literal: neither the old secret nor the new value in any view.
    (root / "tools/crm.yaml").write_text(CRM_TOOL % LITERAL)
    out = tmp_path / "plan.json"
    views = [
        aia(root, gateway, "plan", *args, env=env)
        for args in (("--detailed-exitcode",), ("--json",), ("--out", str(out)))
    ]
    assert views[0].returncode == 2, views[0].stderr
    text = "".join(v.stdout + v.stderr for v in views) + out.read_text()
    assert "(sensitive)" in views[0].stdout
    assert "s3cr3t" not in text and LITERAL not in text
    assert aia(root, gateway, "apply", str(out), "--yes", env=env).returncode == 0
    assert b"s3cr3t" not in database_bytes(gateway) and LITERAL.encode() not in database_bytes(
        gateway
    )
    assert aia(root, gateway, "plan", "--detailed-exitcode").returncode == 0

    # Export writes a placeholder and names the variable; never the value.
    exported = tmp_path / "exported"
    result = aia(exported, gateway, "export", "--out", str(exported), "--name", "payments")
    assert result.returncode == 0, result.stderr
    assert "CRM_AUTHORIZATION" in result.stdout and LITERAL not in result.stdout
    written = (exported / "tools/crm.yaml").read_text()
    assert "${CRM_AUTHORIZATION}" in written and "public" not in written and "scrypt" not in written
    # With the variable set, the exported files match what the API holds.
    check = aia(
        exported, gateway, "plan", "--detailed-exitcode", env={"CRM_AUTHORIZATION": LITERAL}
    )
    assert check.returncode == 0, check.stdout + check.stderr


URL_TOOL = """\
apiVersion: aiagentics.io/v1
kind: Tool
metadata: {name: lookup}
spec:
  type: http
  handler_url: %s
"""


def test_any_field_from_env_is_write_only_until_it_becomes_literal(
    gateway: Gateway, tmp_path: Path
) -> None:
    root = write_project(
        tmp_path / "p", **{"tools/lookup.yaml": URL_TOOL % "https://crm.example.com/q?key=${KEY}"}
    )
    env = {"KEY": "urlk3y-5150"}
    assert aia(root, gateway, "apply", "--yes", env=env).returncode == 0
    tool = by_name(gateway, "tools", "lookup")
    assert tool["sensitive_fields"] == ["handler_url"]  # apply declared it
    assert tool["handler_url"].startswith("scrypt$")
    assert b"urlk3y" not in database_bytes(gateway)
    assert aia(root, gateway, "plan", "--detailed-exitcode", env=env).returncode == 0

    (root / "tools/lookup.yaml").write_text(URL_TOOL % "https://crm.example.com/q")
    plan = aia(root, gateway, "plan", "--json", "--detailed-exitcode")
    assert plan.returncode == 2, plan.stderr
    changes = {c["path"]: c for c in json.loads(plan.stdout)["actions"][0]["changes"]}
    assert changes["handler_url"]["before"] == changes["handler_url"]["after"] == "(sensitive)"
    assert changes["sensitive_fields"]["before"] == ["handler_url"]
    assert changes["sensitive_fields"]["after"] == []
    assert "urlk3y" not in plan.stdout and "crm.example.com" not in plan.stdout
    assert aia(root, gateway, "apply", "--yes").returncode == 0
    tool = by_name(gateway, "tools", "lookup")
    assert tool["handler_url"] == "https://crm.example.com/q" and tool["sensitive_fields"] == []
    assert aia(root, gateway, "plan", "--detailed-exitcode").returncode == 0
