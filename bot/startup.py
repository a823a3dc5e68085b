"""Checks run before the server says it is up, each failure told in one line.

An operator starting the bot with the database away, a schema not created or the port
taken should read which setting to look at, not a hundred lines of traceback after a
banner claiming the server runs. So everything that can fail at start (the var folder,
the data key, the listening address, the database, its schema and migrations) is tried
here first, and `explain` turns whatever still escapes into one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
import traceback
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from adapters import database
from config.settings import Settings, SettingsError

# PostgreSQL's own connect timeout is 3 s (adapters/database.py); this also bounds a
# name lookup that hangs.
CONNECT_LIMIT = 10.0
START_ERROR_FILE = "start-error.log"


class StartupError(Exception):
    """One line naming the setting to look at."""


def prepare_var_dir(settings: Settings) -> None:
    """The folder holds the data key and the SQLite database: private to the bot's user."""
    var = settings.var_dir
    try:
        var.mkdir(mode=0o700, parents=True, exist_ok=True)
        (var / "server.pid").write_text(str(os.getpid()))
    except OSError as exc:
        raise StartupError(f"cannot start: RXF_VAR_DIR: cannot write in {var}: "
                           f"{exc.strerror or exc}; point it at a folder the bot may "
                           f"write") from None


def check_listen(settings: Settings) -> None:
    """Bind the webhook's address once and let go, so a taken port is told before anything
    else."""
    check_bind(settings.host, settings.port, "RXF_HOST", "RXF_PORT")


def check_bind(host: str, port: int, host_var: str, port_var: str) -> None:
    """Bind host:port once and let go; StartupError naming the variable to change."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except OSError as exc:
        raise StartupError(f"cannot start: {host_var}: {host} cannot be resolved "
                           f"({exc.strerror or exc})") from None
    for family, kind, proto, _name, address in infos:
        with socket.socket(family, kind, proto) as sock:
            # As aiohttp will: a port left in TIME_WAIT by the previous run is free.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                raise StartupError(bind_problem(host, port, host_var, port_var, exc)) from None


def listen_problem(settings: Settings, exc: OSError) -> str:
    """The webhook's address refused, in one line naming the setting."""
    return bind_problem(settings.host, settings.port, "RXF_HOST", "RXF_PORT", exc)


def bind_problem(host: str, port: int, host_var: str, port_var: str, exc: OSError) -> str:
    """Why host:port cannot be listened on, naming the variable to change."""
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return (f"cannot start: {port_var}: {where} is already in use (another server "
                f"running?); stop it or choose another {port_var}")
    if exc.errno == errno.EACCES:
        return f"cannot start: {port_var}: {where} needs privileges; use a port above 1023"
    if exc.errno == errno.EADDRNOTAVAIL:
        return (f"cannot start: {host_var}: {host} is not an address of this "
                f"machine; use 0.0.0.0 or 127.0.0.1")
    return f"cannot start: {host_var}/{port_var}: cannot listen on {where}: {exc.strerror or exc}"


def _safe_url(url: str) -> str:
    with contextlib.suppress(Exception):
        return make_url(url).render_as_string(hide_password=True)
    return "the database"


def reason(exc: BaseException) -> str:
    """The cause in a few words: the driver's message, not SQLAlchemy's wrapping of it."""
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        exc = exc.orig
    words = str(exc).strip().splitlines()
    first = words[0] if words else ""
    if isinstance(exc, OSError) and exc.strerror:
        first = exc.strerror
    name = type(exc).__name__
    return (f"{name}: {first}" if first else name)[:200]


async def check_database(settings: Settings) -> None:
    """Reach the database, find the schema, apply migrations: the first failure, named."""
    url = _safe_url(settings.database_url)
    schema = settings.database_schema
    try:
        engine = database.make_engine(settings.database_url, pool_size=1, schema=schema)
    except (OSError, SQLAlchemyError, ImportError) as exc:
        raise StartupError(f"cannot start: RXF_DATABASE_URL: cannot open {url}: "
                           f"{reason(exc)}") from None
    try:
        try:
            async with asyncio.timeout(CONNECT_LIMIT), engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                found = True
                if schema and database.is_postgres(engine):
                    found = bool(await conn.scalar(
                        text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}))
        except Exception as exc:
            raise StartupError(f"cannot start: RXF_DATABASE_URL: cannot connect to {url}: "
                               f"{reason(exc)}") from None
        if not found:
            raise StartupError(f"cannot start: RXF_DATABASE_SCHEMA: schema {schema} does not "
                               f"exist in {url}; create it (CREATE SCHEMA {schema}) or "
                               f"unset RXF_DATABASE_SCHEMA")
        try:
            await database.migrate(engine)
        except Exception as exc:
            raise StartupError(f"cannot start: RXF_DATABASE_URL: migrating {url} failed: "
                               f"{reason(exc)}") from None
    finally:
        with contextlib.suppress(Exception):
            await engine.dispose()


def explain(exc: BaseException, settings: Settings | None = None) -> str:
    """One line for a failure that escaped the checks above (a race, the knowledge files).
    An unforeseen one keeps its traceback in var/start-error.log for whoever digs."""
    if isinstance(exc, StartupError | SettingsError):
        return str(exc)
    if isinstance(exc, OSError) and settings is not None and exc.errno in (
            errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
        return listen_problem(settings, exc)
    if isinstance(exc, DBAPIError | ConnectionError | TimeoutError | socket.gaierror):
        return f"cannot start: RXF_DATABASE_URL: the database failed: {reason(exc)}"
    with contextlib.suppress(ImportError):
        from knowledge.loader import FaqError

        if isinstance(exc, FaqError):
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            return f"cannot start: RXF_KNOWLEDGE_DIR: {first}"
    line = f"cannot start: {reason(exc)}"
    if settings is not None:
        path = Path(settings.var_dir) / START_ERROR_FILE
        with contextlib.suppress(OSError):
            path.write_text("".join(traceback.format_exception(exc)))
            line += f" (details in {path})"
    return line
