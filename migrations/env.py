"""Alembic environment: runs on the connection the application hands over.

`adapters.database.migrate()` passes its connection in `config.attributes`; run
standalone (`alembic -c ...`), it builds an engine from RXF_DATABASE_URL.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

import adapters.operator_tables
import adapters.platform_local.models
import adapters.wechat_api  # noqa: F401
import bot.models  # noqa: F401 - every table must be in the metadata autogenerate compares
from adapters.database import Base, make_engine

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone() -> None:
    from config.settings import load_settings

    settings = load_settings()
    engine = make_engine(settings.database_url, schema=settings.database_schema)
    async with engine.begin() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_standalone())
