"""The web console in a real headless Chromium against a real `aia dev`.

Signs in by the one-time link `aia dev` prints, reads a run's page (tool call, answer,
step timings), starts a streamed run from the agent's page, answers a client tool in the
page, and checks that a browser that never signed in sees no run data, that output with
`<script>` is text, and that no page has a JavaScript error.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from tests.e2e.browser_helpers import PageErrors, launch_browser
from tests.e2e.dev_helpers import CLIENT_TOOL, CONFIG, DevServer, agent_yaml, start_dev, wait_for

pytestmark = pytest.mark.e2e

MARKUP = "<script>window.pwned=1</script> all good & done"
LINK = re.compile(r"console \(this link signs in once\): (\S+)")


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    root = tmp_path_factory.mktemp("console") / "project"
    (root / "agents").mkdir(parents=True)
    (root / "tools").mkdir()
    (root / "aiagentics.toml").write_text(CONFIG.replace("devtest", "consoletest"))
    (root / "tools" / "approve.yaml").write_text(CLIENT_TOOL.format(name="approve"))
    (root / "agents" / "helper.yaml").write_text(
        agent_yaml("helper", script=f'      - content: "{MARKUP}"')
    )
    (root / "agents" / "refunds.yaml").write_text(
        agent_yaml(
            "refunds",
            tools="approve",
            script="      - tool_calls: [{name: approve, arguments: {question: refund A-1?}}]\n"
            '      - content: "Refund approved."',
        )
    )
    server = start_dev(root)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


@pytest.fixture(scope="module")
def signed(dev: DevServer, browser: Any) -> Iterator[tuple[Any, PageErrors]]:
    """A browser context signed in by the link `aia dev` printed (used once, here)."""
    link = wait_for(lambda: LINK.search(dev.output()))[1]
    context = browser.new_context()
    errors = PageErrors(context)
    page = context.new_page()
    page.goto(link)
    assert page.url == dev.origin + "/console/agents"
    page.close()
    yield context, errors
    context.close()


@pytest.fixture
def page(signed: tuple[Any, PageErrors]) -> Iterator[Any]:
    """A page of the signed-in browser; the test fails on any JavaScript error it saw."""
    context, errors = signed
    before = len(errors.errors)
    page = context.new_page()
    yield page
    page.close()
    assert errors.errors[before:] == []


def api(dev: DevServer) -> httpx.Client:
    return dev.client()


def finished(client: httpx.Client, run_id: str, status: str = "completed") -> dict[str, Any]:
    """The run once it reached `status` (failing at once if it ended otherwise)."""

    def reached() -> dict[str, Any] | None:
        run = client.get(f"runs/{run_id}").json()
        if run["status"] in ("completed", "failed", "cancelled") and run["status"] != status:
            raise AssertionError(f"the run ended {run['status']}: {run}")
        return run if run["status"] == status else None

    return wait_for(reached)


def test_sign_in_by_the_link_works_once(dev: DevServer, browser: Any, page: Any) -> None:
    page.goto(dev.origin + "/console/agents")
    assert page.locator("#agents").inner_text().count("helper") == 1
    assert "refunds" in page.locator("#agents").inner_text()
    # The link is spent: another browser opening it is not signed in.
    link = LINK.search(dev.output())[1]  # type: ignore[index]
    other = browser.new_context()
    try:
        stranger = other.new_page()
        response = stranger.goto(link)
        assert response.status == 401
        assert "used or has expired" in stranger.inner_text("main")
        assert stranger.goto(dev.origin + "/console/agents").url.endswith("/console/login")
    finally:
        other.close()


def test_sign_in_with_a_pasted_key(dev: DevServer, browser: Any) -> None:
    context = browser.new_context()
    errors = PageErrors(context)
    try:
        page = context.new_page()
        page.goto(dev.origin + "/console/login")
        page.fill("#key", "sk_test_not_a_key")
        page.click("button[type=submit]")
        expect(page.locator("#login-error")).to_contain_text("not valid")
        page.fill("#key", dev.api_key)
        page.click("button[type=submit]")
        page.wait_for_url(dev.origin + "/console/agents")
        assert "helper" in page.inner_text("#agents")
        cookies = context.cookies()
        assert [c["name"] for c in cookies] == ["aia_console"]
        assert cookies[0]["httpOnly"] and cookies[0]["sameSite"] == "Strict"
        assert dev.api_key not in cookies[0]["value"]
        assert page.evaluate("document.cookie") == ""
    finally:
        context.close()
    # The refused key's 401 page is the only error the browser logged.
    assert [e for e in errors.errors if "401" not in e] == []


def test_run_page_shows_the_tool_call_answer_and_timings(dev: DevServer, page: Any) -> None:
    with api(dev) as c:
        run = c.post("runs", json={"agent": "refunds", "input": "refund please"}).json()
        paused = finished(c, run["id"], "requires_action")
        call = paused["required_action"]["tool_calls"][0]
        c.post(
            f"runs/{run['id']}/submit_tool_outputs",
            json={"tool_outputs": [{"tool_call_id": call["id"], "output": {"ok": True}}]},
        )
        finished(c, run["id"])
    page.goto(f"{dev.origin}/console/runs/{run['id']}")
    assert page.inner_text("#run-status") == "completed"
    assert page.inner_text("#run-output") == "Refund approved."
    assert page.locator("svg#timeline rect.bar").count() == 3
    assert page.locator("svg#timeline rect.bar.tool").count() == 1
    steps = page.locator("#steps summary").all_inner_texts()
    assert [s.split(" ")[0] for s in steps] == ["model", "tool", "model"]
    assert "approve" in steps[1] and re.search(r"\d+(\.\d+)? ms at \+\d", steps[1])
    # A bar is one click from its step's input and output.
    page.locator("svg#timeline rect.bar.tool").click()
    expect(page.locator("#step-1")).to_have_attribute("open", "")
    assert "refund A-1?" in page.inner_text("#step-1")
    assert '"ok": true' in page.inner_text("#step-1")
    raw = page.request.get(f"{dev.origin}/console/runs/{run['id']}/raw").json()
    assert raw["run"]["output"] == "Refund approved." and len(raw["trace"]["steps"]) == 3


def test_a_run_started_from_the_page_streams_its_answer(dev: DevServer, page: Any) -> None:
    page.goto(dev.origin + "/console/agents")
    page.click("text=helper")
    page.fill("#try-input", "hello")
    page.click("#try-send")
    expect(page.locator("#try-status")).to_have_text("completed", timeout=20_000)
    # The answer came over the EventSource, token by token, and is shown as text.
    assert page.inner_text("#try-output") == MARKUP
    assert page.evaluate("window.pwned") is None
    run_id = page.inner_text("#try-link")
    with api(dev) as c:
        assert c.get(f"runs/{run_id}").json()["output"] == MARKUP


def test_a_client_tool_run_is_answered_in_the_page(dev: DevServer, page: Any) -> None:
    page.goto(dev.origin + "/console/agents")
    page.click("text=refunds")
    page.fill("#try-input", "refund A-1")
    page.click("#try-send")
    expect(page.locator("#try-status")).to_have_text("requires_action", timeout=20_000)
    expect(page.locator("#tool-form")).to_be_visible()
    assert page.input_value("#tool-form input") == "refund A-1?"
    assert "question (string)" in page.inner_text("#tool-form")
    page.fill("#tool-output-0", '{"approved": true}')
    page.click("#tool-submit")
    expect(page.locator("#try-status")).to_have_text("completed", timeout=20_000)
    assert page.inner_text("#try-output") == "Refund approved."
    with api(dev) as c:
        run = c.get(f"runs/{page.inner_text('#try-link')}").json()
    tool_message = next(m for m in run["messages"] if m["role"] == "tool")
    assert '"approved": true' in tool_message["content"] or "approved" in tool_message["content"]


def test_a_browser_that_never_signed_in_sees_no_run_data(dev: DevServer, browser: Any) -> None:
    with api(dev) as c:
        run = c.post("runs", json={"agent": "helper", "input": "secret question"}).json()
        finished(c, run["id"])
    context = browser.new_context()
    try:
        stranger = context.new_page()
        for path in ("/console/runs", f"/console/runs/{run['id']}", "/console/agents"):
            stranger.goto(dev.origin + path)
            assert stranger.url == dev.origin + "/console/login"
            assert run["id"] not in stranger.content() and "all good" not in stranger.content()
        raw = stranger.request.get(f"{dev.origin}/console/runs/{run['id']}/raw")
        events = stranger.request.get(f"{dev.origin}/console/runs/{run['id']}/events")
        assert raw.status == 401 and events.status == 401
        assert run["id"] not in raw.text() + events.text()
    finally:
        context.close()


def test_script_output_is_text_on_every_page(dev: DevServer, page: Any) -> None:
    with api(dev) as c:
        run = c.post(
            "runs", json={"agent": "helper", "input": "<img src=x onerror=alert(1)>"}
        ).json()
        finished(c, run["id"])
    page.goto(f"{dev.origin}/console/runs/{run['id']}")
    assert page.inner_text("#run-output") == MARKUP
    assert "<img src=x onerror=alert(1)>" in page.inner_text("#thread")
    assert page.locator("#thread img").count() == 0
    # No script but console.js (and inert JSON data blocks) made it onto the page.
    scripts = page.eval_on_selector_all("script", "els => els.map(e => e.src || e.type)")
    assert scripts == [f"{dev.origin}/console/static/console.js"]
    assert page.evaluate("window.pwned") is None
    for path in ("/console/runs", "/console/dev", "/console/agents"):
        page.goto(dev.origin + path)
        assert page.evaluate("window.pwned") is None
    assert "consoletest" in page.inner_text("header")


def test_runs_list_updates_live_and_dev_status_shows_the_reload(dev: DevServer, page: Any) -> None:
    page.goto(dev.origin + "/console/runs")
    before = page.locator("#runs-rows tr").count()
    with api(dev) as c:
        run = c.post("runs", json={"agent": "helper", "input": "live?"}).json()
        finished(c, run["id"])
    page.wait_for_selector(f"#runs-rows a:text('{run['id']}')", timeout=10_000)
    assert page.locator("#runs-rows tr").count() == before + 1
    page.goto(dev.origin + "/console/dev")
    text = page.inner_text("main")
    assert "ok" in text and "create" in text
    time.sleep(0)  # pages above were checked for JS errors by the fixture
