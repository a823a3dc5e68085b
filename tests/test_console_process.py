"""`python server.py` as an operator starts it: the console answers on its own port next
to the webhook, the first operator comes from `python -m bot operator add`, and with
several workers (PostgreSQL) a session opened on one process is honoured by all."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.processes import ROOT, ServerProcess
from tests.support import free_port

PASSWORD = "first-admin-passphrase"


def _env(db: tuple[str, str | None], tmp: Path) -> dict[str, str]:
    env = {"RXF_PORT": str(free_port()), "RXF_VAR_DIR": str(tmp), "RXF_DATABASE_URL": db[0],
           "RXF_DATA_KEY": "k" * 43}
    if db[1]:
        env["RXF_DATABASE_SCHEMA"] = db[1]
    return env


def _add_operator(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "operator", "add", "admin", "--role", "admin",
         "--password-stdin"], input=PASSWORD + "\n", capture_output=True, text=True,
        cwd=ROOT, env={**os.environ, **env}, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


async def _token(http: aiohttp.ClientSession, url: str) -> str:
    async with http.get(url) as resp:
        assert resp.status == 200
        found = re.search(r'name="csrf_token" value="([^"]+)"', await resp.text())
    assert found
    return found.group(1)


async def test_the_server_serves_the_console(db: tuple[str, str | None], tmp_path: Path) -> None:
    env = _env(db, tmp_path)
    workers = 1 if db[1] is None else 2  # SQLite: one process; PostgreSQL: two
    server = ServerProcess(env, workers=workers)
    await server.start()
    try:
        assert "已创建" in await asyncio.to_thread(_add_operator, server.env)
        banner = server.log.read_text()
        assert f"operators' console: {server.console}/" in banner
        # The webhook's port does not serve the console.
        # unsafe: keep cookies of a bare IP address (127.0.0.1), as a browser does.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(f"{server.base}/login") as resp:
                assert resp.status == 404
            token = await _token(http, f"{server.console}/login")
            async with http.post(f"{server.console}/login", allow_redirects=False,
                                 data={"csrf_token": token, "name": "admin",
                                       "password": PASSWORD, "next": "/"}) as resp:
                assert resp.status == 303
            # Many requests: with two workers both answer some of them, all logged in.
            for _ in range(12):
                async with aiohttp.ClientSession(cookie_jar=http.cookie_jar) as again, \
                        again.get(f"{server.console}/audit") as resp:
                    assert resp.status == 200 and "admin（管理员）" in await resp.text()
    finally:
        server.stop()
