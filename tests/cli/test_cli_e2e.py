"""The real `aia` against a real `aia serve`: errors, pipes, runs, targets, export."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.conftest import AIA
from tests.e2e.plan_helpers import tool, write_project
from tests.e2e.runs_helpers import RunWorld, create, scoped_key, start_world

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunWorld]:
    yield from start_world(tmp_path_factory.mktemp("cli"))


def aia(
    world: RunWorld, *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = {
        **os.environ,
        "AIAGENTICS_API_KEY": world.gateway.api_key,
        "AIAGENTICS_BASE_URL": world.gateway.base_url,
        **(env or {}),
    }
    return subprocess.run(
        [AIA, *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=60,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
    )


def test_plan_out_into_a_closed_pipe_still_saves_the_plan(world: RunWorld, tmp_path: Path) -> None:
    files = {f"tools/t{n}.yaml": tool(name=f"t{n}") for n in range(40)}
    project = write_project(tmp_path / "p", name="piped", **files)
    env = {
        **os.environ,
        "AIAGENTICS_API_KEY": world.gateway.api_key,
        "AIAGENTICS_BASE_URL": world.gateway.base_url,
    }
    done = subprocess.run(
        f"'{AIA}' plan --out p.out | head -n 1",
        shell=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=project,
        timeout=60,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert (project / "p.out").is_file(), done.stderr
    shown = aia(world, "apply", "p.out", cwd=project)
    assert shown.returncode == 0, shown.stderr


def test_a_failed_run_shows_bracketed_text_as_is(world: RunWorld, tmp_path: Path) -> None:
    with world.client() as client:
        create(client, "agents", {"name": "unrouted", "model": "local/llama"})
    result = aia(world, "run", "unrouted", "hi", cwd=tmp_path)
    assert result.returncode == 1
    assert "[providers.local]" in result.stdout + result.stderr, result.stdout + result.stderr


def test_a_gateway_that_is_not_there_is_one_error_with_a_hint(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "AIAGENTICS_API_KEY": "sk_x",
        "AIAGENTICS_BASE_URL": "http://127.0.0.1:9/v1",
    }
    done = subprocess.run(
        [AIA, "runs", "get", "run_x"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0].startswith("error: cannot reach the API at http://127.0.0.1:9/v1")
    assert lines[1].startswith("hint: is the gateway running")


@pytest.fixture(scope="module")
def asker(world: RunWorld) -> str:
    with world.client() as client:
        ask = create(client, "tools", {"name": "ask_human", "type": "client"})
        script = [{"tool_calls": [{"name": "ask_human", "arguments": {"q": "ok?"}}]}]
        create(
            client,
            "agents",
            {
                "name": "asker",
                "model": "scripted",
                "tools": [ask["id"]],
                "model_options": {"script": script},
            },
        )
    return "asker"


def test_a_paused_run_exits_3_and_runs_submit_resumes_it(
    world: RunWorld, asker: str, tmp_path: Path
) -> None:
    paused = aia(world, "run", asker, "echo me back", cwd=tmp_path)
    assert paused.returncode == 3, paused.stderr
    hint = paused.stderr.splitlines()[-1]
    assert hint.startswith("hint: resume it with `aia runs submit run_"), paused.stderr
    command = hint.split("`")[1].split()[1:]  # runs submit RUN --output CALL=VALUE
    run_id = command[2]
    listed = aia(world, "runs", "list", "--status", "requires_action", cwd=tmp_path)
    assert listed.returncode == 0 and run_id in listed.stdout, listed.stdout
    answer = [part.replace("=VALUE", '={"approved": true}') for part in command]
    resumed = aia(world, *answer, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "echo me back" in resumed.stdout and "completed" in resumed.stdout
    shown = aia(world, "runs", "get", run_id, "--json", cwd=tmp_path)
    assert '"status": "completed"' in shown.stdout


def test_no_wait_prints_the_id_and_cancel_stops_the_run(
    world: RunWorld, asker: str, tmp_path: Path
) -> None:
    started = aia(world, "run", asker, "later", "--no-wait", cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.strip()
    assert run_id.startswith("run_")
    listed = aia(world, "runs", "list", "--json", cwd=tmp_path)
    assert run_id in listed.stdout
    # wait until it pauses (the scripted model asks at once), then cancel it
    deadline = time.monotonic() + 20
    while json.loads(aia(world, "runs", "get", run_id, "--json", cwd=tmp_path).stdout)[
        "status"
    ] in ("queued", "in_progress"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    cancelled = aia(world, "runs", "cancel", run_id, cwd=tmp_path)
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout.strip() == f"{run_id}: cancelled"


def test_plan_and_apply_name_their_target_first(world: RunWorld, tmp_path: Path) -> None:
    project = write_project(tmp_path / "t", name="targeted", **{"tools/a.yaml": tool(name="a")})
    key = world.gateway.api_key
    expected = (
        f"target: {world.gateway.base_url} · project targeted · environment test · "
        f"key {key[:8]}...{key[-4:]} (from AIAGENTICS_API_KEY)"
    )
    planned = aia(world, "plan", cwd=project)
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.splitlines()[0] == expected
    as_json = json.loads(aia(world, "plan", "--json", cwd=project).stdout)
    assert as_json["target"] == {
        "base_url": world.gateway.base_url,
        "project": "targeted",
        "env": None,
        "environment": "test",
        "key_hint": f"{key[:8]}...{key[-4:]}",
        "key_source": "AIAGENTICS_API_KEY",
    }
    applied = aia(world, "apply", "--yes", cwd=project)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.splitlines()[0] == expected
    assert key not in applied.stdout + applied.stderr + planned.stdout


def test_export_of_nothing_says_why_and_how(world: RunWorld, tmp_path: Path) -> None:
    # a scope of its own, so the other tests' resources are not in view
    secret = scoped_key(world.gateway, "exports", "test")["Authorization"].split()[1]
    env = {"AIAGENTICS_API_KEY": secret}
    empty = aia(world, "export", "--out", str(tmp_path / "e"), cwd=tmp_path, env=env)
    assert empty.returncode == 1
    assert empty.stderr.startswith("error: nothing to export: the API at "), empty.stderr
    source = write_project(tmp_path / "src", name="payments", **{"tools/r.yaml": tool()})
    assert aia(world, "apply", "--yes", cwd=source, env=env).returncode == 0
    new = aia(world, "export", "--out", str(tmp_path / "new-folder"), cwd=tmp_path, env=env)
    assert new.returncode == 1
    assert "belongs to another project (payments), and this one is 'new-folder'" in new.stderr
    assert "hint: export one of them with `aia export --name payments --out DIR`" in new.stderr
    named = aia(
        world, "export", "--name", "payments", "--out", str(tmp_path / "n"), cwd=tmp_path, env=env
    )
    assert named.returncode == 0, named.stderr
    assert (tmp_path / "n" / "tools" / "refund.yaml").is_file()
