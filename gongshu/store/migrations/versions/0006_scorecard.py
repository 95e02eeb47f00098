"""scorecard

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 01:21:04.582456

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "scorecard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("department", sa.String(length=48), nullable=False),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("payload", JSON_TYPE, nullable=False),
        sa.Column("config_hash", sa.String(length=80), nullable=False),
        sa.Column("sample", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard")),
        sa.UniqueConstraint("period", "department", name=op.f("uq_scorecard_period_department")),
    )
    with op.batch_alter_table("scorecard", schema=None) as batch_op:
        batch_op.create_index("ix_scorecard_department", ["department", "period"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("scorecard", schema=None) as batch_op:
        batch_op.drop_index("ix_scorecard_department")

    op.drop_table("scorecard")
