"""collect batches and quality results

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 19:17:25.654923

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table(
        "collect_batch",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("department_key", sa.String(length=48), nullable=False),
        sa.Column("resource_key", sa.String(length=48), nullable=False),
        sa.Column("ods_table", sa.String(length=63), nullable=False),
        sa.Column("fingerprint", sa.String(length=80), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("since", sa.String(length=64), nullable=True),
        sa.Column("high_water", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "notes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collect_batch")),
        sa.UniqueConstraint(
            "department_key",
            "resource_key",
            "fingerprint",
            name=op.f("uq_collect_batch_department_key_resource_key_fingerprint"),
        ),
    )
    with op.batch_alter_table("collect_batch", schema=None) as batch_op:
        batch_op.create_index(
            "ix_collect_batch_resource", ["department_key", "resource_key", "finished_at"], unique=False
        )

    op.create_table(
        "quality_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("department_key", sa.String(length=48), nullable=False),
        sa.Column("resource_key", sa.String(length=48), nullable=False),
        sa.Column("gate", sa.String(length=10), nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=True),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("expectation", sa.String(length=80), nullable=False),
        sa.Column("column", sa.String(length=200), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("unexpected_count", sa.Integer(), nullable=True),
        sa.Column(
            "observed", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_result")),
    )
    with op.batch_alter_table("quality_result", schema=None) as batch_op:
        batch_op.create_index(
            "ix_quality_result_resource", ["department_key", "resource_key", "gate", "evaluated_at"], unique=False
        )
        batch_op.create_index("ix_quality_result_run", ["run_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table("quality_result", schema=None) as batch_op:
        batch_op.drop_index("ix_quality_result_run")
        batch_op.drop_index("ix_quality_result_resource")

    op.drop_table("quality_result")
    with op.batch_alter_table("collect_batch", schema=None) as batch_op:
        batch_op.drop_index("ix_collect_batch_resource")

    op.drop_table("collect_batch")
