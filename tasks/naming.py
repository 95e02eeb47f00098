"""Names and keys the Prefect UI shows."""

import re


def artifact_key(*parts: str) -> str:
    """An artifact key (Prefect allows lowercase letters, digits and dashes)."""
    return re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-")
