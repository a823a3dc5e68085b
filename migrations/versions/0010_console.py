"""Operators' console: operators, sessions, handled handoffs; audit lines get an address

Revision ID: 0010_console
Revises: 0009_faq_edits
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from adapters.sqltypes import UTCDateTime

revision = "0010_console"
down_revision = "0009_faq_edits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_operators",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("operator", sa.String(length=40), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index(op.f("ix_console_sessions_operator"), "console_sessions", ["operator"])
    op.create_index(op.f("ix_console_sessions_seen_at"), "console_sessions", ["seen_at"])
    op.create_table(
        "console_handoffs_handled",
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("human_until", sa.String(length=40), nullable=False),
        sa.Column("handled_by", sa.String(length=40), nullable=False),
        sa.Column("handled_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("openid"),
    )
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("address", sa.String(length=45), nullable=False,
                                   server_default=""))
    op.create_index(op.f("ix_audit_events_address"), "audit_events", ["address"])


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_events_address"), table_name="audit_events")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("address")
    op.drop_table("console_handoffs_handled")
    op.drop_index(op.f("ix_console_sessions_seen_at"), table_name="console_sessions")
    op.drop_index(op.f("ix_console_sessions_operator"), table_name="console_sessions")
    op.drop_table("console_sessions")
    op.drop_table("console_operators")
