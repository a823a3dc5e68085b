"""webhook: replay memory and where followers came from

Revision ID: 0004_webhook
Revises: 0003_tokens
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adapters.sqltypes

revision = "0004_webhook"
down_revision = "0003_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wechat_seen_requests",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("seen_at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(
        op.f("ix_wechat_seen_requests_seen_at"), "wechat_seen_requests", ["seen_at"],
        unique=False,
    )
    op.create_table(
        "wechat_follower_sources",
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("scene", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=12), nullable=False),
        sa.Column("first_at", adapters.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("openid", "scene"),
    )
    op.create_index(
        op.f("ix_wechat_follower_sources_first_at"), "wechat_follower_sources", ["first_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_wechat_follower_sources_first_at"),
                  table_name="wechat_follower_sources")
    op.drop_table("wechat_follower_sources")
    op.drop_index(op.f("ix_wechat_seen_requests_seen_at"), table_name="wechat_seen_requests")
    op.drop_table("wechat_seen_requests")
