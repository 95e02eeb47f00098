"""sharing: keys, requests, grants, call log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 22:15:19.091045

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "api_call_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=True),
        sa.Column("consumer_key", sa.String(length=48), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("provider_key", sa.String(length=48), nullable=True),
        sa.Column("resource_key", sa.String(length=48), nullable=True),
        sa.Column("fields", JSON_TYPE, nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_call_log")),
    )
    with op.batch_alter_table("api_call_log", schema=None) as batch_op:
        batch_op.create_index("ix_api_call_log_called", ["called_at"], unique=False)
        batch_op.create_index("ix_api_call_log_consumer", ["consumer_key", "called_at"], unique=False)

    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("department_key", sa.String(length=48), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("key_id", name=op.f("uq_api_key_key_id")),
    )
    op.create_table(
        "share_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consumer_key", sa.String(length=48), nullable=False),
        sa.Column("provider_key", sa.String(length=48), nullable=False),
        sa.Column("resource_key", sa.String(length=48), nullable=False),
        sa.Column("fields", JSON_TYPE, nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("share_type", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_request")),
    )
    with op.batch_alter_table("share_request", schema=None) as batch_op:
        batch_op.create_index("ix_share_request_consumer", ["consumer_key", "status"], unique=False)
        batch_op.create_index("ix_share_request_provider", ["provider_key", "status"], unique=False)

    op.create_table(
        "share_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("consumer_key", sa.String(length=48), nullable=False),
        sa.Column("provider_key", sa.String(length=48), nullable=False),
        sa.Column("resource_key", sa.String(length=48), nullable=False),
        sa.Column("fields", JSON_TYPE, nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["share_request.id"], name=op.f("fk_share_grant_request_id_share_request")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_grant")),
    )
    with op.batch_alter_table("share_grant", schema=None) as batch_op:
        batch_op.create_index("ix_share_grant_access", ["consumer_key", "provider_key", "resource_key"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("share_grant", schema=None) as batch_op:
        batch_op.drop_index("ix_share_grant_access")

    op.drop_table("share_grant")
    with op.batch_alter_table("share_request", schema=None) as batch_op:
        batch_op.drop_index("ix_share_request_provider")
        batch_op.drop_index("ix_share_request_consumer")

    op.drop_table("share_request")
    op.drop_table("api_key")
    with op.batch_alter_table("api_call_log", schema=None) as batch_op:
        batch_op.drop_index("ix_api_call_log_consumer")
        batch_op.drop_index("ix_api_call_log_called")

    op.drop_table("api_call_log")
