"""Per-kind rules a definition's body passes before it is stored (URLs, webhook secrets, model)."""

from __future__ import annotations

import base64
import ipaddress
import re
import secrets
from urllib.parse import urlsplit

import httpx

from aiagentics.engine import bodies
from aiagentics.engine.outbound import OutboundRefused, check_url, literal_address
from aiagentics.engine.webhooks.signing import InvalidSecret, secret_key
from aiagentics.errors import InvalidInput

# Where a webhook's signing secret is stored (sealed); never returned.
SEALED_FIELD = "secret_sealed"

_DOCUMENTED = re.compile(bodies.HTTP_URL_PATTERN)
_BRACKETED = re.compile(r"^https?://[^/?#\[\]]*\[([0-9A-Fa-f:.]+)\]")
_URL = re.compile(bodies.WEBHOOK_URL_PATTERN)
_URL_ANY_HOST = re.compile(bodies.WEBHOOK_URL_ANY_HOST_PATTERN)


def check_handler_url(url: str) -> None:
    """InvalidInput (param handler_url) for a URL outside the documented syntax (or a valid
    bracketed IPv6 address), or that no http client could call."""
    bracketed = _BRACKETED.match(url)
    if not _DOCUMENTED.fullmatch(url) and bracketed is None:
        raise InvalidInput(
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
        raise InvalidInput(f"handler_url: not a valid URL: {exc}", param="handler_url") from None
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidInput(
            "handler_url: not a valid URL: give http(s)://host[:port][/path]", param="handler_url"
        )


def check_mcp_tool(data: dict[str, object], *, allow_stdio: bool) -> None:
    """InvalidInput for an mcp tool this gateway must not run: a stdio server is a local
    command (code execution on the gateway's host), allowed only by configuration."""
    if data.get("transport", "stdio") == "stdio" and not allow_stdio:
        raise InvalidInput(
            "transport: stdio MCP tools run a command on the gateway's host and are off on"
            " this gateway; set `[gateway] allow_stdio_tools = true` to allow them (the"
            " default under `aia dev`), or use transport: streamable_http",
            param="transport",
            code="stdio_tools_disabled",
        )
    url = data.get("url")
    if isinstance(url, str):
        try:
            check_handler_url(url)
        except InvalidInput as exc:
            raise InvalidInput(exc.message.replace("handler_url", "url"), param="url") from None


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: whsec_ + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def check_webhook_url(url: str, allow_private_network: bool) -> None:
    """InvalidInput (param url) for a URL delivery would always refuse; static, no DNS lookup."""
    try:
        check_url(url, allow_private_network)
    except OutboundRefused as exc:
        raise InvalidInput(
            f"url: webhooks cannot be delivered there: {exc.reason}",
            param="url",
            code="url_refused",
        ) from None
    except (httpx.InvalidURL, ValueError) as exc:
        raise InvalidInput(f"url: not a valid URL: {exc}", param="url") from None
    # The documented syntax; a literal address (any spelling of one) passed check_url.
    syntax = _URL_ANY_HOST if allow_private_network else _URL
    if not syntax.fullmatch(url) and not _is_literal(url):
        raise InvalidInput(
            "url: not a valid webhook URL: http(s)://host.name[:port][/path][?query] (no user"
            " info or fragment; a single-label host needs allow_private_network)",
            param="url",
        )


def check_webhook_secret(secret: str) -> None:
    """InvalidInput (param secret) for a secret that cannot sign: refused now, not at delivery."""
    try:
        secret_key(secret)
    except InvalidSecret as exc:
        raise InvalidInput(f"secret: {exc}", param="secret") from None


def _is_literal(url: str) -> bool:
    if not _URL_ANY_HOST.fullmatch(url):
        return False
    try:
        return literal_address(httpx.URL(url).host) is not None
    except (httpx.InvalidURL, ValueError):
        return False
