"""The server stack `aia serve` runs on: the fastest event loop and HTTP parser present."""

from __future__ import annotations

import importlib.util
from typing import Literal

Loop = Literal["uvloop", "asyncio"]
Http = Literal["httptools", "h11"]


def server_stack() -> tuple[Loop, Http]:
    """(loop, http) for uvicorn: uvloop and httptools where this platform has them."""
    loop: Loop = "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"
    http: Http = "httptools" if importlib.util.find_spec("httptools") is not None else "h11"
    return loop, http


def quiet_client_logs() -> None:
    """httpx logs every request it sends at INFO: one line per model call and tool call
    is noise in a gateway's log (and a cost on the hot path), so only its warnings show."""
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
