"""The console over real HTTP: sign-in, sessions, CSRF, scopes, scoping, escaping, headers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from tests.e2e.runs_helpers import scoped_key
from tests.gateway.console.helpers import ConsoleWorld, csrf_of, signed_in, start_console_world

from aiagentics.gateway.console import console_link
from aiagentics.gateway.console.render import CSP

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleWorld]:
    w = start_console_world(tmp_path_factory.mktemp("console"))
    try:
        yield w
    finally:
        w.api.close()
        w.gateway.stop()


def test_pages_need_a_session_and_carry_the_csp(world: ConsoleWorld) -> None:
    anon = httpx.Client(base_url=world.url)
    run = world.run(world.agent)
    for path in ("/console/agents", "/console/runs", f"/console/runs/{run['id']}", "/console/"):
        r = anon.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/console/login"
        assert run["id"] not in r.text
    for path in (f"/console/runs/{run['id']}/raw", f"/console/runs/{run['id']}/events"):
        r = anon.get(path)
        assert r.status_code == 401 and run["id"] not in r.text
    login = anon.get("/console/login")
    assert login.status_code == 200 and login.headers["content-security-policy"] == CSP
    assert "script-src 'self'" in CSP and "'unsafe-inline'" not in CSP
    assert "<script>" not in login.text.replace(
        '<script src="/console/static/console.js" defer>', ""
    )


def test_sign_in_with_a_pasted_key_keeps_the_key_out_of_the_browser(world: ConsoleWorld) -> None:
    secret = world.key(["read"])
    browser = httpx.Client(base_url=world.url)
    r = browser.post("/console/login", data={"key": secret}, headers={"Origin": world.url})
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert secret not in cookie and secret[-8:] not in cookie
    page = browser.get("/console/agents")
    assert page.status_code == 200 and world.agent["name"] in page.text
    assert secret not in page.text
    bad = httpx.post(
        world.url + "/console/login", data={"key": "sk_test_nope"}, headers={"Origin": world.url}
    )
    assert bad.status_code == 401 and "set-cookie" not in bad.headers


def test_sign_in_from_another_origin_is_refused(world: ConsoleWorld) -> None:
    r = httpx.post(
        world.url + "/console/login",
        data={"key": world.gateway.settings.bootstrap_api_key},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403 and "set-cookie" not in r.headers


def test_the_one_time_link_works_once(world: ConsoleWorld) -> None:
    link = console_link(world.gateway.app, world.gateway.settings.bootstrap_api_key, world.url)
    browser = httpx.Client()
    first = browser.get(link)
    assert first.status_code == 303 and "aia_console=" in first.headers["set-cookie"]
    again = httpx.get(link)
    assert again.status_code == 401 and "set-cookie" not in again.headers
    assert browser.get(world.url + "/console/agents").status_code == 200


def test_starting_a_run_needs_csrf_origin_and_the_run_scope(world: ConsoleWorld) -> None:
    browser = signed_in(world)
    page = browser.get(f"/console/agents/{world.agent['id']}")
    token = csrf_of(page.text)
    url = f"/console/agents/{world.agent['id']}/runs"
    body = {"input": "hello"}
    assert browser.post(url, json=body, headers={"Origin": world.url}).status_code == 403
    assert (
        browser.post(url, json=body, headers={"X-CSRF-Token": token, "Origin": "http://x"})
    ).status_code == 403
    assert (
        browser.post(url, json=body, headers={"X-CSRF-Token": "wrong", "Origin": world.url})
    ).status_code == 403
    ok = browser.post(url, json=body, headers={"X-CSRF-Token": token, "Origin": world.url})
    assert ok.status_code == 200 and ok.json()["id"].startswith("run_")

    reader = signed_in(world, world.key(["read"]))
    page = reader.get(f"/console/agents/{world.agent['id']}")
    assert 'id="try-form"' not in page.text and 'id="try-disabled"' in page.text
    refused = reader.post(
        url, json=body, headers={"X-CSRF-Token": csrf_of(page.text), "Origin": world.url}
    )
    assert refused.status_code == 403 and "run" in refused.json()["error"]["message"]


def test_a_session_sees_only_its_keys_scope_and_ends_with_the_key(world: ConsoleWorld) -> None:
    run = world.run(world.agent)
    other = scoped_key_secret(world, "other-project")
    browser = signed_in(world, other)
    assert world.agent["name"] not in browser.get("/console/agents").text
    assert run["id"] not in browser.get("/console/runs").text
    assert browser.get(f"/console/runs/{run['id']}").status_code == 404
    assert browser.get(f"/console/runs/{run['id']}/raw").status_code == 404
    assert browser.get(f"/console/agents/{world.agent['id']}").status_code == 404

    key = world.new_key(["read"])
    mine = signed_in(world, key["secret"])
    assert mine.get(f"/console/runs/{run['id']}").status_code == 200
    assert world.api.delete(f"/v1/keys/{key['id']}").status_code == 200
    after = mine.get(f"/console/runs/{run['id']}")
    assert after.status_code == 303 and run["id"] not in after.text


def scoped_key_secret(world: ConsoleWorld, project: str) -> str:
    """An admin key of another project, written to the database directly."""

    class _Gw:  # what scoped_key reads
        database = world.gateway.settings.database_path

    header = scoped_key(_Gw(), project, "test")  # type: ignore[arg-type]
    return header["Authorization"].split(" ", 1)[1]


def test_run_values_are_escaped_and_the_trace_is_drawn(world: ConsoleWorld) -> None:
    run = world.run(world.agent)
    page = signed_in(world).get(f"/console/runs/{run['id']}")
    assert page.status_code == 200
    assert "<script>window.pwned" not in page.text
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt; all good &amp; done" in page.text
    assert "Answer &lt;b&gt;briefly&lt;/b&gt;." in page.text
    assert page.text.count('<rect class="bar model"') == 1
    assert f'href="/console/runs/{run["id"]}/raw"' in page.text


def test_logout_clears_the_session(world: ConsoleWorld) -> None:
    browser = signed_in(world)
    token = csrf_of(browser.get("/console/agents").text)
    r = browser.post("/console/logout", data={"csrf": token}, headers={"Origin": world.url})
    assert r.status_code == 303 and "Max-Age=0" in r.headers["set-cookie"]
    assert browser.get("/console/agents").status_code == 303
