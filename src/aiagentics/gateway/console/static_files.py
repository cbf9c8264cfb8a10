"""The console's JavaScript and CSS, shipped in the package and served from memory."""

# No `from __future__ import annotations`: Litestar reads these annotations at runtime.

import functools
from importlib import resources
from typing import Any

import anyio.to_thread
from litestar import get
from litestar.response import Response

from aiagentics.gateway.errors import NotFound

TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


@functools.cache
def _read(name: str) -> bytes:
    return resources.files("aiagentics.gateway.console").joinpath("static", name).read_bytes()


def asset_names() -> frozenset[str]:
    """The files the console serves (nothing else under static/ is reachable)."""
    return frozenset({"console.js", "console.css", "favicon.svg"})


@get("/static/{name:str}", include_in_schema=False)
async def static_file(name: str) -> Response[Any]:
    """One asset (read once, off the event loop)."""
    if name not in asset_names():
        raise NotFound(f"no such console file: {name}")
    body = await anyio.to_thread.run_sync(_read, name)
    return Response(
        body,
        media_type=TYPES[name[name.rfind(".") :]],
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
