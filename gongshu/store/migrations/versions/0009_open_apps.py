"""open apps: 开放应用 built on open datasets, and the datasets each uses

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 17:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "open_app",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("submitter", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_app")),
    )
    with op.batch_alter_table("open_app", schema=None) as batch_op:
        batch_op.create_index("ix_open_app_status", ["status", "reviewed_at"], unique=False)

    op.create_table(
        "open_app_dataset",
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("department_key", sa.String(length=48), nullable=False),
        sa.Column("resource_key", sa.String(length=48), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["open_app.id"], name=op.f("fk_open_app_dataset_app_id_open_app")),
        sa.PrimaryKeyConstraint("app_id", "department_key", "resource_key", name=op.f("pk_open_app_dataset")),
    )
    with op.batch_alter_table("open_app_dataset", schema=None) as batch_op:
        batch_op.create_index("ix_open_app_dataset_resource", ["department_key", "resource_key"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("open_app_dataset", schema=None) as batch_op:
        batch_op.drop_index("ix_open_app_dataset_resource")
    op.drop_table("open_app_dataset")
    with op.batch_alter_table("open_app", schema=None) as batch_op:
        batch_op.drop_index("ix_open_app_status")
    op.drop_table("open_app")
