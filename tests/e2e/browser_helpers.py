"""Headless Chromium for the console's tests: Debian's `chromium`, driven by Playwright.

Playwright's own browser download does not work on these machines, so the system browser
is launched through `executable_path`. Without it the tests skip on a workstation and
fail in CI (CI=true), where `.ci/run` installs it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    """The system Chromium, or skip (fail under CI) when it is missing."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "no `chromium` on the PATH (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def launch_browser() -> Iterator[Any]:
    """A headless Chromium for the module (closed after it)."""
    path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # the dev extra installs it
        if os.environ.get("CI"):
            raise
        pytest.skip("playwright is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class PageErrors:
    """Every JavaScript error and console error of the pages of one browser context."""

    def __init__(self, context: Any) -> None:
        self.errors: list[str] = []
        context.on("page", self.watch)

    def watch(self, page: Any) -> None:
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        page.on(
            "console",
            lambda msg: msg.type == "error" and self.errors.append(f"{page.url}: {msg.text}"),
        )
