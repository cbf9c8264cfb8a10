"""The served gateway keeps its state private: state folder 0700, its files 0600."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import file_mode

pytestmark = pytest.mark.e2e


def _upload(gw: Any, content: bytes) -> str:
    r = httpx.post(gw.url("/files"), files={"file": ("a.txt", content)}, headers=gw.headers)
    assert r.status_code == 200, r.text
    return r.json()["id"]


def _assert_private(state: Path) -> None:
    assert file_mode(state) == 0o700
    assert file_mode(state / "files") == 0o700
    for path in state.rglob("*"):
        if path.is_file():
            assert file_mode(path) == 0o600, path


def test_state_folder_and_files_are_private(gateway_factory: Any, open_umask: None) -> None:
    gw = gateway_factory()
    file_id = _upload(gw, b"private words")
    state = gw.database.parent
    assert state.name == ".aiagentics"
    names = {p.name for p in state.iterdir()}
    assert {"gateway.db", "gateway.db-wal", "gateway.db-shm", "secret.key", "files"} <= names
    assert (state / "files" / file_id).read_bytes() == b"private words"
    _assert_private(state)


def test_a_loose_state_folder_is_tightened_on_start(gateway_factory: Any, open_umask: None) -> None:
    gw = gateway_factory()
    file_id = _upload(gw, b"older upload")
    gw.stop()
    state = gw.database.parent
    for path in [state, *state.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    again = gateway_factory(directory=gw.root, api_key=gw.api_key)
    _assert_private(state)
    got = httpx.get(again.url(f"/files/{file_id}/content"), headers=again.headers)
    assert got.status_code == 200 and got.content == b"older upload"
