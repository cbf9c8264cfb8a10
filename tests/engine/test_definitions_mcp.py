"""The API's rules for `type: mcp` tools: fields by transport with `param`, stdio by config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from aiagentics.engine.definitions import Definitions
from aiagentics.engine.sealing import Sealer
from aiagentics.errors import InvalidInput
from aiagentics.storage.base import Scope
from aiagentics.storage.sqlite import schema_resources
from aiagentics.storage.sqlite.db import Database
from aiagentics.storage.sqlite.definitions import SQLiteStore
from aiagentics.storage.sqlite.migrations import apply_migrations

SCOPE = Scope("p", "test")
STDIO = {"name": "clock", "type": "mcp", "command": ["mcp-server-time"], "env": {"TZ": "UTC"}}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "gateway.db")
    apply_migrations(database, {schema_resources.COMPONENT: schema_resources.MIGRATIONS})
    yield database
    database.close()


def defs(db: Database, *, stdio: bool) -> Definitions:
    return Definitions(SQLiteStore(db), Sealer(Fernet.generate_key()), allow_stdio_tools=stdio)


async def test_stdio_tools_are_refused_unless_allowed(db: Database) -> None:
    with pytest.raises(InvalidInput) as refused:
        await defs(db, stdio=False).create("tool", SCOPE, STDIO)
    assert refused.value.param == "transport"
    assert "allow_stdio_tools = true" in refused.value.message
    saved = await defs(db, stdio=True).create("tool", SCOPE, STDIO)
    assert saved.object["command"] == ["mcp-server-time"]
    assert saved.object["transport"] == "stdio"


async def test_env_and_headers_are_write_only(db: Database) -> None:
    rules = defs(db, stdio=True)
    saved = await rules.create("tool", SCOPE, {**STDIO, "env": {"TOKEN": "tok-123456"}})
    assert saved.object["env"]["TOKEN"] != "tok-123456"
    assert "env.TOKEN" in saved.object["sensitive_fields"]
    remote = {
        "name": "remote",
        "type": "mcp",
        "transport": "streamable_http",
        "url": "https://mcp.example.com/mcp",
        "headers": {"Authorization": "Bearer abc-secret"},
    }
    saved = await defs(db, stdio=False).create("tool", SCOPE, remote)
    assert "abc-secret" not in str(saved.object)
    assert saved.object["sensitive_fields"] == ["headers.Authorization"]


@pytest.mark.parametrize(
    ("body", "param", "text"),
    [
        ({"name": "c", "type": "mcp"}, "command", "needs `command`"),
        ({"name": "c", "type": "mcp", "transport": "streamable_http"}, "url", "needs `url`"),
        (
            {"name": "c", "type": "mcp", "transport": "streamable_http", "url": "ftp://x"},
            "url",
            "http://",
        ),
        ({"name": "c", "type": "mcp", "command": "mcp-server-time"}, "command", "list"),
        ({"name": "c", "type": "mcp", "command": ["x"], "tools": "all"}, "tools", "list"),
        ({"name": "c", "type": "mcp", "command": ["x"], "prefix": "a b"}, "prefix", "pattern"),
        ({"name": "c", "type": "mcp", "command": ["x"], "shell": True}, "shell", "Extra"),
    ],
)
async def test_bad_fields_name_their_param(db: Database, body: dict, param: str, text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        await defs(db, stdio=True).create("tool", SCOPE, body)
    assert refused.value.param == param
    assert text in refused.value.message
