"""Instructions rendered by Jinja2 at compile time; template errors placed in the user's files."""

from __future__ import annotations

from tests.project_helpers import where

CONFIG = """
[vars]
company = "Acme"
[env.live.vars]
company = "Acme Inc."
"""


def agent(spec: str, name: str = "a") -> str:
    return (
        f"apiVersion: aiagentics.io/v1\nkind: Agent\nmetadata:\n  name: {name}\n"
        f"  labels: {{tier: gold}}\nspec:\n{spec.rstrip(chr(10))}\n  model: scripted\n"
    )


def test_vars_env_and_agent_in_inline_instructions(compile_files) -> None:
    spec = (
        '  instructions: "{{ vars.company }}/{{ env }}/{{ agent.name }}/{{ agent.labels.tier }}"\n'
    )
    result = compile_files({"agents/a.yaml": agent(spec)}, config=CONFIG, env="live")
    assert result.state.by_address["Agent/a"].body["instructions"] == "Acme Inc./live/a/gold"


def test_template_file_with_extends_and_include(compile_files) -> None:
    files = {
        "templates/base.j2": "Base {{ vars.company }}.\n{% block body %}{% endblock %}\n{% include 'footer.j2' %}",
        "templates/support.j2": "{% extends 'base.j2' %}{% block body %}Body of {{ agent.name }}.{% endblock %}",
        "templates/footer.j2": "Bye.",
        "agents/a.yaml": agent("  instructions_template: support.j2\n"),
    }
    result = compile_files(files, config=CONFIG)
    assert result.diagnostics == []
    assert result.state.resources[0].body["instructions"] == "Base Acme.\nBody of a.\nBye."


def test_undefined_variable_in_block_instructions_points_at_its_line(compile_files) -> None:
    spec = "  instructions: |\n    Hello.\n    Company: {{ vars.compnay }}\n"
    result = compile_files({"agents/a.yaml": agent(spec)}, config=CONFIG)
    assert where(result) == [("agents/a.yaml", 9, 5, "template-undefined")]
    assert result.diagnostics[0].hint == "did you mean 'company'?"


def test_undefined_name(compile_files) -> None:
    result = compile_files({"agents/a.yaml": agent('  instructions: "{{ compny }}"\n')})
    assert where(result) == [("agents/a.yaml", 7, 18, "template-undefined")]
    assert "'compny' is undefined" in result.diagnostics[0].message


def test_syntax_error_inline(compile_files) -> None:
    spec = "  instructions: |\n    ok\n    {% if x %}\n    never closed\n"
    result = compile_files({"agents/a.yaml": agent(spec)})
    (d,) = result.diagnostics
    assert (d.file, d.code) == ("agents/a.yaml", "template-syntax")
    assert d.line in (9, 10)  # Jinja reports the end of the template for an unclosed block


def test_syntax_error_in_template_file_names_the_file(compile_files) -> None:
    files = {
        "templates/bad.j2": "line one\n{{ vars.company \n",
        "agents/a.yaml": agent("  instructions_template: bad.j2\n"),
    }
    result = compile_files(files, config=CONFIG)
    assert where(result) == [("templates/bad.j2", 2, 1, "template-syntax")]


def test_missing_instructions_template_with_did_you_mean(compile_files) -> None:
    files = {
        "templates/support.j2": "x",
        "agents/a.yaml": agent("  instructions_template: suport.j2\n"),
    }
    result = compile_files(files)
    assert where(result) == [("agents/a.yaml", 7, 26, "missing-template")]
    assert result.diagnostics[0].hint == "did you mean 'support.j2'?"


def test_missing_include_points_at_the_include_line(compile_files) -> None:
    spec = "  instructions: |\n    first\n    {% include 'nope.j2' %}\n"
    result = compile_files({"templates/x.j2": "x", "agents/a.yaml": agent(spec)})
    assert where(result) == [("agents/a.yaml", 9, 5, "missing-template")]


def test_sandbox_refuses_python_internals(compile_files) -> None:
    spec = "  instructions: \"{{ ''.__class__.__mro__[1].__subclasses__() }}\"\n"
    result = compile_files({"agents/a.yaml": agent(spec)})
    assert where(result) == [("agents/a.yaml", 7, 18, "template-unsafe")]
    assert "__class__" in result.diagnostics[0].message and result.state is None


def test_error_in_a_shared_template_is_reported_once(compile_files) -> None:
    files = {"templates/t.j2": "ok\n{{ vars.missing }}"}
    for i in range(5):
        files[f"agents/a{i}.yaml"] = agent("  instructions_template: t.j2\n", name=f"a{i}")
    result = compile_files(files)
    assert where(result) == [("templates/t.j2", 2, 1, "template-undefined")]
    assert "while rendering Agent 'a0'" in result.diagnostics[0].hint


def test_plain_text_instructions_are_kept_as_is(compile_files) -> None:
    result = compile_files({"agents/a.yaml": agent('  instructions: "No templating here."\n')})
    assert result.state.resources[0].body["instructions"] == "No templating here."


def test_include_without_a_templates_folder(compile_files) -> None:
    result = compile_files({"agents/a.yaml": agent("  instructions: \"{% include 'x.j2' %}\"\n")})
    assert where(result) == [("agents/a.yaml", 7, 18, "missing-template")]


def test_template_runtime_error_is_a_diagnostic(compile_files) -> None:
    result = compile_files({"agents/a.yaml": agent('  instructions: "{{ 1 // 0 }}"\n')})
    assert [d.code for d in result.diagnostics] == ["template-error"]
    assert "ZeroDivisionError" in result.diagnostics[0].message


def test_recursive_include_is_a_diagnostic(compile_files) -> None:
    files = {
        "templates/loop.j2": "{% include 'loop.j2' %}",
        "agents/a.yaml": agent("  instructions_template: loop.j2\n"),
    }
    result = compile_files(files)
    assert [d.code for d in result.diagnostics] == ["template-error"]


def test_sandbox_refuses_in_a_template_file_too(compile_files) -> None:
    files = {
        "templates/evil.j2": "ok\n{{ agent.__init__.__globals__ }}\n",
        "agents/a.yaml": agent("  instructions_template: evil.j2\n"),
    }
    result = compile_files(files)
    assert where(result) == [("templates/evil.j2", 2, 1, "template-unsafe")]
    assert "while rendering Agent 'a' (agents/a.yaml:7:26)" in result.diagnostics[0].hint


def test_runaway_output_is_stopped(compile_files) -> None:
    spec = '  instructions: "{% for i in range(99999) %}{{ \\"x\\" * 99 }}{% endfor %}"\n'
    result = compile_files({"agents/a.yaml": agent(spec)})
    assert where(result) == [("agents/a.yaml", 7, 18, "template-too-large")]


def test_unknown_env_name_is_a_warning_with_did_you_mean(compile_files) -> None:
    result = compile_files({}, config=CONFIG, env="lvie")
    assert where(result) == [("aiagentics.toml", 1, 1, "unknown-env")]
    assert result.diagnostics[0].hint == "did you mean 'live'?" and result.ok
