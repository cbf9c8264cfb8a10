"""The public surface of `aiagentics.spec` and `aiagentics.compiler` is what `__all__` says."""

from __future__ import annotations

import pytest

import aiagentics.compiler
import aiagentics.spec


@pytest.mark.parametrize("module", [aiagentics.spec, aiagentics.compiler])
def test_all_names_exist_and_are_sorted_uniquely(module) -> None:
    names = module.__all__
    assert len(names) == len(set(names))
    for name in names:
        assert getattr(module, name) is not None


def test_compiler_surface() -> None:
    assert {"compile_project", "CompileResult", "DesiredState", "CompiledResource"} <= set(
        aiagentics.compiler.__all__
    )
