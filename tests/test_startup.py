"""Starting `server.py` for real: every failure is one line naming the setting, exit non-zero.

Each test runs the server as a process, as an operator would, and reads its stderr.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import free_port

ROOT = Path(__file__).resolve().parent.parent
# Enough for the slowest failure here (the supervisor's worker loading the knowledge);
# a server that does not stop by then has failed the test anyway.
EXIT_WITHIN = 120
PROD = {"RXF_ENV": "prod", "RXF_WECHAT_TOKEN": "real-token", "RXF_WECHAT_APPID": "wxreal0001",
        "RXF_WECHAT_SECRET": "real-secret", "RXF_DATA_KEY": "k" * 43,
        "RXF_WECHAT_AES_KEY": "a" * 43, "RXF_SMS": "http", "RXF_SMS_URL": "http://sms.invalid/",
        "RXF_PLATFORM": "http", "RXF_PLATFORM_URL": "http://platform.invalid/",
        "RXF_PLATFORM_SECRET": "p", "RXF_VERIFY": "http",
        "RXF_VERIFY_URL": "http://verify.invalid/"}


def closed_pg_url() -> str:
    """A PostgreSQL URL on a loopback port nobody listens on."""
    return f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/test"


def start(tmp: Path, env: dict[str, str], *args: str) -> tuple[int, list[str], str]:
    """Run server.py until it exits: (exit code, stderr lines, stdout)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RXF_")}
    full = {**clean, "RXF_VAR_DIR": str(tmp / "var"), "RXF_PORT": str(free_port()),
            "RXF_CONSOLE_PORT": str(free_port()),
            "RXF_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/rxf.db", **env}
    proc = subprocess.Popen([sys.executable, str(ROOT / "server.py"), *args], cwd=tmp,
                            env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=EXIT_WITHIN)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # workers too: a server that kept running
        proc.communicate()
        raise
    return proc.returncode, stderr.strip().splitlines(), stdout


def assert_one_line(tmp: Path, env: dict[str, str], named: str, *args: str) -> str:
    code, lines, stdout = start(tmp, env, *args)
    assert code != 0
    assert len(lines) == 1, lines[:5]
    assert named in lines[0] and "Traceback" not in lines[0]
    assert "融信服 bot: http" not in stdout  # no banner for a server that is not up
    return lines[0]


@pytest.mark.parametrize(("drop", "named"), [
    ("RXF_WECHAT_AES_KEY", "RXF_WECHAT_AES_KEY"),
    ("RXF_PLATFORM", "RXF_PLATFORM=local"),
    ("RXF_VERIFY", "RXF_VERIFY=local"),
])
def test_prod_refuses_plain_mode_and_local_services(tmp_path: Path, drop: str,
                                                    named: str) -> None:
    env = {k: v for k, v in PROD.items() if k != drop}
    env["RXF_DATABASE_URL"] = closed_pg_url()
    assert_one_line(tmp_path, env, named)


def test_prod_refuses_dev_endpoints(tmp_path: Path) -> None:
    env = {**PROD, "RXF_DATABASE_URL": closed_pg_url(), "RXF_DEV_ENDPOINTS": "true"}
    assert_one_line(tmp_path, env, "RXF_DEV_ENDPOINTS")


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    line = assert_one_line(tmp_path, {"RXF_DATABASE_URL": closed_pg_url()}, "RXF_DATABASE_URL")
    assert "Connect call failed" in line


def test_unknown_database_host_is_one_line(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://postgres:hunter2@db.invalid/test"
    line = assert_one_line(tmp_path, {"RXF_DATABASE_URL": url}, "RXF_DATABASE_URL")
    assert "hunter2" not in line  # the password never shown


def test_sync_driver_url_is_named(tmp_path: Path) -> None:
    assert_one_line(tmp_path, {"RXF_DATABASE_URL": "postgresql://postgres@127.0.0.1/test"},
                    "RXF_DATABASE_URL")


def test_several_workers_fail_with_one_line_too(tmp_path: Path) -> None:
    assert_one_line(tmp_path, {"RXF_DATABASE_URL": closed_pg_url()}, "RXF_DATABASE_URL",
                    "--workers", "3")


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_missing_schema_is_one_line(tmp_path: Path, db: tuple[str, str | None]) -> None:
    url, schema = db
    line = assert_one_line(tmp_path, {"RXF_DATABASE_URL": url,
                                      "RXF_DATABASE_SCHEMA": f"{schema}_missing"},
                           "RXF_DATABASE_SCHEMA")
    assert f"CREATE SCHEMA {schema}_missing" in line


def test_failed_migration_is_one_line(tmp_path: Path) -> None:
    # A database from a newer (or foreign) version: Alembic cannot place its revision.
    with sqlite3.connect(tmp_path / "rxf.db") as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    line = assert_one_line(tmp_path, {}, "RXF_DATABASE_URL")
    assert "migrating" in line and "9999_from_the_future" in line


@pytest.mark.parametrize("key", ["short", ""])
def test_bad_data_key_is_one_line(tmp_path: Path, key: str) -> None:
    if key:
        assert_one_line(tmp_path, {"RXF_DATA_KEY": key}, "RXF_DATA_KEY")
        return
    # Unset in dev, and the generated var/data.key is damaged (emptied by hand).
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "data.key").write_text("")
    line = assert_one_line(tmp_path, {}, "RXF_DATA_KEY")
    assert "data.key" in line


def test_var_dir_that_is_not_a_folder_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    assert_one_line(tmp_path, {"RXF_VAR_DIR": str(blocker)}, "RXF_VAR_DIR")


def test_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = assert_one_line(tmp_path, {"RXF_PORT": str(port)}, "RXF_PORT")
    assert str(port) in line


def test_console_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = assert_one_line(tmp_path, {"RXF_CONSOLE_PORT": str(port)}, "RXF_CONSOLE_PORT")
    assert str(port) in line


def test_console_never_shares_the_webhooks_port(tmp_path: Path) -> None:
    port = str(free_port())
    assert_one_line(tmp_path, {"RXF_PORT": port, "RXF_CONSOLE_PORT": port},
                    "RXF_CONSOLE_PORT must differ from RXF_PORT")


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_a_worker_that_cannot_start_is_told_once(tmp_path: Path,
                                                 db: tuple[str, str | None]) -> None:
    """What only the workers meet (here broken knowledge files) stops the supervisor with
    one line instead of restarting workers that fail again, each with a traceback."""
    url, schema = db
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "faq.yaml").write_text("not: [a, list\n")
    code, lines, _ = start(tmp_path, {"RXF_DATABASE_URL": url, "RXF_DATABASE_SCHEMA": str(schema),
                                      "RXF_KNOWLEDGE_DIR": str(knowledge)}, "--workers", "2")
    assert code != 0
    told = [line for line in lines if not line.startswith("{")]  # JSON lines are the logs
    assert len(told) == 1 and "RXF_KNOWLEDGE_DIR" in told[0], lines
    assert not any("Traceback" in line or '"level": "error"' in line for line in lines)
