"""The resource language: kinds, YAML loading with locations, `${ENV}` values, templates, diagnostics."""

from aiagentics.spec.diagnostics import Diagnostic, has_errors
from aiagentics.spec.discovery import discover
from aiagentics.spec.kinds import API_VERSION, KINDS, SPEC_MODELS, document_model
from aiagentics.spec.loader import LocatedDocument, SourceFile, load_files
from aiagentics.spec.schema import all_schemas, kind_schema
from aiagentics.spec.templates import TemplateProblem, TemplateRenderer
from aiagentics.spec.validate import Resource, validate_document

__all__ = [
    "API_VERSION",
    "KINDS",
    "SPEC_MODELS",
    "Diagnostic",
    "LocatedDocument",
    "Resource",
    "SourceFile",
    "TemplateProblem",
    "TemplateRenderer",
    "all_schemas",
    "discover",
    "document_model",
    "has_errors",
    "kind_schema",
    "load_files",
    "validate_document",
]
