"""Erasing a user's rows: at unsubscribe (the chat) and at 注销 (everything).

注销 is generic on purpose: every table of the metadata with an `openid` column loses
that openid's rows, and every table with a `phone_hash` column the rows of the user's
phones (SMS codes and the local gateway's messages), so a table added later is covered
without anyone remembering to list it here. Exceptions are named: `pf_accounts` is
anonymised by the platform itself (kept demands refer to it: adapters/platform_local/
erase.py), and the stored platform callbacks lose the openid from their recipients
rather than the whole event (the event id still guards against a replay).

`faq_unanswered` has no openid: its questions are stored masked and unlinked to anyone,
so there is no row of the user to find there; its retention limits it instead.
"""

from __future__ import annotations

import json

from sqlalchemy import ColumnElement, Table, delete, or_, select, update
from sqlalchemy.engine import Connection

from adapters.database import Base
from adapters.platform_local.models import PlatformEventRow
from bot.models import Conversation, Delivery

# The platform anonymises these itself, in its own transaction, before we run.
ANONYMISED_BY_PLATFORM = frozenset({"pf_accounts"})
# Rows of the user's phones that lose the phone instead of going: the local (dev) SMS
# gateway's record, whose ids the simulator pages by. Deleted, SQLite would hand the
# next message an id already seen and `python -m bot chat` would not show the code of
# a registration right after 注销. The text is the code alone; retention removes it.
SCRUBBED = {"sms_messages": {"phone_enc": "", "phone_hash": ""}}


def forget_chat(conn: Connection, openid: str) -> dict[str, int]:
    """Unsubscribe: the conversation and the deliveries go; the account stays."""
    return {
        "conversations": _count(conn.execute(
            delete(Conversation).where(Conversation.openid == openid))),
        "deliveries": _count(conn.execute(delete(Delivery).where(Delivery.openid == openid))),
    }


def forget_account(conn: Connection, openid: str,
                   phone_hashes: tuple[str, ...] = ()) -> dict[str, int]:
    """注销: every row of the openid (and of its phones) in every table."""
    counts: dict[str, int] = {}
    for table in reversed(Base.metadata.sorted_tables):  # rows referring to others first
        if table.name in ANONYMISED_BY_PLATFORM:
            continue
        where = _rows_of(table, openid, phone_hashes)
        if where is not None:
            scrub = SCRUBBED.get(table.name)
            change = update(table).values(scrub) if scrub else delete(table)
            done = _count(conn.execute(change.where(where)))
            if done:
                counts[table.name] = done
    scrubbed = _scrub_callbacks(conn, openid)
    if scrubbed:
        counts["platform_events"] = scrubbed
    return counts


def _rows_of(table: Table, openid: str,
             phone_hashes: tuple[str, ...]) -> ColumnElement[bool] | None:
    conditions: list[ColumnElement[bool]] = []
    if "openid" in table.c:
        conditions.append(table.c.openid == openid)
    if phone_hashes and "phone_hash" in table.c:
        conditions.append(table.c.phone_hash.in_(phone_hashes))
    return or_(*conditions) if conditions else None


def _scrub_callbacks(conn: Connection, openid: str) -> int:
    """Stored platform callbacks name their recipients: this openid is taken out."""
    t = PlatformEventRow.__table__
    rows = conn.execute(select(t.c.id, t.c.body).where(t.c.body.contains(openid))).all()
    changed = 0
    for row in rows:
        try:
            body = json.loads(row.body)
        except ValueError:
            continue
        recipients = body.get("recipients") if isinstance(body, dict) else None
        if isinstance(recipients, list) and openid in recipients:
            body["recipients"] = [r for r in recipients if r != openid]
            conn.execute(update(t).where(t.c.id == row.id)
                         .values(body=json.dumps(body, ensure_ascii=False)))
            changed += 1
    return changed


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
