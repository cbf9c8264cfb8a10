"""The console's Jinja2 environment (autoescaped) and its HTML responses with the security headers."""

from __future__ import annotations

import functools
from typing import Any

import anyio.to_thread
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from litestar import MediaType, Response

# No inline script or style, nothing from another origin, no framing, forms post only here.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    # The one-time link's token never leaves in a Referer to another site. (Not
    # `no-referrer`: with it Chromium sends `Origin: null` on form posts, which the
    # origin check must refuse.)
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@functools.cache
def environment() -> Environment:
    """The templates shipped in the package, autoescaped (every run value is text)."""
    env = Environment(
        loader=PackageLoader("aiagentics.gateway.console", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ms"] = lambda v: "" if v is None else f"{float(v):.0f} ms"
    return env


def render_sync(name: str, context: dict[str, Any]) -> str:
    """The page `name` rendered with `context` (CPU work: call it off the event loop)."""
    return environment().get_template(name).render(**context)


async def page(name: str, context: dict[str, Any], status: int = 200) -> Response[str]:
    """An HTML response of the template, rendered in a worker thread."""
    html = await anyio.to_thread.run_sync(render_sync, name, context)
    return Response(html, media_type=MediaType.HTML, status_code=status, headers=SECURITY_HEADERS)
