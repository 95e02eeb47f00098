"""cleanse batches and quality issues

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 21:07:32.147716

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "cleanse_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("department_key", sa.String(length=48), nullable=False),
        sa.Column("resource_key", sa.String(length=48), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("rows_in", sa.Integer(), nullable=False),
        sa.Column("loaded", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column("merged", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.Integer(), nullable=False),
        sa.Column("gate_passed", sa.Boolean(), nullable=True),
        sa.Column("dwd_table", sa.String(length=63), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cleanse_batch")),
    )
    with op.batch_alter_table("cleanse_batch", schema=None) as batch_op:
        batch_op.create_index("ix_cleanse_batch_batch", ["batch_id"], unique=False)
        batch_op.create_index(
            "ix_cleanse_batch_resource", ["department_key", "resource_key", "finished_at"], unique=False
        )

    op.create_table(
        "quality_issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_key", sa.String(length=48), nullable=False),
        sa.Column("resource_key", sa.String(length=48), nullable=False),
        sa.Column("record_key", sa.String(length=400), nullable=False),
        sa.Column("field", sa.String(length=48), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("original", sa.Text(), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column("first_batch_id", sa.String(length=40), nullable=False),
        sa.Column("last_batch_id", sa.String(length=40), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fixed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fixed_batch_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_issue")),
        sa.UniqueConstraint(
            "department_key", "resource_key", "record_key", "field", "code", name="uq_quality_issue_identity"
        ),
    )
    with op.batch_alter_table("quality_issue", schema=None) as batch_op:
        batch_op.create_index("ix_quality_issue_status", ["department_key", "status", "resource_key"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("quality_issue", schema=None) as batch_op:
        batch_op.drop_index("ix_quality_issue_status")

    op.drop_table("quality_issue")
    with op.batch_alter_table("cleanse_batch", schema=None) as batch_op:
        batch_op.drop_index("ix_cleanse_batch_resource")
        batch_op.drop_index("ix_cleanse_batch_batch")

    op.drop_table("cleanse_batch")
