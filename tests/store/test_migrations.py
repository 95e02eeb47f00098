"""The platform schema: Alembic migrations applied on first use, matching the models, on SQLite
and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from gongshu.store.db import current_revision, get_engine, head_revision
from gongshu.store.models import Base

PLATFORM_TABLES = {"department", "resource", "resource_field", "catalog_version", "run_log"}


def test_first_use_creates_the_schema_at_head(db_url):
    engine = get_engine(db_url)
    assert current_revision(engine) == head_revision()
    assert PLATFORM_TABLES <= set(sa.inspect(engine).get_table_names())


def test_models_and_migrations_agree(db_url):
    engine = get_engine(db_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, Base.metadata) == []


def test_default_database_is_sqlite_under_home(gongshu_home):
    engine = get_engine()
    assert engine.dialect.name == "sqlite"
    assert (gongshu_home / "gongshu.db").is_file()
