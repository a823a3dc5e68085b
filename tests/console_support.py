"""Helpers for the console tests: the console on a loopback port over a harness's
Runtime, operators of each role, and a real browser (Debian's chromium driven by
Playwright; no browser is ever downloaded)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from ops.actions import operators
from ops.console import build_console_app
from tests.support import Harness, free_port

CHROMIUM = os.environ.get("RXF_TEST_CHROMIUM", "/usr/bin/chromium")
PASSWORDS = {"alice": "alice-admin-pass-1", "bob": "bob-operator-pass-2",
             "carol": "carol-viewer-pass-3"}
ROLES = {"alice": "admin", "bob": "operator", "carol": "viewer"}
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


@dataclass
class Console:
    """A running console: its base URL and the harness below it."""

    h: Harness
    base: str
    runner: web.AppRunner


@contextlib.asynccontextmanager
async def running_console(h: Harness) -> AsyncIterator[Console]:
    """The console app on a free loopback port, over the harness's Runtime."""
    runner = web.AppRunner(build_console_app(h.runtime), shutdown_timeout=1.0)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield Console(h, f"http://127.0.0.1:{port}", runner)
    finally:
        await runner.cleanup()


async def add_operators(h: Harness) -> None:
    """alice (admin), bob (operator) and carol (viewer)."""
    for name, role in ROLES.items():
        await operators.add(h.runtime.sessions, name, role, PASSWORDS[name], actor="test",
                            address="cli", now=h.clock())


@contextlib.asynccontextmanager
async def browser() -> AsyncIterator[Any]:
    """A headless chromium (skips when neither Playwright nor the browser is there)."""
    if not shutil.which(CHROMIUM):
        problem = f"no chromium at {CHROMIUM} (.ci/run installs it: apt-get install chromium)"
        if os.environ.get("RXF_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail(f"RXF_TEST_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)
    from playwright.async_api import async_playwright

    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            yield chromium
        finally:
            await chromium.close()


async def login(page: Any, console: Console, name: str, password: str | None = None) -> str:
    """Fill the login form; the text of the page that follows."""
    await page.goto(f"{console.base}/login")
    await page.fill("input[name=name]", name)
    await page.fill("input[name=password]", password or PASSWORDS[name])
    await page.click("button[type=submit]")
    await page.wait_for_load_state()
    return await page.inner_text("body")


async def shoot(page: Any, folder: Path, name: str) -> None:
    """A full-page screenshot at desktop and at phone width."""
    os.makedirs(folder, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(size)
        await page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=True)
    await page.set_viewport_size(DESKTOP)
