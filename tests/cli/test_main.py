"""The `aia` group: verbs load lazily, and the listed help matches each verb's own."""

from __future__ import annotations

import subprocess
import sys

import click
from click.testing import CliRunner

from aiagentics.cli.main import COMMANDS, cli


def test_listed_help_is_each_commands_own() -> None:
    ctx = click.Context(cli)
    for name, (_module, _attr, listed) in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name
        assert command.get_short_help_str(limit=200) == listed, name


def test_help_lists_every_verb_and_an_unknown_one_is_refused() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name, (_m, _a, listed) in COMMANDS.items():
        assert name in result.output and listed.split(";")[0][:40] in result.output
    refused = CliRunner().invoke(cli, ["nosuchverb"])
    assert refused.exit_code == 2 and "No such command 'nosuchverb'" in refused.output


def test_help_imports_no_verb_module() -> None:
    code = (
        "import sys\n"
        "from aiagentics.cli.main import main\n"
        "sys.argv = ['aia', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('httpx', 'litestar', 'rich', 'jinja2', 'pydantic')]\n"
        "verbs = [m for m in sys.modules if m.startswith('aiagentics.cli.') and m not in ('aiagentics.cli.main', 'aiagentics.cli.context', 'aiagentics.cli._globals', 'aiagentics.cli._errors')]\n"
        "print('LOADED', heavy + verbs)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "LOADED []" in out.stdout, out.stdout[-500:]
