"""The admin key a new database gets: created once, its secret printed once to stderr."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from aiagentics.gateway.app import create_app
from aiagentics.gateway.services import prepare_database
from aiagentics.gateway.settings import GatewaySettings


def test_a_new_database_gets_one_admin_key_shown_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = GatewaySettings(database=str(tmp_path / "gw.db"))
    secret = prepare_database(settings)
    assert secret is not None and secret.startswith("sk_test_")
    printed = capsys.readouterr().err
    assert "created an admin API key for project" in printed and "shown only once" in printed
    assert printed.rstrip().endswith(secret)
    assert prepare_database(settings) is None  # it has one now: nothing new, nothing printed
    assert capsys.readouterr().err == ""
    with TestClient(create_app(settings)) as client:  # the workers' start does not add one
        client.headers["Authorization"] = f"Bearer {secret}"
        listed = client.get("/v1/keys")
        assert listed.status_code == 200
        keys: list[dict[str, Any]] = listed.json()["data"]
        assert [(k["name"], k["scopes"]) for k in keys] == [("bootstrap", ["admin"])]
    assert capsys.readouterr().err == ""


def test_a_chosen_secret_becomes_the_admin_key_and_nothing_is_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chosen = "sk_test_" + "c" * 40
    settings = GatewaySettings(database=str(tmp_path / "gw.db"), bootstrap_api_key=chosen)
    assert prepare_database(settings) is None
    assert capsys.readouterr().err == ""
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {chosen}"
        me = client.get("/v1/keys").json()["data"]
        assert [k["name"] for k in me] == ["bootstrap (AIAGENTICS_API_KEY)"]
