"""scorecard versions and appeals

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 17:30:00.000000

A closed month's scorecard is kept in every version an accepted 申诉 issues: ``scorecard`` gains a
``version`` column (the rows stored before are version 1 of their period), ``scorecard_version``
records each version's issue time, reason and the period's 示例数据 flag, and ``scorecard_appeal``
keeps every appeal and its decision.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("scorecard", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("scorecard", schema=None) as batch_op:
        batch_op.alter_column("version", server_default=None)
        batch_op.drop_constraint("uq_scorecard_period_department", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_scorecard_period_version_department"), ["period", "version", "department"]
        )
    versions = op.create_table(
        "scorecard_version",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("sample", sa.Boolean(), nullable=False),
        sa.Column("platform", JSON_TYPE, nullable=True),
        sa.PrimaryKeyConstraint("period", "version", name=op.f("pk_scorecard_version")),
    )
    op.create_table(
        "scorecard_appeal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("department", sa.String(length=48), nullable=False),
        sa.Column("indicator", sa.String(length=48), nullable=False),
        sa.Column("evidence_ref", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filed_by", sa.String(length=80), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("version_filed", sa.Integer(), nullable=False),
        sa.Column("version_issued", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_appeal")),
    )
    with op.batch_alter_table("scorecard_appeal", schema=None) as batch_op:
        batch_op.create_index("ix_scorecard_appeal_period", ["period", "department"], unique=False)
    # the periods stored before versions existed: each is version 1, issued when it was computed
    sc = sa.table(
        "scorecard",
        sa.column("period", sa.String),
        sa.column("sample", sa.Boolean),
        sa.column("computed_at", sa.DateTime(timezone=True)),
    )
    rows = (
        op.get_bind()
        .execute(sa.select(sc.c.period, sa.func.min(sc.c.computed_at), sa.func.count()).group_by(sc.c.period))
        .all()
    )
    samples = {p for (p,) in op.get_bind().execute(sa.select(sc.c.period).where(sc.c.sample.is_(True)).distinct())}
    op.bulk_insert(
        versions,
        [{"period": p, "version": 1, "issued_at": at, "reason": None, "sample": p in samples} for p, at, _ in rows],
    )


def downgrade() -> None:
    """Downgrade schema: only the latest version of each period stays."""
    op.execute(
        "DELETE FROM scorecard WHERE version < (SELECT MAX(s2.version) FROM scorecard s2 "
        "WHERE s2.period = scorecard.period)"
    )
    with op.batch_alter_table("scorecard_appeal", schema=None) as batch_op:
        batch_op.drop_index("ix_scorecard_appeal_period")
    op.drop_table("scorecard_appeal")
    op.drop_table("scorecard_version")
    with op.batch_alter_table("scorecard", schema=None) as batch_op:
        batch_op.drop_constraint("uq_scorecard_period_version_department", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_scorecard_period_department"), ["period", "department"])
        batch_op.drop_column("version")
