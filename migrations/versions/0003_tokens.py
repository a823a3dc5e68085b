"""force refreshes of the shared access token, counted per Beijing day

Revision ID: 0003_tokens
Revises: 0002_platform
Create Date: 2026-12-01 09:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adapters.sqltypes

revision = "0003_tokens"
down_revision = "0002_platform"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wechat_tokens") as batch:
        batch.add_column(sa.Column("forced_at", adapters.sqltypes.UTCDateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column("force_day", sa.Date(), nullable=True))
        batch.add_column(sa.Column("force_count", sa.Integer(), nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("wechat_tokens") as batch:
        batch.drop_column("force_count")
        batch.drop_column("force_day")
        batch.drop_column("forced_at")
