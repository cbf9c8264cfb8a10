"""GET /v1/dev/status: the last reload of `aia dev` (ok, or the diagnostics), for editors."""

from __future__ import annotations

from typing import Any

from litestar import get

from aiagentics.gateway.auth import AuthContext, require
from aiagentics.gateway.errors import NotFound
from aiagentics.gateway.routes.common import error_responses
from aiagentics.gateway.services import Services


@get(
    "/v1/dev/status",
    guards=[require("read")],
    tags=["dev"],
    responses=error_responses(404),
    summary="The last reload of `aia dev`",
    operation_id="get_dev_status",
)
async def dev_status(services: Services, auth: AuthContext) -> dict[str, Any]:
    """What the last reload did: the plan it applied, or why the last good state stays served."""
    if services.dev is None or services.dev.last is None:
        raise NotFound("this gateway is not running under `aia dev`", code="not_dev")
    return services.dev.last.as_json()
