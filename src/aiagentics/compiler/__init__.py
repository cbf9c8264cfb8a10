"""The compiler: a project's spec files -> a validated, ordered, hashed desired state."""

from aiagentics.compiler.compile import CompileResult, compile_project, spec_hash
from aiagentics.compiler.state import APPLY_ORDER, CompiledResource, DesiredState, SourceRef
from aiagentics.spec.loader import ParseCache
from aiagentics.spec.template_cache import TemplateCache

__all__ = [
    "APPLY_ORDER",
    "CompileResult",
    "CompiledResource",
    "DesiredState",
    "ParseCache",
    "SourceRef",
    "TemplateCache",
    "compile_project",
    "spec_hash",
]
