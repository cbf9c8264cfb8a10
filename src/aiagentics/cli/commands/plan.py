"""`aia plan` and `aia apply`: diff the files against the API, and make the API match them."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console
from rich.text import Text

from aiagentics.apply.engine import (
    ApplyHooks,
    ApplyInterrupted,
    ApplyRefused,
    ApplyResult,
    Done,
    StalePlan,
    check_saved,
    check_saved_target,
)
from aiagentics.apply.remote import apply_remote
from aiagentics.apply.report import REPLACED_REASON, result_to_json
from aiagentics.apply.steps import Step, StepKind
from aiagentics.cli._session import (
    Failed,
    connect,
    connection,
    console_for,
    fail,
    run_guarded,
)
from aiagentics.cli.context import CliContext
from aiagentics.client import ApiClient, Connection, read_resources
from aiagentics.compiler.state import DesiredState
from aiagentics.plan import (
    ActionType,
    Plan,
    PlanFileError,
    RemoteState,
    load_plan,
    make_plan,
    plan_lines,
    plan_to_json,
    save_plan,
)
from aiagentics.project import ConfigError, Project, load_project

STYLES = {
    "create": "green",
    "update": "yellow",
    "delete": "red",
    "replace": "magenta",
    "header": "bold",
    "diff+": "green",
    "diff-": "red",
    "diff@": "cyan",
    "problem": "bold red",
    "field": "",
    "note": "",
}
STATS_ENV = "AIAGENTICS_STATS"


@dataclass(slots=True)
class Session:
    """What plan, apply and export share: the project, its compiled state and a client."""

    project: Project
    desired: DesiredState
    client: ApiClient
    file_hashes: dict[str, str]
    target: dict[str, str | None]

    def read_file(self, relative: str) -> bytes:
        return (self.project.root / relative).read_bytes()


def load(ctx: CliContext) -> Project:
    """The project at `-C`; a config error is a clear message, not a traceback."""
    try:
        return load_project(ctx.directory)
    except ConfigError as exc:
        fail(str(exc))


def compile_or_fail(
    project: Project,
    env: str | None,
    err: Console,
    json_out: bool = False,
    environ: Mapping[str, str] | None = None,
) -> DesiredState:
    """Compile; on any error show the diagnostics (as `aia validate` does) and stop before the API."""
    from aiagentics.cli._env import project_environ
    from aiagentics.compiler import TemplateCache, compile_project

    environ = project_environ(project.root, environ)
    result = compile_project(
        project, env, environ, template_cache=TemplateCache.for_project(project.root)
    )
    if result.state is None:
        if json_out:  # a pipeline reads stdout: give it the diagnostics as data
            error = {
                "type": "invalid_files",
                "code": "invalid_files",
                "message": "the files have errors",
            }
            diagnostics = [d.to_dict() for d in result.diagnostics]
            payload = {"format_version": "1", "error": error, "diagnostics": diagnostics}
            click.echo(json.dumps(payload, indent=2))
        try:
            from aiagentics.cli.views.diagnostics import render_diagnostics

            render_diagnostics(result.diagnostics, err, project.root)
        except ImportError:
            for d in result.diagnostics:
                err.print(Text(str(d), style="red"))
        fail(f"the files have errors: nothing was sent to the API ({project.root})", err)
    return result.state


def file_hashes(project: Project, desired: DesiredState) -> dict[str, str]:
    """sha256 of the bytes of every File resource (uploads happen only when it changes)."""
    out = {}
    for r in desired.of_kind("File"):
        out[r.address] = hashlib.sha256(
            (project.root / str(r.body["path"])).read_bytes()
        ).hexdigest()
    return out


def open_session(ctx: CliContext, err: Console, json_out: bool = False) -> Session:
    """Load, compile (before any API call), and connect."""
    project = load(ctx)
    desired = compile_or_fail(project, ctx.env, err, json_out)
    client = connect(ctx, project, err=err)
    target = target_of(connection(ctx, project), project.name, ctx.env)
    return Session(project, desired, client, file_hashes(project, desired), target)


def target_of(conn: Connection, project: str, env: str | None) -> dict[str, str | None]:
    """Where a plan or apply goes: the URL, the project, the key's environment and hint.

    Every project defaults to the same local URL, so this is printed first: a plan
    against the wrong gateway is then seen before anything is applied.
    """
    from aiagentics.engine.keys import secret_hint

    key = conn.api_key or ""
    parts = key.split("_")
    environment = parts[1] if key.startswith("sk_") and len(parts) > 2 else None
    return {
        "base_url": conn.base_url,
        "project": project,
        "env": env,
        "environment": environment,
        "key_hint": secret_hint(key) if key else None,
        "key_source": conn.api_key_source,
    }


def target_line(target: Mapping[str, str | None]) -> str:
    """`target: URL · project P · environment E · key sk_test_...abcd (from VAR)`."""
    parts = [f"target: {target['base_url']}", f"project {target['project']}"]
    if target.get("env"):
        parts.append(f"--env {target['env']}")
    if target.get("environment"):
        parts.append(f"environment {target['environment']}")
    parts.append(f"key {target['key_hint']} (from {target['key_source']})")
    return " · ".join(parts)


def read_remote(session: Session) -> RemoteState:
    """The project's state as the API reports it: one paginated list per kind."""
    return RemoteState(read_resources(session.client))


def render_plan(plan: Plan, console: Console) -> None:
    """The human view of a plan, coloured by role."""
    for line in plan_lines(plan):
        console.print(Text(line.text, style=STYLES.get(line.style, "")))


def report_stats(session: Session, started: float, enabled: bool) -> None:
    if enabled or os.environ.get(STATS_ENV):
        s = session.client.stats
        methods = ", ".join(f"{m} {n}" for m, n in sorted(s.by_method.items()))
        click.echo(
            f"stats: {s.requests} HTTP calls ({methods}); {time.perf_counter() - started:.3f} s",
            err=True,
        )


@click.command("plan")
@click.option(
    "--out", "out", type=click.Path(dir_okay=False), help="Save the plan for `aia apply FILE`."
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as versioned JSON.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 no changes, 2 changes, 1 error.")
@click.option(
    "--stats", is_flag=True, hidden=True, help="Print HTTP call count and time to stderr."
)
@click.pass_obj
def plan_cmd(
    ctx: CliContext, out: str | None, as_json: bool, detailed_exitcode: bool, stats: bool
) -> None:
    """Diff the files against what the API reports: + create, ~ update, - delete, -/+ replace."""
    code = run_guarded(_plan, ctx, out, as_json, detailed_exitcode, stats, json_errors=as_json)
    sys.exit(code)


def _plan(ctx: CliContext, out: str | None, as_json: bool, detailed: bool, stats: bool) -> int:
    started = time.perf_counter()
    err = console_for(err=True)
    session = open_session(ctx, err, as_json)
    with session.client:
        plan = make_plan(session.desired, read_remote(session), session.file_hashes)
        report_stats(session, started, stats)
    # Save before printing: a reader that stops early (`| head`) must not lose the file.
    if out and not plan.problems:
        save_plan(plan, Path(out), session.client.base_url)
    if as_json:
        click.echo(json.dumps({**plan_to_json(plan), "target": session.target}, indent=2))
    else:
        console_for().print(Text(target_line(session.target), style="bold"))
        render_plan(plan, console_for())
    if out:
        if plan.problems:
            fail("the plan has errors: not saved", err)
        if not as_json:
            console_for().print(
                f"Saved the plan to {out}; apply it exactly with `aia apply {out}`."
            )
    if plan.problems:
        return 1
    return 2 if detailed and plan.has_changes else 0


@click.command("apply")
@click.argument("planfile", required=False, type=click.Path(dir_okay=False))
@click.option("--yes", "-y", is_flag=True, help="Apply without asking.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print a JSON report of what was and was not done."
)
@click.option("--stats", is_flag=True, hidden=True)
@click.pass_obj
def apply_cmd(ctx: CliContext, planfile: str | None, yes: bool, as_json: bool, stats: bool) -> None:
    """Carry out a fresh plan (asks unless --yes), or exactly a saved one."""
    try:
        code = run_guarded(_apply, ctx, planfile, yes, stats, as_json, json_errors=as_json)
    except ApplyInterrupted as stop:
        sys.exit(_report(stop.result, console_for(err=True), console_for(err=True)))
    except KeyboardInterrupt:
        # Ctrl-C before the first change (planning, reading the remote).
        console_for(err=True).print(Text("Interrupted: nothing was changed.", style="bold red"))
        sys.exit(1)
    sys.exit(code)


def _apply(
    ctx: CliContext, planfile: str | None, yes: bool, stats: bool, as_json: bool = False
) -> int:
    started = time.perf_counter()
    # Under --json stdout carries only the report; the human view goes to stderr.
    out, err = console_for(err=as_json), console_for(err=True)
    plan: Plan | None = None

    def refuse(message: str) -> NoReturn:
        if as_json and plan is not None:
            error = {"type": "apply_refused", "code": "apply_refused", "message": message}
            click.echo(
                json.dumps(
                    {**result_to_json(plan, None, error), "target": session.target}, indent=2
                )
            )
        fail(message, err)

    saved = None
    if planfile:
        try:
            saved = load_plan(Path(planfile))
        except PlanFileError as exc:
            fail(str(exc), err)
    session = open_session(ctx, err, as_json)
    with session.client:
        if saved is not None:
            try:
                check_saved_target(
                    saved, session.desired.project, session.client.base_url, planfile or ""
                )
            except StalePlan as exc:
                fail(str(exc), err)
        plan = make_plan(session.desired, read_remote(session), session.file_hashes)
        if saved is not None:
            try:
                check_saved(saved, plan, planfile or "")
            except StalePlan as exc:
                err.print(Text(f"error: {exc}", style="bold red"))
                if as_json:  # already explained on stderr; the report says it to a pipeline
                    error = {"type": "apply_refused", "code": "apply_refused", "message": str(exc)}
                    click.echo(
                        json.dumps(
                            {**result_to_json(plan, None, error), "target": session.target},
                            indent=2,
                        )
                    )
                raise Failed(str(exc)) from None
        out.print(Text(target_line(session.target), style="bold"))
        render_plan(plan, out)
        if plan.problems:
            refuse("the plan has errors: nothing was changed")
        if not plan.has_changes:
            if as_json:
                click.echo(json.dumps(result_to_json(plan, ApplyResult()), indent=2))
            return 0
        if saved is None and not yes:
            if not sys.stdin.isatty():
                refuse(
                    "refusing to apply without --yes: stdin is not a terminal (nothing was changed)"
                )
            if not click.confirm("Apply these changes?", default=False):
                out.print("Cancelled: nothing was changed.")
                return 1
        try:
            result = apply_remote(
                plan,
                session.desired,
                session.client,
                read_file=session.read_file,
                file_hashes=session.file_hashes,
                hooks=ProgressView(out),
            )
        except ApplyRefused as exc:
            refuse(str(exc))
        except ApplyInterrupted as stop:
            if as_json:
                click.echo(
                    json.dumps(
                        {**result_to_json(plan, stop.result), "target": session.target}, indent=2
                    )
                )
            raise
        report_stats(session, started, stats)
    if as_json:
        click.echo(json.dumps({**result_to_json(plan, result), "target": session.target}, indent=2))
    return _report(result, out, err)


_VERBS = {
    StepKind.CREATE: "creating",
    StepKind.UPDATE: "updating",
    StepKind.DELETE: "deleting",
    StepKind.CREATE_REPLACEMENT: "replacing",
    StepKind.DELETE_REPLACED: "deleting",
}
_STEP_STYLES = {
    StepKind.CREATE: "create",
    StepKind.UPDATE: "update",
    StepKind.DELETE: "delete",
    StepKind.CREATE_REPLACEMENT: "replace",
    StepKind.DELETE_REPLACED: "delete",
}


class ProgressView(ApplyHooks):
    """The apply's progress, one line per step started and done."""

    def __init__(self, out: Console) -> None:
        self.out = out

    def step_started(self, step: Step) -> None:
        counter = f"[{step.index + 1}/{step.total}]"
        what = ""
        if step.kind is StepKind.DELETE_REPLACED:
            what = f" {step.action.id} ({REPLACED_REASON})"
        line = f"{counter} {step.symbol} {step.address}: {_VERBS[step.kind]}{what}…"
        self.out.print(Text(line, style=STYLES[_STEP_STYLES[step.kind]]))

    def step_done(self, step: Step, done: Done) -> None:
        counter = f"[{step.index + 1}/{step.total}]"
        rid = f" ({done.remote_id})" if done.remote_id else ""
        self.out.print(Text(f"{counter} {step.address}: done{rid}"))
        if done.secret is not None:
            self.out.print(Text(f"  signing secret: {done.secret}", style="bold"))
            self.out.print(
                "  Store it now: it will not be shown again "
                f"(POST /v1/webhooks/{done.remote_id}/rotate_secret makes a new one)."
            )


def _report(result: ApplyResult, out: Console, err: Console) -> int:
    counts = {t: 0 for t in ActionType}
    for d in result.done:
        if d.step.kind is not StepKind.DELETE_REPLACED:  # a replace counts once
            counts[d.step.action.type] += 1
    done = (
        f"{counts[ActionType.CREATE]} created, {counts[ActionType.UPDATE]} updated, "
        f"{counts[ActionType.DELETE]} deleted, {counts[ActionType.REPLACE]} replaced"
    )
    if result.ok:
        out.print(Text(f"Apply complete: {done}.", style="bold green"))
        return 0
    if result.stopped:
        err.print(Text("Interrupted (Ctrl-C): the apply stopped.", style="bold red"))
    else:
        assert result.failed is not None
        err.print(
            Text(
                f"error: apply failed at {result.failed.address}: {result.error}", style="bold red"
            )
        )
    before = "the interruption" if result.stopped else "the failure"
    err.print(
        f"Done before {before}: {done}"
        + "".join(f"\n  {d.step.symbol} {d.step.address}" for d in result.done)
    )
    if result.interrupted is not None:
        err.print(
            f"In flight when interrupted (it may or may not have taken effect): "
            f"{result.interrupted.address}"
        )
    first = f"{result.failed.address} (failed)" if result.failed is not None else ""
    err.print(
        f"Not done: {first}" + "".join(f"\n  {s.symbol} {s.address}" for s in result.not_done)
    )
    err.print("Fix the cause and run `aia apply` again: it continues from what exists.")
    return 1
