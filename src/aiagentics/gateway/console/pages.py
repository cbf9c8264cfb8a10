"""The console's pages (GET, server-rendered): sign-in, agents, an agent, runs, a run, dev status."""

# No `from __future__ import annotations`: Litestar reads these annotations at runtime.

from typing import Any

from litestar import Request, get
from litestar.response import Redirect, Response

from aiagentics import errors
from aiagentics.engine.definitions import DEV_SOURCE_KEY, render
from aiagentics.gateway.console import views
from aiagentics.gateway.console.render import SECURITY_HEADERS, page
from aiagentics.gateway.console.session import (
    Session,
    auth_for_secret,
    current_session,
    link_tokens,
    seal_session,
    session_cookie,
)
from aiagentics.gateway.errors import ApiError
from aiagentics.gateway.services import Services
from aiagentics.wire.runs import RUN_STATUSES

LOGIN = "/console/login"


def services_of(request: Request[Any, Any, Any]) -> Services:
    """The gateway's parts."""
    return request.app.state.services


async def signed_in(request: Request[Any, Any, Any]) -> Session | None:
    """The console session of this request, or None."""
    services = services_of(request)
    return await current_session(request, services.sealer, services.keys)


def to_login() -> Redirect:
    """Where a browser without a session goes."""
    return Redirect(LOGIN, status_code=303, headers=SECURITY_HEADERS)


def base(request: Request[Any, Any, Any], session: Session | None, **extra: Any) -> dict[str, Any]:
    """What every page's layout needs."""
    services = services_of(request)
    return {
        "session": session,
        "csrf": session.csrf if session else "",
        "auth": session.auth if session else None,
        "dev": services.dev is not None,
        **extra,
    }


def secure(request: Request[Any, Any, Any]) -> bool:
    """Mark the cookie Secure when the browser reached us over https."""
    return request.url.scheme == "https"


@get("/", include_in_schema=False)
async def console_home(request: Request[Any, Any, Any]) -> Response[Any]:
    """The console's start: the agents, or the sign-in page."""
    if await signed_in(request) is None:
        return to_login()
    return Redirect("/console/agents", status_code=303, headers=SECURITY_HEADERS)


@get("/login", include_in_schema=False)
async def login_page(request: Request[Any, Any, Any], token: str | None = None) -> Response[Any]:
    """Paste a key; or, with `?token=` from `aia dev`, sign in once by the link."""
    if token:
        services = services_of(request)
        secret = link_tokens(request.app.state).redeem(token)
        if secret is not None:
            try:
                auth = await auth_for_secret(services.keys, secret)
            except ApiError:
                secret = None
            else:
                value, _ = seal_session(services.sealer, auth)
                return Redirect(
                    "/console/agents",
                    status_code=303,
                    headers=SECURITY_HEADERS,
                    cookies=[session_cookie(value, secure=secure(request))],
                )
        return await page(
            "login.html",
            base(request, None, error="This sign-in link has been used or has expired."),
            status=401,
        )
    return await page("login.html", base(request, await signed_in(request), error=None))


@get("/agents", include_in_schema=False)
async def agents_page(request: Request[Any, Any, Any]) -> Response[Any]:
    """Every agent the key may see."""
    session = await signed_in(request)
    if session is None:
        return to_login()
    defs = services_of(request).definitions
    listed = await defs.list("agent", session.auth.scope, limit=100)
    agents = [render("agent", r) for r in listed.items]
    return await page("agents.html", base(request, session, agents=agents, more=listed.has_more))


@get("/agents/{agent_id:str}", include_in_schema=False)
async def agent_page(
    request: Request[Any, Any, Any], agent_id: str, a: int | None = None, b: int | None = None
) -> Response[Any]:
    """One agent: model, tools, memory, guardrails, instructions, versions (and a diff)."""
    session = await signed_in(request)
    if session is None:
        return to_login()
    services = services_of(request)
    scope = session.auth.scope
    res = await services.definitions.get("agent", scope, agent_id)
    agent = render("agent", res)
    tools = []
    for ref in agent.get("tools") or []:
        try:
            tools.append(render("tool", await services.definitions.get("tool", scope, ref)))
        except errors.DomainError:
            tools.append({"id": ref, "name": ref, "type": "missing"})
    versions_page = await services.definitions.versions("agent", scope, agent_id, limit=100)
    versions = [render("agent", v) for v in versions_page.items]
    diff = None
    by_number = {v["version"]: v for v in versions}
    if a is not None and b is not None and a in by_number and b in by_number:
        diff = views.version_diff(by_number[a], by_number[b])
    recent, _ = await services.runs.list(scope, limit=10, agent_id=agent_id)
    context = base(
        request,
        session,
        agent=agent,
        tools=tools,
        source=(res.data.get("metadata") or {}).get(DEV_SOURCE_KEY),
        versions=versions,
        diff=diff,
        diff_pair=(a, b),
        runs=[r.to_api() for r in recent],
        can_run=session.auth.allows("run"),
        client_tools={t["name"]: t.get("parameters") for t in tools if t.get("type") == "client"},
    )
    return await page("agent.html", context)


@get("/runs", include_in_schema=False)
async def runs_page(
    request: Request[Any, Any, Any],
    agent_id: str | None = None,
    status: str | None = None,
    fragment: bool = False,
) -> Response[Any]:
    """Runs, newest first, filtered by agent and status (`fragment`: just the rows, for live updates)."""
    session = await signed_in(request)
    if session is None:
        return to_login()
    services = services_of(request)
    agent_id = agent_id or None
    status = status if status in RUN_STATUSES else None
    listed, _ = await services.runs.list(
        session.auth.scope, limit=50, agent_id=agent_id, status=status
    )
    names = {}
    agents = await services.definitions.list("agent", session.auth.scope, limit=100)
    for r in agents.items:
        names[r.id] = r.name
    runs = []
    for record in listed:
        run = record.to_api()
        run["agent_name"] = record.agent.get("name") or names.get(record.agent_id, record.agent_id)
        run["duration_ms"] = views.duration_ms(run)
        runs.append(run)
    context = base(
        request,
        session,
        runs=runs,
        agents=names,
        statuses=RUN_STATUSES,
        filter_agent=agent_id or "",
        filter_status=status or "",
    )
    return await page("runs_rows.html" if fragment else "runs.html", context)


@get("/runs/{run_id:str}", include_in_schema=False)
async def run_page(request: Request[Any, Any, Any], run_id: str) -> Response[Any]:
    """One run: the thread, the trace as a timeline, errors; live while it runs."""
    session = await signed_in(request)
    if session is None:
        return to_login()
    services = services_of(request)
    record = await services.runs.get(session.auth.scope, run_id)
    trace = await services.runs.trace(session.auth.scope, run_id)
    run = record.to_api()
    context = base(
        request,
        session,
        run=run,
        agent_name=record.agent.get("name") or record.agent_id,
        messages=[(m.get("role", "?"), views.message_text(m)) for m in run["messages"]],
        timeline=views.timeline(trace.get("steps") or []),
        duration=trace.get("duration_ms"),
        live=run["status"] in ("queued", "in_progress", "requires_action"),
        can_run=session.auth.allows("run"),
        client_tools=views.client_tools(record.agent),
        last_seq=record.last_seq,
    )
    return await page("run.html", context)


@get("/dev", include_in_schema=False)
async def dev_page(request: Request[Any, Any, Any]) -> Response[Any]:
    """Under `aia dev`: the last reload, what it changed, the diagnostics."""
    session = await signed_in(request)
    if session is None:
        return to_login()
    services = services_of(request)
    status = services.dev.last.as_json() if services.dev and services.dev.last else None
    return await page("dev.html", base(request, session, status=status))
