"""Schemathesis at bench size against a real `aia serve`: every check, every phase, many cases.

Starts `aia serve` on loopback with a temporary project (rate limits off), seeds a few
objects of every kind so that lists have items and ids exist for the stateful phase to
find, then runs `st run` with `--checks all` and the examples, coverage, fuzzing and
stateful phases (links inferred from the document), and prints every unique failure
(operation, check, message) and the totals. Exit code 0 when there is none and the
server logged no traceback.

The upload (`create_file`) runs in a second pass without `negative_data_rejection`: in a
multipart form every value is text, so "a boolean where a string is expected" cannot be
sent. `hooks.py` holds the rules JSON Schema cannot state (chunk_overlap < chunk_size; which
paths `sensitive_fields` may name) and checks positive data by meaning (a 400 for stored
state, such as an id that names no object, is not a rejection of valid data).

    .venv/bin/python bench/fuzz/run.py [--max-examples 500] [--seed 1] [--workers 2] [-- ST ARGS]

The default size (500 examples per operation over the 56 operations, plus the coverage
and stateful phases) is about 30,000 generated cases; on a busy machine pass a smaller
`--max-examples` and say so when reporting figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.servers import free_port, wait_healthy

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
AIA = str(BIN / "aia")
ST = str(BIN / "st")


def seed(base: str, key: str) -> dict[str, str]:
    """A few objects of every kind (ids by kind), so that lists and lookups find something."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as http:

        def post(path: str, **kw: Any) -> dict[str, Any]:
            response = http.post(path, **kw)
            response.raise_for_status()
            return response.json()  # type: ignore[no-any-return]

        tool = post("/v1/tools", json={"name": "seed-tool", "type": "client"})
        file = post(
            "/v1/files",
            files={"file": ("notes.txt", b"Seeded notes for the fuzz run.\n", "text/plain")},
            data={"name": "seed-file"},
        )
        mem = post(
            "/v1/memory_stores",
            json={"name": "seed-memory", "kv": {}, "vector": {"files": [file["id"]]}},
        )
        agent = post(
            "/v1/agents",
            json={
                "name": "seed-agent",
                "model": "scripted",
                "instructions": "Answer briefly.",
                "tools": [tool["id"]],
                "memory": mem["id"],
                "files": [file["id"]],
            },
        )
        post(f"/v1/agents/{agent['id']}", json={"description": "a second version"})
        hook = post(
            "/v1/webhooks",
            json={
                "name": "seed-hook",
                "url": "https://example.com/hook",
                "events": ["run.completed"],
            },
        )
        run = post("/v1/runs", json={"agent_id": agent["id"], "input": "hello"})
        api_key = post("/v1/keys", json={"name": "seed-key", "scopes": ["read"]})
        return {
            "tool": tool["id"],
            "file": file["id"],
            "memory_store": mem["id"],
            "agent": agent["id"],
            "webhook": hook["id"],
            "run": run["id"],
            "key": api_key["id"],
        }


def unique_failures(ndjson: Path) -> list[tuple[str, str, str]]:
    """(operation, check code and title, message) of every distinct failure in an NDJSON log."""
    found: set[tuple[str, str, str]] = set()
    for line in ndjson.read_text().splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        if not finished:
            continue
        for checks in (finished.get("recorder") or {}).get("checks", {}).values():
            for check in checks:
                if check.get("status") != "failure":
                    continue
                info = (check.get("failure_info") or {}).get("failure") or {}
                found.add(
                    (
                        info.get("operation", "?"),
                        f"{info.get('code', '?')} {info.get('title', check.get('name'))}",
                        re.sub(r"[0-9]+", "N", (info.get("message") or "").split("\n", 1)[0])[:200],
                    )
                )
    return sorted(found)


def main() -> int:
    """Run the bench; 0 when schemathesis found nothing."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=500, help="cases per operation")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", default="2", help="schemathesis workers (or auto)")
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--keep", action="store_true", help="keep the temporary project")
    parser.add_argument("st_args", nargs="*", help="more `st run` arguments (after --)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="aia-fuzz-"))
    key = f"sk_test_{secrets.token_hex(20)}"
    (work / "aiagentics.toml").write_text(
        '[project]\nname = "fuzz"\n[gateway]\n'
        "rate_limit_per_second = 1000000\nrate_limit_burst = 1000000\n"
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "AIAGENTICS_API_KEY": key}
    env.pop("AIAGENTICS_GATEWAY_SETTINGS", None)
    st_env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "hooks",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
    }
    log = (work / "server.log").open("wb")
    server = subprocess.Popen(
        [AIA, "-C", str(work), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_healthy(f"{base}/v1/health", server)
        ids = seed(base, key)
        sys.stdout.flush()
        print("seeded:", " ".join(f"{k}={v}" for k, v in ids.items()), flush=True)
        report = work / "report"
        started = time.monotonic()
        common = [
            "-H",
            f"Authorization: Bearer {key}",
            "--max-examples",
            str(args.max_examples),
            "--phases",
            args.phases,
            "--seed",
            str(args.seed),
            "--workers",
            args.workers,
            "--generation-database",
            "none",
            "--continue-on-failure",
            "--no-color",
            "--report",
            "ndjson",
            "--report-dir",
            str(report),
        ]
        # In a multipart form every value is text (`name=true` is the string "true"), so the
        # upload runs without negative_data_rejection: "a boolean where a string is
        # expected" cannot be sent there.
        passes = [
            [
                "--checks",
                "all",
                "--exclude-checks",
                "positive_data_acceptance",
                "--exclude-operation-id",
                "create_file",
            ],
            [
                "--checks",
                "all",
                "--exclude-checks",
                "negative_data_rejection,positive_data_acceptance",
                "--include-operation-id",
                "create_file",
            ],
        ]
        returncodes = []
        for selection in passes:
            st = subprocess.run(
                [ST, "run", f"{base}/schema/openapi.json", *common, *selection, *args.st_args],
                cwd=work,
                env=st_env,
            )
            returncodes.append(st.returncode)
        elapsed = time.monotonic() - started
        failures: list[tuple[str, str, str]] = []
        for ndjson in report.glob("*.ndjson"):
            failures += unique_failures(ndjson)
        by_check = Counter(title for _, title, _ in failures)
        print(
            f"\n== {len(failures)} unique failures in {elapsed:.0f} s "
            f"(max-examples {args.max_examples}, seed {args.seed})"
        )
        for operation, title, message in failures:
            print(f"  {operation}  [{title}]  {message}")
        for check, count in by_check.most_common():
            print(f"  {count:4d}  {check}")
        for i, code in enumerate(returncodes, 1):
            if code and not failures:
                # No failure recorded, yet schemathesis ended badly: it stopped on an error of
                # its own (printed above), so part of the run never happened.
                print(f"  pass {i}: schemathesis exited with {code} (see its output above)")
        server_log = (work / "server.log").read_text(errors="replace")
        if "Traceback" in server_log:
            print("\nthe server log has a traceback:\n" + server_log[-6000:])
            return 1
        return 0 if not any(returncodes) and not failures else 1
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        if args.keep:
            print("project kept in", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
