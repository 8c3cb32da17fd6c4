"""Headless Chromium from Debian's package, driven by Playwright's Python API (no browser
download: `executable_path`). Every page the tests open records the requests it makes,
so a test can check that nothing left the API's origin."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Request, async_playwright

from tests.conftest import IN_CI

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_path() -> str:
    """Debian's Chromium, or a skip that says how to install it; with CI=true a failure."""
    found = shutil.which("chromium") or next(
        (p for p in CHROMIUM_PATHS if Path(p).exists()), None)
    if found is None:
        message = "no Chromium: apt-get install -y chromium chromium-driver"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(),
                                                   headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Visit:
    """One browser tab on the page, with what it requested and what its console said."""

    page: Page
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # uncaught exceptions in the page

    async def login(self, base: str, token: str) -> None:
        await self.page.goto(f"{base}/ui/")
        await self.page.fill("#token", token)
        await self.page.click("#login button[type=submit]")

    async def shot(self, path: Path) -> None:
        await self.page.screenshot(path=str(path), full_page=True)


@asynccontextmanager
async def visit(browser: Browser) -> AsyncIterator[Visit]:
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    seen = Visit(page)

    def on_request(request: Request) -> None:
        seen.requests.append(request.url)

    def on_console(message: ConsoleMessage) -> None:
        seen.console.append(f"{message.type}: {message.text}")

    def on_error(error: Exception) -> None:
        seen.errors.append(str(error))

    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", on_error)
    try:
        yield seen
    finally:
        await context.close()
