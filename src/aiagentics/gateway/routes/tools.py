"""/v1/tools: tool definitions (versioned)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from aiagentics.gateway.auth import AuthContext
from aiagentics.gateway.errors import InvalidRequest
from aiagentics.gateway.routes import models as m
from aiagentics.gateway.routes.resources import ResourceType, build_controller
from aiagentics.gateway.services import Services
from aiagentics.storage.base import Resource

_DOCUMENTED = re.compile(m.HTTP_URL_PATTERN)
_BRACKETED = re.compile(r"^https?://[^/?#\[\]]*\[([0-9A-Fa-f:.]+)\]")


def check_handler_url(url: str) -> None:
    """400 (param handler_url) for a URL outside the documented syntax (or a valid bracketed
    IPv6 address), or that no http client could call."""
    bracketed = _BRACKETED.match(url)
    if not _DOCUMENTED.fullmatch(url) and bracketed is None:
        raise InvalidRequest(
            "handler_url: not a valid URL: give http(s)://host[:port][/path] (a host of"
            " letters, digits, dots and hyphens, or a bracketed IPv6 address)",
            param="handler_url",
        )
    try:
        if bracketed is not None:
            ipaddress.IPv6Address(bracketed.group(1))
        parts = urlsplit(url)
        parts.port  # noqa: B018  (reading it checks the port's range)
        host = httpx.URL(url).host
    except (ValueError, httpx.InvalidURL) as exc:
        raise InvalidRequest(f"handler_url: not a valid URL: {exc}", param="handler_url") from None
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidRequest(
            "handler_url: not a valid URL: give http(s)://host[:port][/path]", param="handler_url"
        )


async def _prepare(
    services: Services, auth: AuthContext, data: dict[str, Any], current: Resource | None
) -> dict[str, Any]:
    url = data.get("handler_url")
    if isinstance(url, str):
        check_handler_url(url)
    return data


TOOLS = ResourceType(
    kind="tool",
    object="tool",
    prefix="tool",
    path="/v1/tools",
    tag="tools",
    create_model=m.ToolCreate,
    update_model=m.ToolUpdate,
    object_model=m.ToolObject,
    list_model=m.ToolList,
    referenced_by=(("agent", "tools"),),
    prepare=_prepare,
)

ToolController = build_controller(TOOLS)
