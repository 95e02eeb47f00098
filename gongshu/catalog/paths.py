"""Where a catalog's sources are: paths in a catalog are relative to the catalog file."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url


def resolve_source_path(catalog_dir: Path, path: str) -> Path:
    """A source ``path`` as written in a catalog, resolved against the catalog file's folder."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (catalog_dir / p).resolve()


def sqlite_file(url: str, catalog_dir: Path) -> Path | None:
    """The database file of a ``sqlite://`` URL (relative to the catalog), None for other URLs."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return resolve_source_path(catalog_dir, parsed.database)


def resolve_sql_url(url: str, catalog_dir: Path) -> str:
    """The URL to connect with: a relative SQLite path becomes absolute; other URLs are unchanged."""
    db_file = sqlite_file(url, catalog_dir)
    if db_file is None:
        return url
    return make_url(url).set(database=str(db_file)).render_as_string(hide_password=False)
