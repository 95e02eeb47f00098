"""CKAN's ``package_search`` over the open datasets' package dicts, in memory: a city has hundreds to a
few thousand open datasets, fewer than one Solr query's overhead would be worth.

The Solr-ish syntax supported: ``fq`` (and field terms in ``q``) as ``field:value`` terms joined by
spaces or ``AND``, a value in double quotes when it has spaces, an optional leading ``+``; fields
``organization``, ``tags``, ``name``, ``res_format`` and ``open_type``. The free words of ``q`` must
each occur (case-insensitively) in the name, title, notes, tags or organisation; ``*:*`` matches
all. ``sort``: ``metadata_modified``, ``metadata_created``, ``name``, ``title`` or ``score``, each
``asc`` or ``desc``, comma-separated. ``OR``, ranges and wildcards are refused, not guessed at.
"""

from __future__ import annotations

import re
from typing import Any

TERM = re.compile(r'\s*(?:(AND)(?=\s|$)|\+?([a-z_]+):("(?:[^"\\]|\\.)*"|[^\s"]+)|(\S+))')
FIELDS = ("organization", "tags", "name", "res_format", "open_type")
SORT_KEYS = ("metadata_modified", "metadata_created", "name", "title", "score")
DEFAULT_SORT = "score desc, metadata_modified desc"
_REFUSED = {"OR", "NOT", "TO"}


class SearchQueryError(ValueError):
    """A query this subset cannot answer; the message says what is supported."""


class BadSort(ValueError):
    pass


def _values(package: dict[str, Any], field: str) -> list[str]:
    if field == "organization":
        return [package["organization"]["name"]]
    if field == "tags":
        return [t["name"] for t in package["tags"]]
    if field == "name":
        return [package["name"]]
    if field == "res_format":
        return [r["format"] for r in package["resources"]]
    return [e["value"] for e in package["extras"] if e["key"] == "open_type"]


def parse(text: str | None, *, words_allowed: bool) -> tuple[list[tuple[str, str]], list[str]]:
    """``(field, value)`` terms and the free words of a query."""
    terms: list[tuple[str, str]] = []
    words: list[str] = []
    text = (text or "").strip()
    if text in ("", "*:*"):
        return terms, words
    for match in TERM.finditer(text):
        conjunction, field, value, word = match.groups()
        if conjunction:
            continue
        if field is not None:
            if field not in FIELDS:
                raise SearchQueryError(f"a field this API does not filter on; it filters on {', '.join(FIELDS)}")
            if value.startswith('"'):
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            terms.append((field, value))
            continue
        if word in _REFUSED or any(c in word for c in "()[]{}*?~^"):
            raise SearchQueryError("unsupported query syntax (OR, NOT, ranges, wildcards): terms are joined by AND")
        if not words_allowed:
            raise SearchQueryError("fq takes field:value terms only, not free words")
        words.append(word.strip('"'))
    return terms, words


def _text(package: dict[str, Any]) -> str:
    parts = [package["name"], package["title"], package.get("notes") or "", package["organization"]["title"]]
    parts += [t["name"] for t in package["tags"]]
    return " ".join(parts).lower()


def sort_keys(sort: str | None) -> list[tuple[str, bool]]:
    """``(key, descending)`` pairs of a CKAN sort string."""
    keys = []
    for part in (sort or DEFAULT_SORT).split(","):
        words = part.split()
        if not words:
            continue
        key, direction = words[0], (words[1].lower() if len(words) > 1 else "asc")
        if key not in SORT_KEYS or direction not in ("asc", "desc") or len(words) > 2:
            raise BadSort(f"sort: write e.g. 'metadata_modified desc' or 'name asc' ({', '.join(SORT_KEYS)})")
        keys.append((key, direction == "desc"))
    return keys


def search(packages: list[dict[str, Any]], q: str | None, fq: str | None, sort: str | None) -> list[dict[str, Any]]:
    """The packages matching ``q`` and ``fq``, in ``sort`` order."""
    terms, words = parse(q, words_allowed=True)
    more, _ = parse(fq, words_allowed=False)
    terms += more
    keys = sort_keys(sort)
    lowered = [w.lower() for w in words]
    found = [
        p
        for p in packages
        if all(value in _values(p, field) for field, value in terms) and all(w in _text(p) for w in lowered)
    ]
    for key, descending in reversed(keys):  # stable sorts, the last key first
        if key == "score":  # every match scores alike here: the next key decides
            continue
        found.sort(key=lambda p, k=key: p[k] or "", reverse=descending)
    return found
