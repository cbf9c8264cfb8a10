"""`type: mcp` Tools: the fields by transport, each error at its file:line:col."""

from __future__ import annotations

from aiagentics.spec.kinds import ToolSpec

HEAD = """
apiVersion: aiagentics.io/v1
kind: Tool
metadata:
  name: clock
spec:
  type: mcp
"""


def diagnostics(result) -> list[tuple]:
    return [(d.file, d.line, d.column, d.code, d.message) for d in result.diagnostics]


def test_a_stdio_tool_compiles_with_its_fields(compile_files) -> None:
    files = {
        "tools/clock.yaml": HEAD
        + "  transport: stdio\n"
        + "  command: [mcp-server-time, --local-timezone, UTC]\n"
        + "  env: {TZ: UTC, TOKEN: '${CLOCK_TOKEN}'}\n"
        + "  tools: [get_current_time]\n"
        + "  prefix: clock_\n"
        + "  timeout_seconds: 5\n"
    }
    result = compile_files(files, environ={"CLOCK_TOKEN": "s3cr3t-token"})
    assert result.diagnostics == []
    (tool,) = result.state.of_kind("Tool")
    body = tool.body
    assert body["command"] == ["mcp-server-time", "--local-timezone", "UTC"]
    assert body["tools"] == ["get_current_time"] and body["prefix"] == "clock_"
    assert body["env"]["TOKEN"] == "s3cr3t-token"
    assert "env.TOKEN" in tool.sensitive


def test_stdio_needs_a_command_at_the_transport(compile_files) -> None:
    result = compile_files({"tools/clock.yaml": HEAD + "  transport: stdio\n"})
    ((file, line, _column, code, message),) = diagnostics(result)
    assert (file, line, code) == ("tools/clock.yaml", 5, "missing-field")
    assert "spec.command" in message and "argv" in message


def test_streamable_http_needs_a_url(compile_files) -> None:
    result = compile_files({"tools/clock.yaml": HEAD + "  transport: streamable_http\n"})
    ((_file, line, _column, code, message),) = diagnostics(result)
    assert (line, code) == (5, "missing-field") and "needs `url`" in message


def test_env_names_are_checked(compile_files) -> None:
    result = compile_files({"tools/clock.yaml": HEAD + "  command: [x]\n  env: {A-B: x}\n"})
    ((_file, line, _column, _code, message),) = diagnostics(result)
    assert line == 8 and "not an environment variable name" in message


def test_a_command_is_an_argv_list_not_a_shell_string(compile_files) -> None:
    result = compile_files({"tools/clock.yaml": HEAD + "  command: mcp-server-time --x\n"})
    ((_file, line, column, code, message),) = diagnostics(result)
    assert (line, column, code) == (7, 12, "invalid-type")
    assert "spec.command" in message


def test_unknown_mcp_field_is_an_error_with_a_hint(compile_files) -> None:
    result = compile_files({"tools/clock.yaml": HEAD + "  command: [x]\n  prefx: c_\n"})
    assert result.diagnostics[0].code == "unknown-field"
    assert result.diagnostics[0].hint == "did you mean 'prefix'?"
    assert result.diagnostics[0].line == 8


def test_a_missing_env_variable_is_reported(compile_files) -> None:
    result = compile_files(
        {"tools/clock.yaml": HEAD + "  command: [x]\n  env: {A: '${NO_SUCH_MCP_VAR}'}\n"}
    )
    assert [d.code for d in result.diagnostics] == ["missing-env"]
    assert result.diagnostics[0].line == 8


def test_other_types_keep_their_bodies() -> None:
    # The mcp fields exist only on mcp tools: http tools' bodies and spec hashes stay put.
    dumped = ToolSpec(type="http", handler_url="https://x.test/h").model_dump(mode="json")
    assert not {"transport", "command", "env", "url", "tools", "prefix"} & set(dumped)
