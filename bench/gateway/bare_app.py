"""The baseline: a bare Litestar app answering the same JSON from memory (no auth, store, limits)."""

from __future__ import annotations

import json
import os
from typing import Any

from litestar import Litestar, Response, get, post

_DATA: dict[str, Any] = json.loads(open(os.environ["BARE_PAYLOADS"]).read())  # noqa: SIM115
_AGENT = json.dumps(_DATA["agent"]).encode()
_LIST = json.dumps(_DATA["list"]).encode()
_TOOL = json.dumps(_DATA["tool"]).encode()


@get("/v1/agents/{id:str}", sync_to_thread=False)
def agent(id: str) -> Response[bytes]:
    return Response(_AGENT, media_type="application/json")


@get("/v1/agents", sync_to_thread=False)
def agents() -> Response[bytes]:
    return Response(_LIST, media_type="application/json")


@post("/v1/tools", sync_to_thread=False, status_code=200)
def tool(data: dict[str, Any]) -> Response[bytes]:
    return Response(_TOOL, media_type="application/json")


app = Litestar([agent, agents, tool], openapi_config=None)
