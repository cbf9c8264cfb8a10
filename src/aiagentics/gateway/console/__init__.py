"""The web console at /console: watch agents run, read their traces, try them in the browser.

Server-rendered pages (Jinja2, autoescaped) with a little plain JavaScript (`static/`), all
shipped in the package: nothing is fetched from elsewhere and no build step is needed. It
calls the same services the /v1 routes call, limited to what the signed-in key may see
(`session.py`: a sealed cookie bound to the key, CSRF-checked). Live updates use the run's
server-sent events, the stream of GET /v1/runs/:id/events.

`console_router()` is mounted by `create_app`; `console_link(app, secret, origin)` is the
one-time sign-in link `aia dev` prints.
"""

from __future__ import annotations

from typing import Any

from litestar import Router

from aiagentics.gateway.console.session import link_tokens

__all__ = ["console_link", "console_router"]


def console_router() -> Router:
    """Every console route, under /console."""
    from aiagentics.gateway.console import actions, pages
    from aiagentics.gateway.console.static_files import static_file

    return Router(
        path="/console",
        route_handlers=[
            pages.console_home,
            pages.login_page,
            pages.agents_page,
            pages.agent_page,
            pages.runs_page,
            pages.run_page,
            pages.dev_page,
            actions.login,
            actions.logout,
            actions.start_run,
            actions.submit_tool_outputs,
            actions.run_events,
            actions.run_raw,
            static_file,
        ],
        include_in_schema=False,
    )


def console_link(app: Any, secret: str, origin: str) -> str:
    """A one-time link that signs a browser in to the console with the key `secret`."""
    token = link_tokens(app.state).issue(secret)
    return f"{origin}/console/login?token={token}"
