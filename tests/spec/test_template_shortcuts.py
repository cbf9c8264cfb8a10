"""Text that skips Jinja (no template syntax, or only `{{ name.attr }}` lookups) renders exactly as Jinja renders it."""

from __future__ import annotations

import jinja2
from hypothesis import example, given, settings
from hypothesis import strategies as st
from jinja2.sandbox import SandboxedEnvironment

from aiagentics.spec.templates import MAX_RENDERED_CHARS, TemplateProblem, TemplateRenderer

CONTEXT = {
    "vars": {"company": "Acme", "n": 3, "ratio": 0.5, "flag": True, "nothing": None},
    "env": None,
    "agent": {"name": "a", "description": "", "labels": {"tier": "gold"}},
}

TEXT = ["a", "Hello ", " ", "\n", "\r", "\r\n", "{", "}", "%", "#", "-", ".", "{}", '{"k": 1}']
SYNTAX = [
    "{{", "}}", "{%", "%}", "{#", "#}", "{{ vars.company }}", "{{agent.name}}",
    "{{ agent.labels.tier }}", "{{ env }}", "{{  vars.n  }}", "{{ vars.ratio }}",
    "{{ vars.flag }}", "{{ vars.nothing }}", "{{ vars.missing }}", "{{ nope }}",
    "{{ vars.company.upper }}", "{{ true }}", "{{ None }}", "{{ range }}",
    "{{- vars.company }}", "{{ vars.company -}}", "{{{ vars.company }}", "{{ vars .company }}",
    "{{\tvars.company }}", "{{ vars.company|upper }}", "{{ agent.__class__ }}",
    "{% if vars.flag %}yes{% endif %}", "{# note #}", "{{ vars['company'] }}",
]  # fmt: skip


def jinja(source: str) -> str | None:
    """What plain Jinja, configured as the renderer is, makes of `source` (None: an error)."""
    env = SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
    )
    try:
        return env.from_string(source).render(CONTEXT)
    except Exception:
        return None


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(TEXT), st.sampled_from(TEXT), st.sampled_from(SYNTAX)),
        max_size=12,
    ).map("".join)
)
@example("{a\r\nb")
@example("a {{- vars.company }}")
@example("{{ vars.company -}}\n b")
@example("{{{ vars.company }}")
@example("{{ true }}{{ range }}")
def test_inline_rendering_matches_jinja(source: str) -> None:
    renderer = TemplateRenderer(None)
    expected = jinja(source)
    result = renderer.render_inline(source, CONTEXT)
    if "{" not in source:
        assert result == source  # returned as is, as always
    elif expected is None:
        assert isinstance(result, TemplateProblem)
    else:
        assert result == expected
    shortcut = renderer._lookups_only(source, CONTEXT)
    if shortcut is not None:
        assert shortcut == expected


def test_lookups_are_done_without_jinja() -> None:
    renderer = TemplateRenderer(None)
    source = "You are {{ agent.name }} of {{vars.company}} ({{ env }}), {{ vars.n }}: {x}"
    assert renderer._lookups_only(source, CONTEXT) == "You are a of Acme (None), 3: {x}"
    assert renderer._inline == {}  # nothing was compiled
    assert renderer.render_inline('Answer as {"ok": true}', CONTEXT) == 'Answer as {"ok": true}'
    assert renderer._inline == {}


def test_oversized_text_with_braces_is_still_refused() -> None:
    source = "{x}" + "a" * MAX_RENDERED_CHARS
    result = TemplateRenderer(None).render_inline(source, CONTEXT)
    assert isinstance(result, TemplateProblem) and result.code == "template-too-large"


def test_an_undefined_lookup_is_reported_by_jinja_with_its_line() -> None:
    result = TemplateRenderer(None).render_inline("one\ntwo {{ vars.compnay }}", CONTEXT)
    assert isinstance(result, TemplateProblem)
    assert (result.code, result.line, result.hint) == (
        "template-undefined",
        2,
        "did you mean 'company'?",
    )
