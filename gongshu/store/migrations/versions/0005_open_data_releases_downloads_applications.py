"""open data: releases, downloads, applications

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 01:06:23.384448

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "open_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_key", sa.String(length=48), nullable=False),
        sa.Column("resource_key", sa.String(length=48), nullable=False),
        sa.Column("applicant", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=16), nullable=True),
        sa.Column("key_id", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_application")),
    )
    with op.batch_alter_table("open_application", schema=None) as batch_op:
        batch_op.create_index(
            "ix_open_application_resource", ["department_key", "resource_key", "status"], unique=False
        )

    op.create_table(
        "open_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_key", sa.String(length=48), nullable=False),
        sa.Column("resource_key", sa.String(length=48), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("open_type", sa.String(length=12), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("fields", JSON_TYPE, nullable=False),
        sa.Column("dropped", JSON_TYPE, nullable=False),
        sa.Column("masks", JSON_TYPE, nullable=False),
        sa.Column("files", JSON_TYPE, nullable=False),
        sa.Column("folder", sa.String(length=300), nullable=False),
        sa.Column("source_batch_id", sa.String(length=40), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdraw_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_release")),
        sa.UniqueConstraint(
            "department_key",
            "resource_key",
            "version",
            name=op.f("uq_open_release_department_key_resource_key_version"),
        ),
    )
    op.create_table(
        "download_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("downloaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=True),
        sa.Column("department_key", sa.String(length=48), nullable=False),
        sa.Column("resource_key", sa.String(length=48), nullable=False),
        sa.Column("what", sa.String(length=40), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"], ["open_release.id"], name=op.f("fk_download_log_release_id_open_release")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_download_log")),
    )
    with op.batch_alter_table("download_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_download_log_resource", ["department_key", "resource_key", "downloaded_at"], unique=False
        )

    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resource_scope", sa.String(length=100), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_column("resource_scope")

    with op.batch_alter_table("download_log", schema=None) as batch_op:
        batch_op.drop_index("ix_download_log_resource")

    op.drop_table("download_log")
    op.drop_table("open_release")
    with op.batch_alter_table("open_application", schema=None) as batch_op:
        batch_op.drop_index("ix_open_application_resource")

    op.drop_table("open_application")
