"""The persistent template cache: same result as without it, reused when nothing changed, never trusted blindly."""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import jinja2
import pytest

from aiagentics.compiler import CompileResult, TemplateCache, compile_project
from aiagentics.project import load_project
from aiagentics.spec import template_cache

CONFIG = '[project]\nname = "t"\n\n[vars]\ncompany = "Acme"\nstrict = true\n'

FILES = {
    "templates/base.j2": "Base {{ vars.company }}.\n{% block body %}{% endblock %}\n{% include 'footer.j2' %}",
    "templates/role.j2": "{% extends 'base.j2' %}{% block body %}Role of {{ agent.name }}.{% endblock %}",
    "templates/footer.j2": "Bye from {{ agent.labels.tier }}.",
    "templates/policy.j2": "Policy of {{ vars.company }}.",
    "agents/lookup.yaml": """\
        apiVersion: aiagentics.io/v1
        kind: Agent
        metadata: {name: lookup, labels: {tier: gold}}
        spec:
          model: scripted
          instructions: |
            You are {{ agent.name }} of {{ vars.company }}.
            Answer as JSON: {"ok": true}
        """,
    "agents/branch.yaml": """\
        apiVersion: aiagentics.io/v1
        kind: Agent
        metadata: {name: branch}
        spec:
          model: scripted
          instructions: |
            {# a note #}{% if vars.strict %}Strict.{% else %}Lenient.{% endif %}
            {% include 'policy.j2' %}
            {% include 'extra.j2' ignore missing %}
        """,
    "agents/role.yaml": """\
        apiVersion: aiagentics.io/v1
        kind: Agent
        metadata: {name: role, labels: {tier: silver}}
        spec:
          model: scripted
          instructions_template: role.j2
        """,
}


def write(root: Path, files: dict[str, str], config: str = CONFIG) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "aiagentics.toml").write_text(config)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def compile_(
    root: Path, folder: Path | None, environ: dict[str, str] | None = None
) -> CompileResult:
    cache = TemplateCache(folder) if folder is not None else None
    return compile_project(load_project(root), environ=environ or {}, template_cache=cache)


def instructions(result: CompileResult) -> dict[str, str]:
    assert result.state is not None, result.diagnostics
    return {r.name: r.body["instructions"] for r in result.state.of_kind("Agent")}


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The name (None: an inline source) of every template Jinja compiles from here on."""
    seen: list[str | None] = []
    original = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):  # type: ignore[no-untyped-def]
        seen.append(name)
        return original(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return seen


def test_cold_and_warm_give_the_same_state_as_no_cache(tmp_path: Path, compiles: list) -> None:
    root = write(tmp_path / "p", FILES)
    plain = compile_(root, None)
    assert instructions(plain) == {
        "lookup": 'You are lookup of Acme.\nAnswer as JSON: {"ok": true}\n',
        "branch": "Strict.\nPolicy of Acme.\n\n",
        "role": "Base Acme.\nRole of role.\nBye from silver.",
    }
    compiles.clear()
    cold = compile_(root, tmp_path / "cache")
    assert cold.state == plain.state and cold.diagnostics == plain.diagnostics
    assert sorted((tmp_path / "cache").iterdir()) == [
        tmp_path / "cache" / "code",
        tmp_path / "cache" / "rendered",
    ]
    assert compiles  # the cold run compiled what it rendered
    compiles.clear()
    warm = compile_(root, tmp_path / "cache")
    assert warm.state == plain.state and warm.diagnostics == plain.diagnostics
    assert compiles == []  # nothing changed: every render came from the cache


def test_an_edited_included_template_is_rendered_again(tmp_path: Path) -> None:
    root = write(tmp_path / "p", FILES)
    compile_(root, tmp_path / "cache")
    (root / "templates/footer.j2").write_text("Farewell from {{ agent.labels.tier }}.")
    (root / "templates/policy.j2").write_text("New policy.")
    warm = instructions(compile_(root, tmp_path / "cache"))
    assert warm["role"] == "Base Acme.\nRole of role.\nFarewell from silver."
    assert warm["branch"] == "Strict.\nNew policy.\n\n"
    assert warm == instructions(compile_(root, None))


def test_a_template_that_appears_is_noticed(tmp_path: Path) -> None:
    root = write(tmp_path / "p", FILES)
    compile_(root, tmp_path / "cache")
    (root / "templates/extra.j2").write_text("Extra.")
    assert instructions(compile_(root, tmp_path / "cache"))["branch"] == (
        "Strict.\nPolicy of Acme.\nExtra.\n"
    )


def test_a_changed_var_or_instruction_is_rendered_again(tmp_path: Path, compiles: list) -> None:
    root = write(tmp_path / "p", FILES)
    compile_(root, tmp_path / "cache")
    (root / "aiagentics.toml").write_text(CONFIG.replace("Acme", "Globex").replace("true", "false"))
    warm = instructions(compile_(root, tmp_path / "cache"))
    assert warm == {
        "lookup": 'You are lookup of Globex.\nAnswer as JSON: {"ok": true}\n',
        "branch": "Lenient.\nPolicy of Globex.\n\n",
        "role": "Base Globex.\nRole of role.\nBye from silver.",
    }
    compiles.clear()
    agent = root / "agents/branch.yaml"
    agent.write_text(agent.read_text().replace("Strict.", "Very strict."))
    (root / "aiagentics.toml").write_text(CONFIG)
    again = instructions(compile_(root, tmp_path / "cache"))
    assert again["branch"] == "Very strict.\nPolicy of Acme.\n\n"
    assert compiles == [None]  # only the edited source; the rest was kept from the first run


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"",
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: data[:-1] + bytes([data[-1] ^ 0xFF]),  # one byte changed
        lambda data: b"\x00garbage" * 100,
        lambda data: data.replace(b"template cache 1", b"template cache 9"),  # another format
    ],
)
def test_a_damaged_cache_file_is_ignored_and_replaced(tmp_path: Path, damage) -> None:
    root = write(tmp_path / "p", FILES)
    expected = compile_(root, None)
    folder = tmp_path / "cache"
    compile_(root, folder)
    for name in ("rendered", "code"):
        path = folder / name
        path.write_bytes(damage(path.read_bytes()))
    result = compile_(root, folder)
    assert result.state == expected.state and result.diagnostics == expected.diagnostics
    again = TemplateCache(folder)
    assert again._load_rendered() and again._load_code()  # rewritten whole by that compile


def test_a_foreign_file_with_a_valid_checksum_is_ignored(tmp_path: Path) -> None:
    import hashlib
    import marshal

    root = write(tmp_path / "p", FILES)
    expected = compile_(root, None)
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    for name, value in {
        "rendered": (5, {"k": ("not", "a", "tuple", "of", "three")}),
        "code": (5, {"k": (1, "not bytes")}),
    }.items():
        payload = marshal.dumps(value)
        (folder / name).write_bytes(
            template_cache._HEADER + hashlib.sha256(payload).digest() + payload
        )
    result = compile_(root, folder)
    assert result.state == expected.state


def test_a_folder_others_can_write_is_not_used(tmp_path: Path, compiles: list) -> None:
    if not hasattr(os, "getuid"):
        pytest.skip("POSIX permissions")
    root = write(tmp_path / "p", FILES)
    folder = tmp_path / "cache"
    compile_(root, folder)
    folder.chmod(0o777)
    compiles.clear()
    result = compile_(root, folder)
    assert result.state == compile_(root, None).state
    assert None in compiles  # the stored renders were not read


def test_secrets_never_reach_the_cache_files(tmp_path: Path) -> None:
    secret = "s3cr3t-value-0123456789"
    files = dict(FILES)
    files["agents/secret.yaml"] = """\
        apiVersion: aiagentics.io/v1
        kind: Agent
        metadata: {name: secret}
        spec:
          model: scripted
          instructions: "Key {{ vars.company }}: ${API_TOKEN}"
        """
    files["agents/label.yaml"] = """\
        apiVersion: aiagentics.io/v1
        kind: Agent
        metadata: {name: label, labels: {tier: "${TIER_TOKEN}"}}
        spec:
          model: scripted
          instructions_template: role.j2
        """
    root = write(tmp_path / "p", files)
    environ = {"API_TOKEN": secret, "TIER_TOKEN": secret + "-tier"}
    folder = tmp_path / "cache"
    result = compile_(root, folder, environ)
    rendered = instructions(result)
    assert rendered["secret"] == f"Key Acme: {secret}"
    assert rendered["label"] == f"Base Acme.\nRole of label.\nBye from {secret}-tier."
    assert rendered["lookup"]  # the others are cached as usual
    for path in folder.iterdir():
        assert secret.encode() not in path.read_bytes(), path.name
    assert compile_(root, folder, environ).state == result.state


def test_template_errors_are_reported_the_same_after_a_cached_run(tmp_path: Path) -> None:
    root = write(tmp_path / "p", FILES)
    folder = tmp_path / "cache"
    compile_(root, folder)
    (root / "templates/footer.j2").write_text("{% if %}")
    cached, plain = compile_(root, folder), compile_(root, None)
    assert cached.state is None
    assert cached.diagnostics == plain.diagnostics
    assert [(d.file, d.line, d.code) for d in cached.diagnostics] == [
        ("templates/footer.j2", 1, "template-syntax")
    ]
    (root / "templates/footer.j2").write_text(FILES["templates/footer.j2"])
    (root / "aiagentics.toml").write_text(CONFIG.replace("company", "compnay"))
    cached, plain = compile_(root, folder), compile_(root, None)
    assert cached.diagnostics == plain.diagnostics
    assert [(d.file, d.line, d.column, d.code) for d in cached.diagnostics] == [
        ("agents/lookup.yaml", 7, 5, "template-undefined"),
        ("templates/base.j2", 1, 1, "template-undefined"),
        ("templates/policy.j2", 1, 1, "template-undefined"),
    ]
    assert cached.diagnostics[0].hint == "did you mean 'compnay'?"


def test_old_entries_are_dropped_after_some_saves(tmp_path: Path) -> None:
    root = write(tmp_path / "p", FILES)
    folder = tmp_path / "cache"

    def texts() -> set[str]:
        return {text for _, text, _ in TemplateCache(folder)._load_rendered().values()}

    compile_(root, folder)
    assert texts() == {
        "Strict.\nPolicy of Acme.\n\n",
        "Base Acme.\nRole of role.\nBye from silver.",
    }
    agent = root / "agents/branch.yaml"
    for i in range(template_cache.KEEP_SAVES + 1):  # each run stores one new render of `branch`
        agent.write_text(agent.read_text().replace("Strict", f"Strict{i}", 1))
        compile_(root, folder)
    kept = texts()
    assert "Strict.\nPolicy of Acme.\n\n" not in kept  # unused for KEEP_SAVES saves
    assert "Base Acme.\nRole of role.\nBye from silver." in kept  # used by every run
    assert len(kept) == 1 + template_cache.KEEP_SAVES  # role + the branch renders of the last saves


def test_for_project_location_and_switches(tmp_path: Path) -> None:
    base = {"HOME": str(tmp_path / "home")}
    one = TemplateCache.for_project(tmp_path / "a", {**base, "AIAGENTICS_CACHE_DIR": str(tmp_path)})
    other = TemplateCache.for_project(
        tmp_path / "b", {**base, "AIAGENTICS_CACHE_DIR": str(tmp_path)}
    )
    assert one is not None and other is not None
    assert one.folder.parent == tmp_path / "templates" and one.folder != other.folder
    assert TemplateCache.for_project(tmp_path, {**base, "AIAGENTICS_NO_CACHE": "1"}) is None
    assert TemplateCache.for_project(tmp_path, {**base, "AIAGENTICS_NO_CACHE": "0"}) is not None
    assert TemplateCache.for_project(tmp_path, {}) is None  # no home: nowhere to keep it


def test_folders_of_projects_unused_for_a_month_are_removed(tmp_path: Path) -> None:
    environ = {"AIAGENTICS_CACHE_DIR": str(tmp_path / "c"), "HOME": str(tmp_path)}
    old_root = write(tmp_path / "old", FILES)
    old = TemplateCache.for_project(old_root, environ)
    recent_root = write(tmp_path / "recent", FILES)
    recent = TemplateCache.for_project(recent_root, environ)
    assert old is not None and recent is not None
    compile_project(load_project(old_root), environ={}, template_cache=old)
    compile_project(load_project(recent_root), environ={}, template_cache=recent)
    month = time.time() - (template_cache.STALE_DAYS + 1) * 86_400
    for path in [*old.folder.iterdir(), old.folder, old.folder.parent / ".pruned"]:
        os.utime(path, (month, month))
    unrelated = old.folder.parent / "not-a-project"
    unrelated.mkdir()
    os.utime(unrelated, (month, month))

    root = write(tmp_path / "new", FILES)
    compile_project(
        load_project(root), environ={}, template_cache=TemplateCache.for_project(root, environ)
    )
    assert not old.folder.exists()
    assert sorted(p.name for p in recent.folder.iterdir()) == ["code", "rendered"]
    assert unrelated.exists()  # only folders named as ours


def test_a_warm_run_keeps_its_folder_fresh(tmp_path: Path) -> None:
    root, folder = write(tmp_path / "p", FILES), tmp_path / "cache"
    compile_(root, folder)
    week = time.time() - 7 * 86_400
    os.utime(folder / "rendered", (week, week))
    compile_(root, folder)  # nothing changed, nothing written
    assert time.time() - (folder / "rendered").stat().st_mtime < 3600


def test_a_cache_folder_that_cannot_be_made_is_no_error(tmp_path: Path) -> None:
    root = write(tmp_path / "p", FILES)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = compile_(root, blocker / "cache")
    assert result.state == compile_(root, None).state
    assert blocker.read_text() == "not a folder"


def test_a_random_render_is_not_kept(tmp_path: Path) -> None:
    files = dict(FILES)
    files["agents/dice.yaml"] = """\
        apiVersion: aiagentics.io/v1
        kind: Agent
        metadata: {name: dice}
        spec:
          model: scripted
          instructions: "{% if true %}Roll {{ [1, 2, 3, 4, 5, 6] | random }}.{% endif %}"
        """
    root, folder = write(tmp_path / "p", files), tmp_path / "cache"
    compile_(root, folder)
    texts = {text for _, text, _ in TemplateCache(folder)._load_rendered().values()}
    assert texts and not any(text.startswith("Roll") for text in texts)
