"""Saved plans (`aia plan --out FILE`): what was seen, so `aia apply FILE` can refuse if it moved.

A plan file is JSON: {"format": "aiagentics-plan", "format_version": 1, "plan": <the
render.plan_to_json document>, "state_hash", "remote" {id: marker}, "base_url",
"checksum"}. It holds no secret values (and `state_hash` takes them in only as
memory-hard digests): apply recompiles the files, and applies only when their hash
still equals `state_hash`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiagentics.plan.model import Plan
from aiagentics.plan.render import plan_from_json, plan_to_json

FORMAT = "aiagentics-plan"
FILE_VERSION = 1


class PlanFileError(Exception):
    """A plan file cannot be used: unreadable, corrupted, foreign, or for another project/API."""


@dataclass(frozen=True, slots=True)
class SavedPlan:
    """A plan read back from a file."""

    plan: Plan
    state_hash: str
    remote: dict[str, str]
    base_url: str


def _checksum(payload: dict[str, Any]) -> str:
    body = {k: v for k, v in payload.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def dump_plan(plan: Plan, base_url: str) -> str:
    """The plan file's text."""
    payload: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FILE_VERSION,
        "plan": plan_to_json(plan),
        "state_hash": plan.state_hash,
        "remote": dict(sorted(plan.remote.items())),
        "base_url": base_url,
    }
    payload["checksum"] = _checksum(payload)
    return json.dumps(payload, indent=2, sort_keys=True) + "\n"


def save_plan(plan: Plan, path: Path, base_url: str) -> None:
    """Write the plan file."""
    path.write_text(dump_plan(plan, base_url), encoding="utf-8")


def load_plan(path: Path) -> SavedPlan:
    """Read a plan file; raises PlanFileError with a clear reason."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"{path}: cannot read the plan file: {exc}") from None
    try:
        payload = json.loads(text)
    except ValueError:
        raise PlanFileError(
            f"{path}: not a plan file (not JSON); make one with `aia plan --out FILE`"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise PlanFileError(f"{path}: not an aiagentics plan file (made by `aia plan --out`)")
    if payload.get("format_version") != FILE_VERSION:
        raise PlanFileError(
            f"{path}: plan file format {payload.get('format_version')!r} is not supported "
            f"(this aia reads format {FILE_VERSION}); plan again"
        )
    if payload.get("checksum") != _checksum(payload):
        raise PlanFileError(f"{path}: the plan file is corrupted or was edited (checksum mismatch)")
    try:
        plan = plan_from_json(payload["plan"])
        return SavedPlan(
            plan=plan,
            state_hash=str(payload["state_hash"]),
            remote={str(k): str(v) for k, v in payload["remote"].items()},
            base_url=str(payload["base_url"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PlanFileError(f"{path}: the plan file is corrupted ({exc!r})") from None
