"""The one apply engine: carry a Plan out step by step against an `ApplyTarget`.

`aia apply` runs it against the API (`apply.remote.RemoteTarget`); `aia dev` runs it
in-process against the gateway's own store (`gateway.reload.local_target`). Both
get the same steps in the same order with the same bodies; a target only says how
to create, update and delete one object, and which half of a replace it needs first.
Progress is reported through `ApplyHooks`, which the CLI renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiagentics.apply.steps import ReplaceOrder, Step, StepKind, aside_name, plan_steps
from aiagentics.compiler.state import CompiledResource, DesiredState
from aiagentics.plan import REF_FIELDS, Action, Plan, SavedPlan, desired_metadata, map_refs
from aiagentics.plan.sensitive import FIELDS_KEY, requested_fields

FILE_UPDATE_FIELDS = frozenset({"name", "description", "purpose"})
WRITE_ONLY_FIELDS = ("secret",)


class ApplyRefused(Exception):
    """The plan has problems (a conflict, a protected delete): nothing was changed."""


class StalePlan(Exception):
    """A saved plan no longer matches the files, the remote or the target: nothing was changed."""


class StepError(Exception):
    """A step the engine itself cannot carry out (e.g. a reference to an object never created)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message, self.code = message, code

    def to_dict(self) -> dict[str, Any]:
        """Shaped like the API's error object, so reports read the same either way."""
        return {
            "status": 0,
            "type": "api_error",
            "code": self.code,
            "message": self.message,
            "param": None,
            "request_id": None,
        }


@dataclass(frozen=True, slots=True)
class CreateRequest:
    """One object to create: `body` has references as ids; a File's bytes are at `path`."""

    kind: str
    name: str
    address: str
    body: dict[str, Any]
    metadata: dict[str, Any]
    # Paths of values that came from `${ENV}`: the target stores them write-only.
    sensitive_fields: tuple[str, ...] = ()
    path: str | None = None  # a File's content, relative to the project root
    content_hash: str | None = None


@dataclass(frozen=True, slots=True)
class Created:
    """What a create returned: the new id, and a secret the target generated (if any)."""

    id: str
    secret: str | None = None


class ApplyTarget(Protocol):
    """Where a plan is carried out. Every method changes one object or raises.

    A failure the user can fix (refused by the rules, unreachable) raises one of
    `failures`: the engine stops there and reports it; anything else is a bug and
    propagates. `delete` of an object already gone succeeds (a rerun converges);
    `replaced` says the object is the old half of a replace.
    """

    replace_order: ReplaceOrder
    failures: tuple[type[Exception], ...]

    async def create(self, request: CreateRequest) -> Created: ...

    async def update(self, kind: str, id: str, changes: dict[str, Any]) -> None: ...

    async def delete(self, kind: str, id: str, *, replaced: bool) -> None: ...


@dataclass(frozen=True, slots=True)
class Done:
    """A step carried out: the id it created or changed, and a generated secret shown once."""

    step: Step
    remote_id: str | None = None
    secret: str | None = None


class ApplyHooks:
    """What an apply tells its caller as it goes (Terraform's Hook); override what you render.

    Called in step order, on the thread running the apply, never concurrently.
    Every method does nothing here.
    """

    def step_started(self, step: Step) -> None:
        """`step` is about to be carried out."""

    def step_done(self, step: Step, done: Done) -> None:
        """`step` took effect."""

    def step_failed(self, step: Step, error: Exception) -> None:
        """`step` failed with `error`: the apply stops; later steps are not done."""


@dataclass(slots=True)
class ApplyResult:
    """What was done (with the ids involved), what failed, and what was left undone."""

    done: list[Done] = field(default_factory=list)
    failed: Step | None = None
    error: Exception | None = None
    not_done: list[Step] = field(default_factory=list)
    # Ctrl-C: the step in flight then (it may or may not have taken effect), if any.
    interrupted: Step | None = None
    stopped: bool = False

    @property
    def ok(self) -> bool:
        return self.failed is None and not self.stopped

    @property
    def secrets(self) -> dict[str, str]:
        """Generated secrets by address: the target shows them only in the create response."""
        return {d.step.address: d.secret for d in self.done if d.secret is not None}


class ApplyInterrupted(KeyboardInterrupt):
    """Ctrl-C during an apply; `result` says what was done, what was in flight, what not."""

    def __init__(self, result: ApplyResult) -> None:
        super().__init__("apply interrupted")
        self.result = result


class ApplyRun:
    """One apply of `plan` against `target`; `run()` carries it out, stopping at a failure.

    Names are mapped to ids as objects are created. A failure midway leaves what
    was done in place (unless the target undoes it as one unit), labelled as
    owned, so planning again converges. The run's state stays readable when it
    is cancelled: `stopped()` says what was done, in flight and not done.
    """

    def __init__(
        self,
        plan: Plan,
        desired: DesiredState,
        target: ApplyTarget,
        *,
        file_hashes: Mapping[str, str] | None = None,
        hooks: ApplyHooks | None = None,
    ) -> None:
        if plan.problems:
            raise ApplyRefused("; ".join(p.message for p in plan.problems))
        self.plan, self.desired, self.target = plan, desired, target
        self.hooks = hooks or ApplyHooks()
        self.steps = plan_steps(plan, target.replace_order)
        self.result = ApplyResult()
        self._hashes = dict(file_hashes or {})
        self._ids: dict[str, str] = {a.address: a.id for a in plan.actions if a.id}
        self._finished = 0  # steps[:_finished] are done
        self._in_flight: Step | None = None

    async def run(self) -> ApplyResult:
        """Carry out every step in order; on a failure, report it and stop."""
        failures: tuple[type[Exception], ...] = (StepError, *self.target.failures)
        for step in self.steps:
            self.hooks.step_started(step)
            self._in_flight = step
            try:
                done = await self._carry_out(step)
            except failures as exc:
                self._in_flight = None
                self.result.failed, self.result.error = step, exc
                self.result.not_done = self.steps[step.index + 1 :]
                self.hooks.step_failed(step, exc)
                return self.result
            self._in_flight = None
            if done.remote_id is not None:
                self._ids[step.address] = done.remote_id
            self.result.done.append(done)
            self._finished = step.index + 1
            self.hooks.step_done(step, done)
        return self.result

    def stopped(self) -> ApplyResult:
        """The result of a run cut short (Ctrl-C, cancellation), as of now."""
        result = self.result
        result.stopped = True
        result.interrupted = self._in_flight
        result.not_done = self.steps[self._finished + (1 if self._in_flight else 0) :]
        return result

    def _lookup(self, kind: str, name: str) -> str:
        try:
            return self._ids[f"{kind}/{name}"]
        except KeyError:
            raise StepError(f"{kind}/{name} has no id: it was not created", "unresolved") from None

    async def _carry_out(self, step: Step) -> Done:
        action, target = step.action, self.target
        if step.kind.is_delete:
            replaced = step.kind is StepKind.DELETE_REPLACED
            await target.delete(action.kind, str(action.id), replaced=replaced)
            return Done(step)
        resource = self.desired.by_address[action.address]
        content_hash = self._hashes.get(action.address)
        metadata = desired_metadata(self.plan.project, resource, content_hash)
        # Only kinds with references need their (deep) copy with names turned into ids;
        # targets build their bodies anew and never change this one.
        body = (
            map_refs(resource.kind, resource.body, self._lookup)
            if resource.kind in REF_FIELDS
            else dict(resource.body)
        )
        if step.kind is StepKind.UPDATE:
            await target.update(
                action.kind, str(action.id), _changes(action, resource, body, metadata)
            )
            return Done(step, action.id)
        if (
            step.kind is StepKind.CREATE_REPLACEMENT
            and target.replace_order is ReplaceOrder.CREATE_THEN_DELETE
        ):
            # Names are unique: the old object steps aside for its successor.
            aside = aside_name(action.name, str(action.id))
            await target.update(action.kind, str(action.id), {"name": aside})
        request = CreateRequest(
            kind=action.kind,
            name=resource.name,
            address=action.address,
            body=body,
            metadata=metadata,
            sensitive_fields=tuple(requested_fields(resource)),
            path=str(body["path"]) if resource.kind == "File" else None,
            content_hash=content_hash,
        )
        created = await target.create(request)
        # A secret the files set is the user's already (and sensitive): only a generated one is shown.
        generated = created.secret if body.get("secret") is None else None
        return Done(step, created.id, generated)


def _changes(
    action: Action, resource: CompiledResource, body: dict[str, Any], metadata: dict[str, Any]
) -> dict[str, Any]:
    """The fields an update sends: the changed ones, the labels, and the write-only ones."""
    tops = {c.path.split(".")[0] for c in action.changes} - {"metadata", "content"}
    # Write-only fields (secrets) cannot be compared: resend them with every update.
    # (Only when set: a null secret would make the server generate a new one.)
    tops |= {k for k in WRITE_ONLY_FIELDS if body.get(k) is not None}
    if action.kind == "File":
        tops &= FILE_UPDATE_FIELDS  # a file's content never changes in place
    update = {k: body[k] for k in tops if k in body}
    update["metadata"] = metadata
    fields = requested_fields(resource)
    if fields or FIELDS_KEY in tops:
        # The target treats these as write-only; an empty list makes them plain again.
        update[FIELDS_KEY] = fields
    return update


def check_saved(saved: SavedPlan, plan: Plan, planfile: str) -> None:
    """Refuse (raise `StalePlan`) when the files or the remote moved since the plan was saved."""
    if saved.state_hash != plan.state_hash:
        raise StalePlan(
            f"the files changed since {planfile} was made: nothing was changed; plan again"
        )
    if saved.remote != plan.remote:
        moved = sorted(
            k
            for k in set(saved.remote) | set(plan.remote)
            if saved.remote.get(k) != plan.remote.get(k)
        )
        raise StalePlan(
            f"the remote changed since {planfile} was made ({', '.join(moved)}): "
            "nothing was changed; plan again"
        )
    want = [(a.type, a.address) for a in saved.plan.changes]
    have = [(a.type, a.address) for a in plan.changes]
    if want != have:
        raise StalePlan(
            f"{planfile} no longer matches a fresh plan: nothing was changed; plan again"
        )


def check_saved_target(saved: SavedPlan, project: str, base_url: str, planfile: str) -> None:
    """Refuse a saved plan made for another project or against another API."""
    if saved.plan.project != project:
        raise StalePlan(f"{planfile} is a plan of project {saved.plan.project!r}, not {project!r}")
    if saved.base_url != base_url:
        raise StalePlan(f"{planfile} was made against {saved.base_url}, not {base_url}")
