"""Problems found in a catalog file, each pinned to a file, line, column, resource and field."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .vocab import meant

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class CatalogIssue:
    code: str
    """Stable code, e.g. ``CATALOG_UNKNOWN_KEY``; the same code wherever the problem is shown."""
    message: str
    file: Path
    line: int | None = None
    column: int | None = None
    severity: Severity = "error"
    department: str | None = None
    resource: str | None = None
    field: str | None = None
    key: str | None = None
    """Where in the document, e.g. ``resources[0].fields[2].kind``."""
    allowed: tuple[str, ...] = ()
    suggestion: str | None = None

    @property
    def where(self) -> str:
        parts = []
        if self.resource:
            parts.append(f"resource '{self.resource}'")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        pos = str(self.file)
        if self.line is not None:
            pos += f":{self.line}"
            if self.column is not None:
                pos += f":{self.column}"
        where = f"{self.where}: " if self.where else ""
        text = f"{pos}: {self.severity}: {where}{self.message}"
        if self.suggestion:
            text += f" (did you mean '{self.suggestion}'?)"
        if self.allowed:
            text += f"; allowed: {', '.join(self.allowed)}"
        return one_line(text)

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": str(self.file),
            "line": self.line,
            "column": self.column,
            "department": self.department,
            "resource": self.resource,
            "field": self.field,
            "key": self.key,
            "allowed": list(self.allowed),
            "suggestion": self.suggestion,
            "text": str(self),
        }


def one_line(text: str) -> str:
    """``text`` with line breaks and other unprintable characters escaped (``\\n``, ``\\x00``): a key
    or value quoted from a file must not break an issue over several lines or into the terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The allowed word ``word`` most likely means, for "did you mean" (None when nothing is close):
    a known variant by meaning first (``vocab.VARIANTS``: '每天' means '每日'), else by spelling."""
    choices = list(choices)
    by_meaning = meant(word, choices)
    if by_meaning is not None:
        return by_meaning
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return match[0] if match else None
