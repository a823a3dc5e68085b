"""The store's statements beyond SQLAlchemy's usual execution (adapters/raw_sql.py).

- `remember_and_read` (PostgreSQL): the replay memory's INSERT and the step's read
  (delivery, user, conversation) in one statement, a data-modifying CTE: one round trip
  instead of two. When the INSERT lands (the usual case) the replay memory's answer is
  FIRST; otherwise the caller runs the general path, which tells a retry from a replay.
- the user row's statements, built once per shape (`user_upsert`, `user_touch`);
- `first_step` (PostgreSQL): a user's first saved step in one statement.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

from adapters.raw_sql import Prepared
from bot.models import Conversation as WeChatConversation
from bot.models import Delivery, SeenRequest, WeChatUser


def remember_and_read(read: ClauseElement) -> Prepared:
    """`read` (bot/store.py `_READ`) with the replay memory's INSERT in front of it and a
    `first` column: 1 when the INSERT landed."""
    seen = SeenRequest.__table__
    remembered = (pg_insert(seen)
                  .values(key=bindparam("s_key"), body_hash=bindparam("s_hash"),
                          seen_at=bindparam("s_at"))
                  .on_conflict_do_nothing(index_elements=["key"])
                  .returning(seen.c.key)
                  .cte("remembered"))
    return Prepared(read.add_columns(  # type: ignore[attr-defined]
        select(func.count()).select_from(remembered).scalar_subquery().label("first")))


# --- the user row, one statement per shape -------------------------------------------
# A user's row is written in a handful of shapes (which columns, update or insert). Each
# shape is built once with bind parameters, so SQLAlchemy finds its compiled form instead
# of building and hashing a new statement for every new user's message.
_U = WeChatUser.__table__
_SHAPES: dict[tuple[Any, ...], Any] = {}


def user_upsert(pg: bool, values: Mapping[str, Any], changes: Mapping[str, Any]
                ) -> tuple[Any, dict[str, Any]]:
    """INSERT the user's row with `values`, or on conflict set `changes` (nothing when
    empty): the statement for this shape and its parameters."""
    shape = ("upsert", pg, tuple(values), tuple(changes))
    stmt = _SHAPES.get(shape)
    if stmt is None:
        stmt = (pg_insert if pg else sqlite.insert)(_U).values(
            {k: bindparam(f"v_{k}", type_=_U.c[k].type) for k in values})
        if changes:
            stmt = stmt.on_conflict_do_update(index_elements=["openid"], set_={
                k: bindparam(f"s_{k}", type_=_U.c[k].type) for k in changes})
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=["openid"])
        _SHAPES[shape] = stmt
    params = {f"v_{k}": v for k, v in values.items()}
    params.update({f"s_{k}": v for k, v in changes.items()})
    return stmt, params


def user_touch(openid: str, window: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """UPDATE a known user's customer-service `window`: the statement and its parameters."""
    shape = ("touch", tuple(window))
    stmt = _SHAPES.get(shape)
    if stmt is None:
        stmt = _SHAPES[shape] = update(_U).where(_U.c.openid == bindparam("w_openid")).values(
            {k: bindparam(f"t_{k}", type_=_U.c[k].type) for k in window})
    params = {f"t_{k}": v for k, v in window.items()}
    params["w_openid"] = openid
    return stmt, params


def prepared(stmt: Any, dialect: Dialect) -> Prepared:
    """`stmt` (one of the shapes above) compiled once for `dialect`."""
    key = ("prepared", stmt, dialect.name)
    found = _SHAPES.get(key)
    if found is None:
        found = _SHAPES[key] = Prepared(stmt, dialect)
    return found  # type: ignore[no-any-return]


def first_step(user: Any | None) -> Prepared:
    """PostgreSQL, a user's first saved step: the conversation INSERT, `user` (a shape
    above, or None) and the delivery in one statement, a round trip instead of a
    transaction's five. All or nothing: a conversation or delivery already there fails
    the whole statement with a unique violation."""
    key = ("first", user)
    found = _SHAPES.get(key)
    if found is None:
        conv = WeChatConversation.__table__
        delivery = Delivery.__table__
        saved = (pg_insert(conv)
                 .values({c.name: bindparam("w_openid" if c.name == "openid" else f"c_{c.name}",
                                            type_=c.type) for c in conv.columns})
                 .returning(conv.c.openid)
                 .cte("saved"))
        stmt = delivery.insert().from_select(
            ["key", "openid", "created_at", "replies"],
            select(bindparam("d_key", type_=delivery.c.key.type), saved.c.openid,
                   bindparam("d_created_at", type_=delivery.c.created_at.type),
                   bindparam("d_replies", type_=delivery.c.replies.type)))
        found = Prepared(stmt if user is None else stmt.add_cte(user.cte("usr")))
        if user is not None:  # the CTE's defaults are not the outer statement's
            found.defaults.update(Prepared(user).defaults)
        _SHAPES[key] = found
    return found  # type: ignore[no-any-return]
