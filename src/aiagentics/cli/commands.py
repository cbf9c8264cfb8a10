"""Imports every verb module so that each registers itself on the `aia` group."""

# One line per verb module; each module decorates its commands with @cli.command.
# ruff: noqa: I001  (registration order is append-only: several owners add lines here)
from aiagentics.cli import validate  # noqa: F401
from aiagentics.cli import plan  # noqa: F401
from aiagentics.cli import scaffold_cmds  # noqa: F401
from aiagentics.cli import serve  # noqa: F401
from aiagentics.cli import keys  # noqa: F401
from aiagentics.cli import export  # noqa: F401
from aiagentics.cli import dev  # noqa: F401
from aiagentics.cli import run  # noqa: F401
