"""customer-service quotas per user

Windows opened before this revision are not known exactly (events refreshed
last_inbound_at too), so every user starts without a window: the next message, click,
subscribe or scan opens one. Pushes meanwhile go as templates or wait.

Revision ID: 0005_quotas
Revises: 0004_webhook
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adapters.sqltypes

revision = "0005_quotas"
down_revision = "0004_webhook"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wechat_users") as batch:
        batch.add_column(sa.Column("cs_kind", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("cs_expires_at",
                                   adapters.sqltypes.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("cs_remaining", sa.Integer(), server_default="0",
                                   nullable=False))
        batch.add_column(sa.Column("cs_waiting", sa.Integer(), server_default="0",
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("wechat_users") as batch:
        batch.drop_column("cs_waiting")
        batch.drop_column("cs_remaining")
        batch.drop_column("cs_expires_at")
        batch.drop_column("cs_kind")
