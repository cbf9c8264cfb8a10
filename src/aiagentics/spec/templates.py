"""Jinja2 rendering of agents' instructions: sandboxed, strict about undefined names.

Errors come back as `TemplateProblem` values (message, hint, and the place in
a template file when the fault lies there) for the compiler to turn into
diagnostics. Compiled templates are cached by source, so a project of
thousands of agents sharing a few templates compiles each once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment, SecurityError

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


class _NoTemplates(jinja2.BaseLoader):
    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, None]:
        raise jinja2.TemplateNotFound(template)


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

    def __init__(self, templates_dir: Path | None) -> None:
        self.templates_dir = templates_dir if templates_dir and templates_dir.is_dir() else None
        # with no templates folder, an include still fails as "not found", not "no loader"
        loader = (
            jinja2.FileSystemLoader(str(self.templates_dir))
            if self.templates_dir
            else _NoTemplates()
        )
        self.env = SandboxedEnvironment(
            loader=loader,
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            auto_reload=False,  # one renderer per compile: files do not change underneath it
            cache_size=-1,
        )
        self.env.concat = _bounded_concat  # type: ignore[method-assign]
        self._inline: dict[str, jinja2.Template | TemplateProblem] = {}

    def template_names(self) -> list[str]:
        """Names `instructions_template` and `{% include %}` can use."""
        return self.env.list_templates() if self.templates_dir else []

    def render_inline(self, source: str, context: Mapping[str, Any]) -> str | TemplateProblem:
        """Render an `instructions` string; plain text without `{` is returned as is."""
        if "{" not in source:
            return source
        template = self._inline.get(source)
        if template is None:
            try:
                template = self.env.from_string(source)
            except jinja2.TemplateSyntaxError as exc:
                template = self._syntax_problem(exc)
            self._inline[source] = template
        if isinstance(template, TemplateProblem):
            return template
        return self._render(template, context)

    def render_file(self, name: str, context: Mapping[str, Any]) -> str | TemplateProblem:
        """Render `instructions_template: NAME` from the templates folder."""
        if self.templates_dir is None:
            return TemplateProblem(
                "missing-template",
                f"template {name!r} not found: the project has no templates folder",
            )
        try:
            template = self.env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            return self._syntax_problem(exc)
        except jinja2.TemplateNotFound:
            return TemplateProblem(
                "missing-template",
                f"template {name!r} not found in the templates folder",
                hint=self._guess(name),
            )
        return self._render(template, context)

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
