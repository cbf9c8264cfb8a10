"""The project fixtures live in tests/project_helpers.py (shared with tests/spec)."""

from tests.project_helpers import compile_files, make_project

__all__ = ["compile_files", "make_project"]
