"""Located documents -> typed resources, with every pydantic error mapped back to its file:line:col."""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs
from pydantic import BaseModel, ValidationError

from aiagentics.spec.diagnostics import Diagnostic
from aiagentics.spec.kinds import API_VERSION, KINDS, document_model
from aiagentics.spec.loader import Loc, LocatedDocument
from aiagentics.spec.values import substitute

_RANGE_ERRORS = {
    "greater_than", "greater_than_equal", "less_than", "less_than_equal",
    "too_short", "too_long", "string_too_short", "string_too_long",
}  # fmt: skip
_CLASS_NAME = re.compile(r" or instance of \w+")
RESERVED_LABEL_PREFIX = "aia."  # ownership metadata (aia.project, aia.source, aia.spec_hash)
# Hints for required fields a document leaves out, by (kind, dotted field).
_MISSING_HINTS = {
    ("Agent", "spec.model"): (
        "set `model: scripted` for a keyless development model, or a provider/model "
        "(or an alias from [models])"
    ),
}
# The Tool errors of an mcp tool's transport-specific field left out (see ToolSpec).
_NEEDED_BY_TRANSPORT = frozenset({"mcp_command", "mcp_url"})
_NAME_HINT = (
    "names start with a lowercase letter, then lowercase letters, digits, '-' or '_' "
    "(at most 63 characters)"
)


@dataclass(slots=True, eq=False)
class Resource:
    """A document that declares a kind and a name; `model` is None when it failed validation."""

    kind: str
    name: str
    document: LocatedDocument
    model: BaseModel | None
    sensitive: tuple[Loc, ...] = ()
    unresolved: tuple[Loc, ...] = field(default=())

    @property
    def address(self) -> str:
        return f"{self.kind}/{self.name}"


def validate_document(
    document: LocatedDocument, environ: Mapping[str, str]
) -> tuple[Resource | None, list[Diagnostic]]:
    """Check the envelope and the kind's model; a Resource is returned whenever kind and name are known."""
    diagnostics: list[Diagnostic] = []
    data: dict[str, Any] = document.data
    sensitive: list[Loc] = []
    unresolved: list[Loc] = []
    if document.has_env:
        data, sensitive, unresolved, problems = substitute(document, environ)
        diagnostics.extend(problems)

    api_version = data.get("apiVersion")
    if api_version is None:
        diagnostics.append(
            document.diagnostic(
                (),
                "missing-field",
                "missing required field 'apiVersion'",
                hint=f"add `apiVersion: {API_VERSION}`",
                at="key",
            )
        )
    elif api_version != API_VERSION:
        diagnostics.append(
            document.diagnostic(
                ("apiVersion",),
                "unknown-api-version",
                f"unknown apiVersion {api_version!r}",
                hint=f"this version of aia understands `apiVersion: {API_VERSION}`",
            )
        )
    kind = data.get("kind")
    if kind is None:
        diagnostics.append(
            document.diagnostic(
                (),
                "missing-field",
                "missing required field 'kind'",
                hint=f"add `kind:` ({', '.join(KINDS)})",
                at="key",
            )
        )
        return None, diagnostics
    if kind not in KINDS:
        guess = _did_you_mean(str(kind), KINDS, lower=True)
        diagnostics.append(
            document.diagnostic(
                ("kind",),
                "unknown-kind",
                f"unknown kind {kind!r}",
                hint=guess or f"kinds are {', '.join(KINDS)}",
            )
        )
        return None, diagnostics
    if diagnostics and api_version != API_VERSION:
        return _declared(kind, document, data), diagnostics

    model_class = document_model(kind)
    model: BaseModel | None = None
    try:
        model = model_class.model_validate(data)
    except ValidationError as exc:
        skip = set(unresolved)
        secret = set(sensitive)
        for error in exc.errors(include_url=False):
            if tuple(error["loc"]) in skip:
                continue  # already reported as a missing environment variable
            diagnostics.append(_diagnostic_for(document, model_class, error, secret))
    if model is not None:
        for key in model.metadata.labels:  # type: ignore[attr-defined]
            if key.startswith(RESERVED_LABEL_PREFIX):
                diagnostics.append(
                    document.diagnostic(
                        ("metadata", "labels", key), "reserved-label",
                        f"label {key!r} is reserved: `{RESERVED_LABEL_PREFIX}*` labels are "
                        "written by aia apply to mark ownership",
                        hint="rename the label", at="key",
                    )
                )  # fmt: skip
                model = None
    if model is not None and kind == "Tool":
        diagnostics.extend(_tool_description_problems(document, model))
        problem = _parameters_problem(document, model.spec.parameters)  # type: ignore[attr-defined]
        if problem is not None:
            diagnostics.append(problem)
            model = None
    resource = _declared(kind, document, data)
    if resource is not None:
        resource.model = model if not unresolved else None
        resource.sensitive = tuple(sensitive)
        resource.unresolved = tuple(unresolved)
    return resource, diagnostics


def _tool_description_problems(document: LocatedDocument, model: Any) -> list[Diagnostic]:
    """A Tool has one description, `spec.description` (what the model reads).

    A `metadata.description` alone is still used (older files put it there), with a warning
    that moves it; next to a `spec.description` it is ignored, and the warning says so.
    """
    envelope, own = model.metadata.description, model.spec.description
    if not envelope:
        return []
    loc = ("metadata", "description")
    if not own:
        message = "a Tool's description belongs in spec.description"
        hint = "move this line under `spec:` (the model reads spec.description)"
    elif envelope == own:
        message = "the description is given twice: a Tool's description is spec.description"
        hint = "remove metadata.description"
    else:
        message = (
            "metadata.description is ignored: a Tool's description is spec.description "
            "(what the model reads), and it differs"
        )
        hint = "remove metadata.description, or move its text into spec.description"
    diagnostic = document.diagnostic(loc, "tool-description", message, hint, at="key")
    return [dataclasses.replace(diagnostic, severity="warning")]


def _parameters_problem(document: LocatedDocument, parameters: dict[str, Any]) -> Diagnostic | None:
    """A Tool's `parameters` must be a valid JSON Schema: models and executors rely on it."""
    if jsonschema_rs.meta.is_valid(parameters):
        return None
    try:
        jsonschema_rs.meta.validate(parameters)
    except jsonschema_rs.ValidationError as exc:
        path = tuple(exc.instance_path)
        first = str(exc).splitlines()[0]
        return document.diagnostic(
            ("spec", "parameters", *path),
            "invalid-schema",
            f"spec.parameters is not a valid JSON Schema: {first}",
            hint="see https://json-schema.org/understanding-json-schema/",
        )
    except Exception as exc:  # a schema that cannot even be checked (e.g. a bad $ref)
        return document.diagnostic(
            ("spec", "parameters"),
            "invalid-schema",
            f"spec.parameters is not a valid JSON Schema: {exc}",
        )
    return None


def _declared(kind: str, document: LocatedDocument, data: dict[str, Any]) -> Resource | None:
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(name, str):
        return None
    return Resource(kind, name, document, None)


def _diagnostic_for(
    document: LocatedDocument,
    model: type[BaseModel],
    error: Mapping[str, Any],
    sensitive: Collection[Loc] = (),
) -> Diagnostic:
    loc: Loc = tuple(error["loc"])
    kind: str = error["type"]
    where = _dotted(loc)
    if kind == "extra_forbidden":
        name = str(loc[-1])
        known = _fields_at(model, loc[:-1])
        hint = _did_you_mean(name, known) or (
            f"known fields here: {', '.join(sorted(known))}" if known else None
        )
        parent = _dotted(loc[:-1])
        suffix = f" in {parent}" if parent else ""
        return document.diagnostic(
            loc, "unknown-field", f"unknown field {name!r}{suffix}", hint, at="key"
        )
    if kind in _NEEDED_BY_TRANSPORT:  # `command` or `url`: missing for this transport
        return document.diagnostic(loc[:-1], "missing-field", f"{where}: {error['msg']}", at="key")
    if kind == "missing":
        hint = _MISSING_HINTS.get((str(document.data.get("kind")), where))
        return document.diagnostic(
            loc[:-1], "missing-field", f"missing required field {where!r}", hint, at="key"
        )
    message = str(error["msg"])
    if message.startswith(("Value error, ", "Assertion failed, ")):
        message = message.split(", ", 1)[1]
    message = _CLASS_NAME.sub("", message)  # "a valid dictionary or instance of Guardrails"
    value = error.get("input")
    if any(loc[: len(secret)] == secret for secret in sensitive):
        value = _Sensitive()  # it came from the environment: never print it
    if kind == "string_pattern_mismatch" and (loc[-1:] == ("name",) or _is_reference_field(loc)):
        return document.diagnostic(
            loc, "invalid-name", f"{where}: invalid name {value!r}", hint=_NAME_HINT
        )
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        hint = _did_you_mean(str(value), options, lower=True) if options else None
        return document.diagnostic(
            loc, "invalid-value", f"{where}: {_lower_first(message)}, not {value!r}", hint
        )
    code = (
        "out-of-range"
        if kind in _RANGE_ERRORS
        else (
            "invalid-type"
            if kind.endswith(("_type", "_parsing")) or kind.startswith("model_")
            else "invalid-value"
        )
    )
    if kind in _RANGE_ERRORS or code == "invalid-type":
        shown = _short(value)
        message = f"{_lower_first(message)}" + (f" (got {shown})" if shown else "")
    text = f"{where}: {_lower_first(message)}" if where else message
    return document.diagnostic(loc, code, text)


def _is_reference_field(loc: Loc) -> bool:
    names = [p for p in loc if isinstance(p, str)]
    return bool(names) and names[-1] in ("tools", "files", "memory")


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """Field names of the model reached by `loc` (list indices and dict keys skipped)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return []
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part)
        if info is None:
            return []
        current = _model_in(info.annotation)
    return list(current.model_fields) if current is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _did_you_mean(word: str, choices: typing.Iterable[str], *, lower: bool = False) -> str | None:
    options = list(choices)
    if lower:
        for option in options:
            if option.lower() == word.lower():
                return f"did you mean {option!r}?"
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def did_you_mean(word: str, choices: typing.Iterable[str]) -> str | None:
    """A "did you mean 'x'?" hint, or None when nothing is close."""
    return _did_you_mean(word, choices, lower=True)


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


class _Sensitive:
    def __repr__(self) -> str:
        return "(sensitive)"


def _short(value: Any) -> str:
    if isinstance(value, dict | list):
        return "a mapping" if isinstance(value, dict) else "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
