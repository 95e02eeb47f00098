"""stage claims and feedback state

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 03:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "stage_claim",
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("department_key", sa.String(length=48), nullable=False),
        sa.Column("resource_key", sa.String(length=48), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("stage", "department_key", "resource_key", name=op.f("pk_stage_claim")),
    )
    op.create_table(
        "feedback_state",
        sa.Column("department_key", sa.String(length=48), nullable=False),
        sa.Column("issues_generation", sa.Integer(), nullable=False),
        sa.Column("workbook_generation", sa.Integer(), nullable=True),
        sa.Column("workbook_period", sa.String(length=7), nullable=True),
        sa.Column("workbook_path", sa.String(length=500), nullable=True),
        sa.Column("workbook_written_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("department_key", name=op.f("pk_feedback_state")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("feedback_state")
    op.drop_table("stage_claim")
