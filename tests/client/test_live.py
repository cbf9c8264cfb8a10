"""ApiClient against a real gateway: typed errors, idempotent creates, pagination."""

from __future__ import annotations

import pytest
from tests.client.conftest import LiveApi

from aiagentics.client import (
    ApiClient,
    ApiConnectionError,
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    read_resources,
)


def test_create_get_update_delete_round_trip(live_api: LiveApi) -> None:
    with ApiClient(live_api.base_url, live_api.api_key) as client:
        tool = client.create(
            "tools", {"name": "refund", "type": "client", "metadata": {"aia.project": "p"}}
        )
        assert tool["id"].startswith("tool_") and tool["version"] == 1
        assert client.get(f"tools/{tool['id']}")["name"] == "refund"
        updated = client.update(f"tools/{tool['id']}", {"description": "Refund it"})
        assert updated["version"] == 2 and updated["description"] == "Refund it"
        client.delete(f"tools/{tool['id']}")
        with pytest.raises(NotFoundError) as info:
            client.get(f"tools/{tool['id']}")
        assert info.value.request_id and info.value.status == 404


def test_same_idempotency_key_returns_the_same_object(live_api: LiveApi) -> None:
    with ApiClient(live_api.base_url, live_api.api_key) as client:
        first = client.create("tools", {"name": "once", "type": "client"}, idempotency_key="k-1")
        again = client.create("tools", {"name": "once", "type": "client"}, idempotency_key="k-1")
        assert first["id"] == again["id"]
        assert len(client.list_all("tools")) == 1


def test_duplicate_name_and_bad_body_are_typed_with_param(live_api: LiveApi) -> None:
    with ApiClient(live_api.base_url, live_api.api_key) as client:
        client.create("tools", {"name": "dup", "type": "client"})
        with pytest.raises(ConflictError) as conflict:
            client.create("tools", {"name": "dup", "type": "client"})
        assert conflict.value.param == "name"
        with pytest.raises(InvalidRequestError) as bad:
            client.create("tools", {"name": "x", "type": "carrier-pigeon"})
        assert bad.value.param and bad.value.status in (400, 422)


def test_pagination_reads_everything_in_few_calls(live_api: LiveApi) -> None:
    with ApiClient(live_api.base_url, live_api.api_key) as client:
        for i in range(205):
            client.create("tools", {"name": f"t{i:03d}", "type": "client"})
        before = client.stats.requests
        state = read_resources(client)
        assert len(state["Tool"]) == 205 and len({t["id"] for t in state["Tool"]}) == 205
        # 3 pages of tools + one page for each of the 4 other kinds
        assert client.stats.requests - before == 7


def test_wrong_key_is_401_with_a_clear_message(live_api: LiveApi) -> None:
    with (
        ApiClient(live_api.base_url, "sk_test_wrong") as client,
        pytest.raises(AuthenticationError) as info,
    ):
        client.list_all("agents")
    assert "api_key" in str(info.value) or "key" in str(info.value).lower()


def test_unreachable_api() -> None:
    client = ApiClient("http://127.0.0.1:9/v1", "k", max_attempts=2, backoff_base=0.01)
    with client, pytest.raises(ApiConnectionError, match="cannot reach"):
        client.get("agents")
