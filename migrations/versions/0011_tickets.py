"""Tickets (工单): Q3 manual verification and Q6 problem reports, their moves and images

Revision ID: 0011_tickets
Revises: 0010_console
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from adapters.sqltypes import UTCDateTime

revision = "0011_tickets"
down_revision = "0010_console"
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("no", sa.String(length=20), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("details_enc", sa.Text(), nullable=True),
        sa.Column("last_reply", sa.Text(), nullable=False),
        sa.Column("idem_key", sa.String(length=160), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("no"),
        sa.UniqueConstraint("idem_key"),
    )
    op.create_index(op.f("ix_tickets_openid"), "tickets", ["openid"], unique=False)
    op.create_index("ix_tickets_status_updated", "tickets", ["status", "updated_at"],
                    unique=False)
    op.create_table(
        "ticket_events",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("ticket_id", BIGID, nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=8), nullable=False),
        sa.Column("to_status", sa.String(length=8), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_ticket_events_ticket_id"), "ticket_events", ["ticket_id"])
    op.create_index(op.f("ix_ticket_events_openid"), "ticket_events", ["openid"])
    op.create_table(
        "ticket_media",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("ticket_id", BIGID, nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("media_id", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("mime", sa.String(length=16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_enc", sa.LargeBinary(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("idem_key", sa.String(length=160), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idem_key"),
    )
    op.create_index(op.f("ix_ticket_media_ticket_id"), "ticket_media", ["ticket_id"])
    op.create_index(op.f("ix_ticket_media_openid"), "ticket_media", ["openid"])
    op.create_index("ix_ticket_media_due", "ticket_media", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("ticket_media")
    op.drop_table("ticket_events")
    op.drop_table("tickets")
