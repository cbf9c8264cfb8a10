"""Jinja2 rendering of agents' instructions: sandboxed, strict about undefined names.

Errors come back as `TemplateProblem` values (message, hint, and the place in
a template file when the fault lies there) for the compiler to turn into
diagnostics. Compiled templates are kept by source, so a project of
thousands of agents sharing a few templates compiles each once; with a
`TemplateCache`, compiled templates and successful renders also outlive the
compile (keyed by source, context and the sources of the templates a render
loaded), and text without template syntax never reaches Jinja at all.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from aiagentics.spec.template_cache import Deps, TemplateCache

_MISSING_ATTRIBUTE = re.compile(r"has no attribute '([^']+)'")
_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined")


MAX_RENDERED_CHARS = 1_000_000


class _TooLarge(Exception):
    pass


def _bounded_concat(chunks: Iterable[str]) -> str:
    # Jinja joins the output of a render with `concat`: stop a runaway template early.
    out: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_RENDERED_CHARS:
            raise _TooLarge
        out.append(chunk)
    return "".join(out)


_MARKERS = ("{{", "{%", "{#")
# Jinja's `random` filter and `lipsum` global give another output each render: such renders are not kept
_VOLATILE = ("random", "lipsum")
_UNKNOWN = object()  # a template whose source could not be read: never equal to a stored hash
_BEGIN = re.compile(r"\{[{%#]")
_LOOKUP = re.compile(r"\{\{ *([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*) *\}\}")
_CONSTANTS = frozenset({"true", "false", "none", "True", "False", "None"})


def _plain(source: str) -> bool:
    # Jinja gives such text back unchanged (it only rewrites "\r" line ends, and bounds the size)
    return (
        not any(marker in source for marker in _MARKERS)
        and "\r" not in source
        and len(source) <= MAX_RENDERED_CHARS
    )


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def _canonical(value: object) -> str:
    # TOML dates and times, and anything else JSON lacks: its type and repr tell values apart
    return f"{type(value).__module__}.{type(value).__qualname__}:{value!r}"


def _render_key(kind: str, source: str, context: Mapping[str, Any]) -> str | None:
    try:
        encoded = json.dumps(
            context, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_canonical
        )
    except (TypeError, ValueError):  # keys that do not sort, or a cycle: render without the cache
        return None
    return _digest("render", kind, str(MAX_RENDERED_CHARS), source, encoded)


class _Loader(jinja2.BaseLoader):
    """The templates folder (or nothing), each template compiled once per renderer.

    Jinja's own template cache is off: every `include`/`extends` comes through
    `load`, so the templates a render used, and their source hashes, are known.
    """

    def __init__(self, folder: Path | None, cache: TemplateCache | None) -> None:
        self.files = jinja2.FileSystemLoader(str(folder)) if folder else None
        self.cache = cache
        self.loaded: dict[str, tuple[jinja2.Template, str, bool]] = {}
        self.hashes: dict[str, object] = {}  # name -> what `current` found
        # filled during a render whose output is kept
        self.deps: dict[str, str | None] | None = None
        self.volatile = False

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Any]:
        if self.files is None:
            raise jinja2.TemplateNotFound(template)
        return self.files.get_source(environment, template)

    def list_templates(self) -> list[str]:
        return self.files.list_templates() if self.files else []

    def load(
        self,
        environment: jinja2.Environment,
        name: str,
        globals: MutableMapping[str, Any] | None = None,
    ) -> jinja2.Template:
        entry = self.loaded.get(name)
        if entry is None:
            try:
                source, filename, uptodate = self.get_source(environment, name)
            except jinja2.TemplateNotFound:
                if self.deps is not None:
                    self.deps[name] = None
                raise
            key = _digest("code", "file", name, filename or "", source)
            code = self.cache.code(key) if self.cache is not None else None
            if code is None:
                code = environment.compile(source, name, filename)
                if self.cache is not None:
                    self.cache.keep_code(key, code)
            template = environment.template_class.from_code(
                environment, code, environment.make_globals(globals), uptodate
            )
            volatile = any(word in source for word in _VOLATILE)
            entry = (template, _digest(source), volatile)
            self.loaded[name] = entry
        if self.deps is not None:
            self.deps[name] = entry[1]
            self.volatile = self.volatile or entry[2]
        return entry[0]

    def current(self, environment: jinja2.Environment, name: str) -> object:
        """The source hash of template `name` now, None if there is none (to check a stored render)."""
        entry = self.loaded.get(name)
        if entry is not None:
            return entry[1]
        if name not in self.hashes:  # each file read once per compile, however many renders used it
            try:
                source, _, _ = self.get_source(environment, name)
                self.hashes[name] = _digest(source)
            except jinja2.TemplateNotFound:
                self.hashes[name] = None
            except Exception:
                self.hashes[name] = _UNKNOWN
        return self.hashes[name]


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """Why a template failed: `file`/`line` name a template file (None: the inline source), `line` is 1-based."""

    code: str
    message: str
    hint: str | None = None
    file: Path | None = None
    line: int | None = None


class TemplateRenderer:
    """Renders inline instruction templates and files under the project's templates folder."""

    def __init__(self, templates_dir: Path | None, cache: TemplateCache | None = None) -> None:
        self.templates_dir = templates_dir if templates_dir and templates_dir.is_dir() else None
        self.cache = cache
        # with no templates folder, an include still fails as "not found", not "no loader"
        self._loader = _Loader(self.templates_dir, cache)
        self.env = SandboxedEnvironment(
            loader=self._loader,
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            auto_reload=False,  # one renderer per compile: files do not change underneath it
            cache_size=0,  # the loader keeps each template (and sees every use of it)
        )
        self.env.concat = _bounded_concat  # type: ignore[method-assign]
        self._inline: dict[str, jinja2.Template | TemplateProblem] = {}

    def template_names(self) -> list[str]:
        """Names `instructions_template` and `{% include %}` can use."""
        return self.env.list_templates() if self.templates_dir else []

    def render_inline(
        self, source: str, context: Mapping[str, Any], cacheable: bool = False
    ) -> str | TemplateProblem:
        """Render an `instructions` string; text with no template syntax is returned as is.

        `cacheable`: the source and context hold nothing secret, so the cache may store them.
        """
        if "{" not in source or _plain(source):
            return source
        text = self._lookups_only(source, context)
        if text is not None:
            return text
        key = None
        if self.cache is not None and cacheable and not any(w in source for w in _VOLATILE):
            key = _render_key("inline", source, context)
            text = self._stored(key)
            if text is not None:
                return text
        template = self._inline.get(source)
        if template is None:
            template = self._compile_inline(source, cacheable)
            self._inline[source] = template
        if isinstance(template, TemplateProblem):
            return template
        self._record(key)
        return self._keep(key, self._render(template, context))

    def render_file(
        self, name: str, context: Mapping[str, Any], cacheable: bool = False
    ) -> str | TemplateProblem:
        """Render `instructions_template: NAME` from the templates folder (`cacheable` as for inline)."""
        if self.templates_dir is None:
            return TemplateProblem(
                "missing-template",
                f"template {name!r} not found: the project has no templates folder",
            )
        key = None
        if self.cache is not None and cacheable:
            key = _render_key("file", name, context)
            text = self._stored(key)
            if text is not None:
                return text
        self._record(key)
        try:
            template = self.env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            self._record(None)
            return self._syntax_problem(exc)
        except jinja2.TemplateNotFound:
            self._record(None)
            return TemplateProblem(
                "missing-template",
                f"template {name!r} not found in the templates folder",
                hint=self._guess(name),
            )
        return self._keep(key, self._render(template, context))

    def _lookups_only(self, source: str, context: Mapping[str, Any]) -> str | None:
        """What Jinja renders for text whose only syntax is `{{ name.attr... }}`, or None: ask Jinja.

        The most common template by far, done without compiling one: each lookup
        goes through the sandbox's `getattr` exactly as the compiled template's
        would. Anything else (another tag, a filter, whitespace control, an
        undefined name, an error) returns None, so Jinja renders it and reports
        any problem as it always does.
        """
        if "\r" in source:
            return None
        out: list[str] = []
        position = 0
        try:
            while (begin := _BEGIN.search(source, position)) is not None:
                lookup = _LOOKUP.match(source, begin.start())
                if lookup is None:
                    return None
                first, *attributes = lookup.group(1).split(".")
                if first in _CONSTANTS or first not in context:
                    return None
                value = context[first]
                for attribute in attributes:
                    value = self.env.getattr(value, attribute)
                if isinstance(value, jinja2.Undefined):
                    return None
                out.append(source[position : begin.start()])
                out.append(str(value))
                position = lookup.end()
        except Exception:  # Jinja will raise it again, and place it
            return None
        out.append(source[position:])
        text = "".join(out)
        return text if len(text) <= MAX_RENDERED_CHARS else None

    def _compile_inline(self, source: str, cacheable: bool) -> jinja2.Template | TemplateProblem:
        # what `from_string` does, with the compiled code kept when the source is no secret
        key = _digest("code", "inline", source) if self.cache is not None and cacheable else None
        code = self.cache.code(key) if self.cache is not None and key is not None else None
        if code is None:
            try:
                code = self.env.compile(source)
            except jinja2.TemplateSyntaxError as exc:
                return self._syntax_problem(exc)
            if self.cache is not None and key is not None:
                self.cache.keep_code(key, code)
        return self.env.template_class.from_code(self.env, code, self.env.make_globals(None), None)

    def _stored(self, key: str | None) -> str | None:
        # a kept render, if every template it loaded still has the source it had then
        hit = self.cache.rendered(key) if self.cache is not None and key is not None else None
        if hit is None:
            return None
        text, deps = hit
        if any(self._loader.current(self.env, name) != digest for name, digest in deps):
            return None
        return text

    def _record(self, key: str | None) -> None:
        self._loader.deps = {} if key is not None else None
        self._loader.volatile = False

    def _keep(self, key: str | None, result: str | TemplateProblem) -> str | TemplateProblem:
        deps, self._loader.deps = self._loader.deps, None
        if (
            self.cache is not None
            and key is not None
            and deps is not None
            and isinstance(result, str)
            and not self._loader.volatile
        ):
            stored: Deps = tuple(sorted(deps.items()))
            self.cache.keep_rendered(key, result, stored)
        return result

    def _render(
        self, template: jinja2.Template, context: Mapping[str, Any]
    ) -> str | TemplateProblem:
        try:
            return template.render(context)
        except jinja2.TemplateSyntaxError as exc:  # in an included template
            return self._syntax_problem(exc)
        except SecurityError as exc:
            return self._runtime(
                exc,
                "template-unsafe",
                f"the template sandbox refused: {exc}",
                "templates may not reach Python internals",
            )
        except jinja2.UndefinedError as exc:
            if "unsafe" in str(exc):
                return self._runtime(
                    exc,
                    "template-unsafe",
                    f"the template sandbox refused: {exc}",
                    "templates may not reach Python internals",
                )
            return self._runtime(
                exc,
                "template-undefined",
                f"undefined in template: {exc}",
                self._undefined_hint(str(exc), context),
            )
        except jinja2.TemplateNotFound as exc:
            return self._runtime(
                exc,
                "missing-template",
                f"template {exc.name!r} not found in the templates folder",
                self._guess(str(exc.name)),
            )
        except _TooLarge as exc:
            return self._runtime(
                exc, "template-too-large",
                f"rendered instructions exceed {MAX_RENDERED_CHARS:,} characters",
                "a loop that never ends, or an include of something huge?",
            )  # fmt: skip
        except RecursionError as exc:
            return self._runtime(
                exc, "template-error", "template recursion too deep (does it include itself?)"
            )
        except Exception as exc:  # a template may raise anything: never a traceback
            return self._runtime(
                exc, "template-error", f"template error: {type(exc).__name__}: {exc}"
            )

    def _syntax_problem(self, exc: jinja2.TemplateSyntaxError) -> TemplateProblem:
        file = Path(exc.filename) if exc.filename else None
        return TemplateProblem(
            "template-syntax", f"template syntax error: {exc.message}", file=file, line=exc.lineno
        )

    def _runtime(
        self, exc: BaseException, code: str, message: str, hint: str | None = None
    ) -> TemplateProblem:
        file, line = self._template_frame(exc)
        return TemplateProblem(code, message, hint, file, line)

    def _template_frame(self, exc: BaseException) -> tuple[Path | None, int | None]:
        # Jinja rewrites tracebacks so that template lines show as frames of the template's file.
        found: tuple[Path | None, int | None] = (None, None)
        tb = exc.__traceback__
        root = str(self.templates_dir) if self.templates_dir else None
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename == "<template>":
                found = (None, tb.tb_lineno)
            elif root and filename.startswith(root):
                found = (Path(filename), tb.tb_lineno)
            tb = tb.tb_next
        return found

    def _guess(self, name: str) -> str | None:
        close = difflib.get_close_matches(name, self.template_names(), n=1, cutoff=0.6)
        return f"did you mean {close[0]!r}?" if close else None

    def _undefined_hint(self, message: str, context: Mapping[str, Any]) -> str | None:
        attribute = _MISSING_ATTRIBUTE.search(message)
        if attribute:
            keys = [str(k) for k in context.get("vars", {})] + ["name", "description", "labels"]
            close = difflib.get_close_matches(attribute.group(1), keys, n=1, cutoff=0.6)
            if close:
                return f"did you mean {close[0]!r}?"
            return "variables come from [vars] in aiagentics.toml (and [env.NAME.vars])"
        name = _UNDEFINED_NAME.search(message)
        if name:
            close = difflib.get_close_matches(name.group(1), list(context), n=1, cutoff=0.6)
            return (
                f"did you mean {close[0]!r}?"
                if close
                else "templates see `vars`, `env` and `agent`"
            )
        return None
