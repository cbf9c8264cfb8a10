"""The console's requests that act (sign in/out, start a run, answer a client tool) and its streams.

Each POST made with the session cookie is checked for origin and CSRF nonce; starting a run
and submitting tool outputs also need the key's `run` scope, as the API's routes do.
"""

# No `from __future__ import annotations`: Litestar reads these annotations at runtime.

from typing import Any
from urllib.parse import parse_qs

import msgspec
from litestar import Request, get, post
from litestar.response import Redirect, Response, Stream

from aiagentics.gateway.console.pages import LOGIN, base, secure, services_of, signed_in
from aiagentics.gateway.console.render import SECURITY_HEADERS, page
from aiagentics.gateway.console.session import (
    Session,
    auth_for_secret,
    check_csrf,
    check_origin,
    cleared_cookie,
    seal_session,
    session_cookie,
)
from aiagentics.gateway.errors import ApiError, Forbidden, InvalidRequest, Unauthorized
from aiagentics.gateway.routes.common import check_id, event_id
from aiagentics.gateway.routes.runs import sse_response

MAX_FORM = 16 * 1024


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM:
        raise InvalidRequest("the form is too large")
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items()}


async def _json(request: Request[Any, Any, Any]) -> dict[str, Any]:
    try:
        data = msgspec.json.decode(await request.body())
    except msgspec.DecodeError:
        raise InvalidRequest("the body must be JSON") from None
    if not isinstance(data, dict):
        raise InvalidRequest("the body must be a JSON object")
    return data


async def _acting(request: Request[Any, Any, Any], scope: str) -> Session:
    """The session of a state-changing JSON request: signed in, same origin, CSRF, scope."""
    session = await signed_in(request)
    if session is None:
        raise Unauthorized("sign in to the console first", code="no_console_session")
    check_csrf(request, session, None)
    if not session.auth.allows(scope):
        raise Forbidden(f"this key lacks the `{scope}` scope")
    return session


@post("/login", include_in_schema=False, status_code=303)
async def login(request: Request[Any, Any, Any]) -> Response[Any]:
    """Sign in with a pasted key: the browser gets a sealed session, never the key."""
    check_origin(request)  # no one else's page may sign this browser in
    fields = await _form(request)
    services = services_of(request)
    try:
        auth = await auth_for_secret(services.keys, fields.get("key", ""))
    except ApiError as err:
        return await page("login.html", base(request, None, error=err.message), status=401)
    value, _ = seal_session(services.sealer, auth)
    return Redirect(
        "/console/agents",
        status_code=303,
        headers=SECURITY_HEADERS,
        cookies=[session_cookie(value, secure=secure(request))],
    )


@post("/logout", include_in_schema=False, status_code=303)
async def logout(request: Request[Any, Any, Any]) -> Response[Any]:
    """Sign out (the cookie is dropped)."""
    session = await signed_in(request)
    if session is not None:
        check_csrf(request, session, (await _form(request)).get("csrf"))
    return Redirect(
        LOGIN,
        status_code=303,
        headers=SECURITY_HEADERS,
        cookies=[cleared_cookie(secure=secure(request))],
    )


@post("/agents/{agent_id:str}/runs", include_in_schema=False, status_code=200)
async def start_run(request: Request[Any, Any, Any], agent_id: str) -> dict[str, Any]:
    """Try it: start a run of the agent with `{"input": "..."}`; the page follows its events."""
    session = await _acting(request, "run")
    data = await _json(request)
    text = data.get("input")
    if not isinstance(text, str) or not text.strip():
        raise InvalidRequest("write a message first", param="input")
    check_id(agent_id, "agt", "agent")
    run = await services_of(request).runs.create(
        session.auth.scope,
        agent_id=agent_id,
        agent_name=None,
        input=text,
        metadata={"source": "console"},
    )
    return {"id": run.id, "url": f"/console/runs/{run.id}"}


@post("/runs/{run_id:str}/submit_tool_outputs", include_in_schema=False, status_code=200)
async def submit_tool_outputs(request: Request[Any, Any, Any], run_id: str) -> dict[str, Any]:
    """Answer the client tool calls a run waits for: `{"tool_outputs": [{tool_call_id, output}]}`."""
    session = await _acting(request, "run")
    data = await _json(request)
    outputs = data.get("tool_outputs")
    if not isinstance(outputs, list) or not all(
        isinstance(o, dict) and isinstance(o.get("tool_call_id"), str) for o in outputs
    ):
        raise InvalidRequest(
            "tool_outputs must be a list of {tool_call_id, output}", param="tool_outputs"
        )
    check_id(run_id, "run", "run")
    run, _ = await services_of(request).runs.submit_tool_outputs(
        session.auth.scope,
        run_id,
        [{"tool_call_id": o["tool_call_id"], "output": o.get("output")} for o in outputs],
    )
    return {"id": run.id, "status": run.status}


@get("/runs/{run_id:str}/events", include_in_schema=False)
async def run_events(request: Request[Any, Any, Any], run_id: str) -> Stream:
    """The run's events as SSE for the page's EventSource (the same stream as /v1/runs/:id/events)."""
    session = await signed_in(request)
    if session is None:
        raise Unauthorized("sign in to the console first", code="no_console_session")
    check_id(run_id, "run", "run")
    runs = services_of(request).runs
    await runs.get(session.auth.scope, run_id)
    after = event_id(request.headers.get("last-event-id"), "Last-Event-ID")
    if after is None:
        after = event_id(request.query_params.get("after"), "after") or 0
    return sse_response(runs, run_id, after, pause_ends=False)


@get("/runs/{run_id:str}/raw", include_in_schema=False)
async def run_raw(request: Request[Any, Any, Any], run_id: str) -> Response[Any]:
    """The run and its trace as the API returns them (JSON)."""
    session = await signed_in(request)
    if session is None:
        raise Unauthorized("sign in to the console first", code="no_console_session")
    check_id(run_id, "run", "run")
    runs = services_of(request).runs
    record = await runs.get(session.auth.scope, run_id)
    trace = await runs.trace(session.auth.scope, run_id)
    body = msgspec.json.encode({"run": record.to_api(), "trace": trace})
    return Response(body, media_type="application/json", headers=SECURITY_HEADERS)
