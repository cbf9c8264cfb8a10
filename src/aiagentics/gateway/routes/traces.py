"""/v1/traces/:run_id: the step-by-step trace of a run."""

# No `from __future__ import annotations`: Litestar reads these annotations at runtime.

import msgspec
from litestar import get

from aiagentics.engine.runs.service import RunService
from aiagentics.gateway.auth import AuthContext, require
from aiagentics.gateway.routes.common import check_id, error_responses
from aiagentics.wire.traces import Trace


@get(
    "/v1/traces/{run_id:str}",
    guards=[require("read")],
    responses=error_responses(404),
    summary="The trace of a run: every model and tool step with inputs, outputs, latency, tokens",
    operation_id="get_trace",
    tags=["traces"],
)
async def get_trace(run_id: str, runs: RunService, auth: AuthContext) -> Trace:
    """The trace of one run."""
    check_id(run_id, "run", "run")
    # Converted (not just wrapped): the engine builds the trace as plain data, and a step
    # that left the documented shape must fail here rather than reach a client.
    return msgspec.convert(await runs.trace(auth.scope, run_id), Trace)
