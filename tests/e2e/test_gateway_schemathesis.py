"""Schemathesis against the served OpenAPI document: no 5xx, responses match the schema.

Bounded (few examples per operation, fixed seed, no example database) so it stays fast;
`bench/fuzz/run.py` is the full-size run (every check, stateful phase). Multipart uploads
are checked without `negative_data_rejection`: in a form every value is text, so "a number
where a string is expected" cannot be expressed there. The bench's hooks (the one rule JSON
Schema cannot state) apply here too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

ST = str(Path(sys.executable).with_name("st"))
HOOKS_DIR = Path(__file__).resolve().parents[2] / "bench" / "fuzz"
CHECKS = (
    "not_a_server_error,response_schema_conformance,status_code_conformance,"
    "content_type_conformance,response_headers_conformance,positive_data_acceptance_by_meaning,"
    "allow_header_conformance"
)


def _run(gw: Any, tmp_path: Path, checks: str, *select: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            ST,
            "run",
            gw.url("/schema/openapi.json"),
            "-H",
            f"Authorization: Bearer {gw.api_key}",
            "--checks",
            checks,
            "--max-examples",
            "5",
            "--phases",
            "coverage,fuzzing",
            "--seed",
            "7",
            "--generation-database",
            "none",
            "--no-color",
            "--report-dir",
            str(tmp_path / "st-report"),
            *select,
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
        env={
            **os.environ,
            "SCHEMATHESIS_HOOKS": "hooks",
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(HOOKS_DIR), os.environ.get("PYTHONPATH")])
            ),
        },
    )


def test_schemathesis_against_the_served_schema(gateway_factory: Any, tmp_path: Path) -> None:
    gw = gateway_factory(
        settings={"rate_limit_per_second": 1_000_000, "rate_limit_burst": 1_000_000}
    )
    json_ops = _run(
        gw,
        tmp_path,
        CHECKS + ",negative_data_rejection,missing_required_header,unsupported_method",
        "--exclude-operation-id",
        "create_file",
    )
    assert json_ops.returncode == 0, json_ops.stdout[-8000:] + json_ops.stderr[-2000:]
    assert " passed" in json_ops.stdout
    upload = _run(gw, tmp_path, CHECKS, "--include-operation-id", "create_file")
    assert upload.returncode == 0, upload.stdout[-8000:] + upload.stderr[-2000:]
    # Nothing in the server log hints at an unhandled error.
    assert "Traceback" not in gw.output()
