"""The apply engine's two targets carry the same plans out to the same state.

Each scenario runs against `RemoteTarget` (the API client, a real gateway on loopback)
and `LocalTarget` (in-process, as `aia dev` reloads), from the same files, and compares
what each store then holds, by name. By design the two differ in two ways, asserted
too: `LocalTarget` keeps ids stable across a replace (a new object over the API), and
it undoes a whole apply that fails midway (over the API what was done stays).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
from tests.client.conftest import LiveApi, live_api  # noqa: F401

from aiagentics.apply.engine import ApplyResult, ApplyRun
from aiagentics.apply.remote import RemoteTarget
from aiagentics.apply.steps import StepKind
from aiagentics.client import ApiClient, read_resources
from aiagentics.compiler import compile_project
from aiagentics.compiler.state import DesiredState
from aiagentics.engine.definitions import INTERNAL_LABELS
from aiagentics.gateway.reload.local_apply import apply_files, file_hashes, remote_objects
from aiagentics.gateway.services import Services, build_services
from aiagentics.gateway.settings import GatewaySettings
from aiagentics.plan import ActionType, Plan, RemoteState, make_plan
from aiagentics.plan.diff import normalize_remote
from aiagentics.project import load_project
from aiagentics.storage.base import Scope

SCOPE = Scope("contract", "test")
HEADER = "apiVersion: aiagentics.io/v1\n"


def tool(
    name: str, description: str = "looks things up", http: bool = False, labels: str = ""
) -> str:
    kind = "type: http\n  handler_url: https://example.com/tool" if http else "type: client"
    meta = f"\n  labels: {labels}" if labels else ""
    return (
        f"{HEADER}kind: Tool\nmetadata:\n  name: {name}{meta}\n"
        f'spec:\n  {kind}\n  description: "{description}"\n'
    )


def agent(tools: str, instructions: str = "Help.") -> str:
    return (
        f"{HEADER}kind: Agent\nmetadata: {{name: helper}}\nspec:\n  model: scripted\n"
        f'  instructions: "{instructions}"\n  tools: [{tools}]\n  files: [guide]\n  memory: notes\n'
    )


BASE = {
    "files/guide.md": "Refunds take five days.\n",
    "specs/guide.yaml": f"{HEADER}kind: File\nmetadata: {{name: guide}}\nspec: {{path: files/guide.md}}\n",
    "specs/notes.yaml": f"{HEADER}kind: Memory\nmetadata: {{name: notes}}\nspec: {{kv: {{scope: project}}}}\n",
    "specs/lookup.yaml": tool("lookup"),
    "specs/notify.yaml": tool("notify", "tells someone"),
    "specs/helper.yaml": agent("lookup, notify"),
}


def write(root: Path, files: dict[str, str]) -> None:
    for old in (root / "specs").glob("*.yaml") if (root / "specs").is_dir() else ():
        old.unlink()
    (root / "aiagentics.toml").parent.mkdir(parents=True, exist_ok=True)
    (root / "aiagentics.toml").write_text('[project]\nname = "contract"\npaths = ["specs"]\n')
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def compiled(root: Path) -> DesiredState:
    result = compile_project(load_project(root))
    assert result.state is not None, result.diagnostics
    return result.state


@dataclass
class Applied:
    plan: Plan
    result: ApplyResult

    @property
    def actions(self) -> list[tuple[ActionType, str]]:
        return [(a.type, a.address) for a in self.plan.changes]


class Target(Protocol):
    name: str

    async def apply(self, root: Path) -> Applied: ...

    async def objects(self) -> dict[str, list[dict[str, Any]]]: ...


class Remote:
    name = "remote"

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def apply(self, root: Path) -> Applied:
        desired = compiled(root)
        hashes = file_hashes(desired, root)
        plan = make_plan(desired, RemoteState(read_resources(self.client)), hashes)
        target = RemoteTarget(self.client, lambda rel: (root / rel).read_bytes())
        return Applied(plan, await ApplyRun(plan, desired, target, file_hashes=hashes).run())

    async def objects(self) -> dict[str, list[dict[str, Any]]]:
        return read_resources(self.client)


class Local:
    name = "local"

    def __init__(self, services: Services) -> None:
        self.services = services

    async def apply(self, root: Path) -> Applied:
        applied = await apply_files(self.services, SCOPE, compiled(root), root)
        return Applied(applied.plan, applied.result)

    async def objects(self) -> dict[str, list[dict[str, Any]]]:
        return await remote_objects(self.services, SCOPE)


@pytest.fixture
def remote(live_api: LiveApi) -> Iterator[Remote]:  # noqa: F811
    with ApiClient(live_api.base_url, live_api.api_key) as client:
        yield Remote(client)


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[Local]:
    settings = GatewaySettings(
        database=str(tmp_path / "local" / "dev.db"),
        default_project=SCOPE.project,
        bootstrap_api_key="sk_test_" + secrets.token_hex(20),
    )
    services = build_services(settings)
    await services.start()
    yield Local(services)
    await services.stop()


@pytest.fixture
def targets(remote: Remote, local: Local) -> tuple[Target, Target]:
    return (remote, local)


def by_name(objects: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """What a store holds, keyed by address, with ids shown as names and server fields out."""
    names = {o["id"]: f"{kind}/{o['name']}" for kind, items in objects.items() for o in items}
    out: dict[str, dict[str, Any]] = {}
    for kind, items in objects.items():
        for obj in items:
            body = normalize_remote(kind, obj, lambda rid: names.get(rid, rid))
            meta = obj.get("metadata") or {}
            body["labels"] = {k: v for k, v in meta.items() if k not in INTERNAL_LABELS}
            out[f"{kind}/{obj['name']}"] = body
    return out


def ids(objects: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    return {f"{kind}/{o['name']}": o["id"] for kind, items in objects.items() for o in items}


async def apply_both(
    targets: tuple[Target, Target], roots: dict[str, Path], files: dict[str, str]
) -> dict[str, Applied]:
    out = {}
    for t in targets:
        write(roots[t.name], files)
        out[t.name] = await t.apply(roots[t.name])
    return out


async def states(targets: tuple[Target, Target]) -> dict[str, dict[str, dict[str, Any]]]:
    return {t.name: by_name(await t.objects()) for t in targets}


@pytest.fixture
def roots(tmp_path: Path) -> dict[str, Path]:
    # One project folder per target, the same files in both (a File's path is relative).
    return {"remote": tmp_path / "remote-project", "local": tmp_path / "local-project"}


def steps_of(applied: Applied) -> list[tuple[StepKind, str]]:
    return [(d.step.kind, d.step.address) for d in applied.result.done]


async def test_create_update_replace_delete_reach_the_same_state(
    targets: tuple[Target, Target], roots: dict[str, Path]
) -> None:
    # Create: referenced kinds before the kinds that reference them.
    created = await apply_both(targets, roots, BASE)
    for applied in created.values():
        assert applied.result.ok, applied.result.error
        order = [address for _, address in steps_of(applied)]
        assert order.index("File/guide") < order.index("Agent/helper")
        assert order.index("Memory/notes") < order.index("Agent/helper")
        assert order.index("Tool/lookup") < order.index("Agent/helper")
    assert created["remote"].actions == created["local"].actions
    first = await states(targets)
    assert first["remote"] == first["local"]
    assert first["local"]["Agent/helper"]["tools"] == ["Tool/lookup", "Tool/notify"]
    ids_before = {t.name: ids(await t.objects()) for t in targets}

    # Update in place: same ids on both targets.
    edited = {**BASE, "specs/lookup.yaml": tool("lookup", "finds orders")}
    edited["specs/helper.yaml"] = agent("lookup, notify", "Help kindly.")
    updated = await apply_both(targets, roots, edited)
    assert updated["remote"].actions == updated["local"].actions
    assert {a for _, a in updated["local"].actions} == {"Tool/lookup", "Agent/helper"}
    second = await states(targets)
    assert second["remote"] == second["local"]
    assert second["local"]["Tool/lookup"]["description"] == "finds orders"
    for t in targets:
        assert ids(await t.objects()) == ids_before[t.name]

    # Replace (a tool's type, a file's content): the agent follows its tool and file.
    replaced_files = {
        **edited,
        "specs/lookup.yaml": tool("lookup", "finds orders", http=True),
        "files/guide.md": "Refunds take three days.\n",
    }
    replaced = await apply_both(targets, roots, replaced_files)
    assert replaced["remote"].actions == replaced["local"].actions
    assert (ActionType.REPLACE, "Tool/lookup") in replaced["local"].actions
    assert (ActionType.REPLACE, "File/guide") in replaced["local"].actions
    for applied in replaced.values():
        assert applied.result.ok, applied.result.error
        kinds = [k for k, a in steps_of(applied) if a == "Tool/lookup"]
        assert sorted(kinds) == [StepKind.CREATE_REPLACEMENT, StepKind.DELETE_REPLACED]
    # The halves in each target's order: the API's successor first, the local one after.
    remote_steps, local_steps = steps_of(replaced["remote"]), steps_of(replaced["local"])
    assert remote_steps[-1][0] is StepKind.DELETE_REPLACED
    at = local_steps.index((StepKind.DELETE_REPLACED, "Tool/lookup"))
    assert local_steps[at + 1] == (StepKind.CREATE_REPLACEMENT, "Tool/lookup")
    third = await states(targets)
    assert third["remote"] == third["local"]
    assert third["local"]["Tool/lookup"]["type"] == "http"
    assert sorted(a for a in third["local"] if a.startswith("Tool/")) == [
        "Tool/lookup",
        "Tool/notify",
    ]
    remote_ids, local_ids = ids(await targets[0].objects()), ids(await targets[1].objects())
    assert remote_ids["Tool/lookup"] != ids_before["remote"]["Tool/lookup"]
    assert local_ids["Tool/lookup"] == ids_before["local"]["Tool/lookup"]  # stable under dev
    assert local_ids["File/guide"] == ids_before["local"]["File/guide"]

    # Delete: the agent lets go of the tool before the tool goes.
    dropped = {k: v for k, v in replaced_files.items() if k != "specs/notify.yaml"}
    dropped["specs/helper.yaml"] = agent("lookup", "Help kindly.")
    deleted = await apply_both(targets, roots, dropped)
    assert deleted["remote"].actions == deleted["local"].actions
    for applied in deleted.values():
        assert applied.result.ok, applied.result.error
        assert steps_of(applied) == [
            (StepKind.UPDATE, "Agent/helper"),
            (StepKind.DELETE, "Tool/notify"),
        ]
    fourth = await states(targets)
    assert fourth["remote"] == fourth["local"]
    assert "Tool/notify" not in fourth["local"]

    # And nothing is left to do on either.
    for t in targets:
        again = await t.apply(roots[t.name])
        assert again.plan.changes == ()


async def test_a_failure_midway_reports_the_same_and_a_rerun_converges(
    targets: tuple[Target, Target], roots: dict[str, Path]
) -> None:
    start = {"specs/a.yaml": tool("a")}
    for applied in (await apply_both(targets, roots, start)).values():
        assert applied.result.ok
    before = await states(targets)
    # The API caps metadata values at 1000 characters: Tool/b is refused, after Tool/a.
    bad = tool("b", labels=f"{{note: {'x' * 1001}}}")
    broken = {"specs/a.yaml": tool("a", "edited"), "specs/b.yaml": bad, "specs/c.yaml": tool("c")}
    failed = await apply_both(targets, roots, broken)
    for applied in failed.values():
        result = applied.result
        assert not result.ok and result.failed is not None
        assert result.failed.address == "Tool/b"
        assert [d.step.address for d in result.done] == ["Tool/a"]
        assert [s.address for s in result.not_done] == ["Tool/c"]
        assert "1000" in str(result.error)
    after = await states(targets)
    # Over the API what was done stays; in-process the whole apply is undone.
    assert after["remote"]["Tool/a"]["description"] == "edited"
    assert after["local"] == before["local"]

    fixed = {**broken, "specs/b.yaml": tool("b")}
    for applied in (await apply_both(targets, roots, fixed)).values():
        assert applied.result.ok, applied.result.error
    final = await states(targets)
    assert final["remote"] == final["local"]
    assert sorted(final["local"]) == ["Tool/a", "Tool/b", "Tool/c"]
