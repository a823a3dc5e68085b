"""Operators' FAQ edits (an overlay on faq.yaml) and handled unanswered questions

Revision ID: 0009_faq_edits
Revises: 0008_erase
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from adapters.sqltypes import UTCDateTime

revision = "0009_faq_edits"
down_revision = "0008_erase"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "faq_edits",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("version", sa.Integer(), nullable=True, unique=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=True),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("variants", sa.JSON(), nullable=True),
        sa.Column("covered", sa.Integer(), nullable=False, server_default="0"),
    )
    with op.batch_alter_table("faq_unanswered") as batch:
        batch.add_column(sa.Column("handled_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("handled_edit", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("faq_unanswered") as batch:
        batch.drop_column("handled_edit")
        batch.drop_column("handled_at")
    op.drop_table("faq_edits")
