"""Who is calling: the API key of a /v1 request (after validating the read cache), else the IP."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiagentics.gateway.auth import AuthContext, authenticate
from aiagentics.gateway.errors import ApiError, InvalidRequest, ServerError
from aiagentics.gateway.middleware.asgi import Scope
from aiagentics.gateway.services import Services

log = logging.getLogger("aiagentics.gateway")

PUBLIC_PATHS = frozenset({"/v1/health"})
METRICS_PATH = "/metrics"  # public unless [telemetry] metrics_require_key


@dataclass(slots=True)
class Caller:
    """The rate-limit bucket of the request, its key (when it has a valid one), or why not."""

    who: str
    auth: AuthContext | None = None
    error: ApiError | None = None


async def identify(
    services: Services, scope: Scope, headers: dict[str, str], repeated: str | None
) -> Caller:
    """Authenticate /v1/* except the public paths (`scope["state"]["auth"]`).

    The refusal (401, or 400 for a repeated header) is kept, not raised: the rate limit
    is spent first, so that guessing keys costs tokens too.
    """
    state = scope["state"]
    caller = Caller(f"ip:{(scope.get('client') or ('?', 0))[0]}")
    path: str = scope["path"]
    if repeated is not None:
        # Two proxies or libraries disagree about which one counts: refuse both.
        caller.error = InvalidRequest(
            f"the request has more than one `{repeated}` header; send exactly one",
            param=repeated,
            code="duplicate_header",
        )
    elif (path.startswith("/v1/") and path not in PUBLIC_PATHS) or (
        path == METRICS_PATH and services.settings.telemetry.metrics_require_key
    ):
        try:
            # One cheap "did the database change?" check per request validates every
            # read cached since the last write (see readcache.py).
            cache = services.read_cache
            token = cache.begin(await services.storage.change_token())
            state["cache_token"] = token
            auth = await authenticate(services.keys, headers.get("authorization"), cache, token)
        except ApiError as err:
            caller.error = err
        except Exception as exc:  # the store failing must still get our error shape
            log.exception("authentication of request %s failed", state["request_id"])
            raise ServerError("internal server error") from exc
        else:
            state["auth"] = auth
            caller.auth = auth
            caller.who = auth.key_id
    return caller
