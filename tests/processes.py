"""Real server processes for the fault tests: started, killed with SIGKILL, restarted."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.support import free_port

ROOT = Path(__file__).resolve().parent.parent


class ServerProcess:
    def __init__(self, env: dict[str, str], workers: int = 1) -> None:
        # The console's listener on a port of its own, never a fixed one another run holds.
        self.env = {**os.environ, "RXF_CONSOLE_PORT": str(free_port()), **env}
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = Path(env["RXF_VAR_DIR"]) / "server.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.env['RXF_PORT']}"

    @property
    def console(self) -> str:
        return f"http://127.0.0.1:{self.env['RXF_CONSOLE_PORT']}"

    async def start(self) -> None:
        self.spawn()
        await self.wait_healthy()

    def spawn(self) -> None:
        Path(self.env["RXF_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
        args = [sys.executable, str(ROOT / "server.py")]
        if self.workers > 1:
            args += ["--workers", str(self.workers)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=out, stderr=out,
                                         start_new_session=True)

    async def wait_healthy(self, within: float = 30.0) -> None:
        deadline = asyncio.get_running_loop().time() + within
        async with aiohttp.ClientSession() as session:
            while asyncio.get_running_loop().time() < deadline:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
                try:
                    async with session.get(f"{self.base}/healthz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"server not healthy: {self.log.read_text()[-2000:]}")

    def kill9(self) -> None:
        """SIGKILL the whole process group: no cleanup, no flush, like a power cut."""
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
            self.proc = None
