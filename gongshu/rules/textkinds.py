"""The text-like kinds: enumerations, e-mail addresses, personal names, addresses and free text.

  enum         the catalog's ``values`` as written; a spelling listed in ``aliases``, or a value
               written with other widths, spaces or case (``ＢＬＵＥ``, ``有限责任公司(自然人独资)``) is
               mapped to its value, ``ENUM_ALIAS``; anything else is rejected, ``ENUM_INVALID``.
  email        trimmed, lower-case, the form of ``gongshu.rules.patterns.EMAIL``, else ``EMAIL_INVALID``.
  person_name  tidied text; a name with digits in it is rejected, ``NAME_INVALID``.
  address      tidied text.
  text         tidied text.

Tidied text: trimmed, whitespace runs as one space, full-width digits and letters half-width
(Chinese punctuation stays full-width), U+3000 as a space; null tokens read as empty.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from . import patterns
from .column import codes, mask, per_distinct, prepare
from .result import Cleaned

if TYPE_CHECKING:
    from ..catalog.model import CatalogField

_SPACES = re.compile(r"\s+")


def _folded(text: str) -> str:
    """A spelling with width, spaces and case left out, to recognise a value written differently."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold()


def enum_spellings(field: CatalogField) -> dict[str, tuple[str, str | None]]:
    """Every spelling the field accepts: the spelling -> (its value, the repair it takes).

    Folded spellings shared by two values are left out: they do not say which value was meant."""
    canonical = {value: value for value in field.values or ()}
    for value, others in (field.aliases or {}).items():
        canonical.update({other: value for other in others})
    folded: dict[str, set[str]] = {}
    for spelling, value in canonical.items():
        folded.setdefault(_folded(spelling), set()).add(value)
    spellings: dict[str, tuple[str, str | None]] = {
        key: (next(iter(values)), "ENUM_ALIAS") for key, values in folded.items() if len(values) == 1
    }
    spellings.update({s: (v, None if s == v else "ENUM_ALIAS") for s, v in canonical.items()})
    return spellings


def enum(values: pa.Array | pa.ChunkedArray, field: CatalogField) -> Cleaned:
    """Standardise an enumeration to the catalog's values (module docstring)."""
    prepared = prepare(values, code_like=False, collapse=True)
    spellings = enum_spellings(field)

    def decide(text: str) -> tuple[str | None, str | None, str | None]:
        value, repair = spellings.get(text) or spellings.get(_folded(text)) or (None, None)
        return (value, None, repair) if value is not None else (None, "ENUM_INVALID", None)

    out, rejected, repaired = per_distinct(prepared.values, decide, 3)
    return prepared.cleaned(pa.array(out, pa.string()), rejected=rejected, repaired=repaired)


def email(values: pa.Array | pa.ChunkedArray) -> Cleaned:
    """Standardise e-mail addresses: trimmed, half-width, lower-case, a valid form."""
    prepared = prepare(values, code_like=True)
    text = pc.utf8_lower(prepared.values)
    rejected = codes(len(text))
    rejected[mask(pc.is_valid(text)) & ~mask(pc.match_substring_regex(text, patterns.EMAIL))] = "EMAIL_INVALID"
    return prepared.cleaned(text, rejected=rejected)


def person_name(values: pa.Array | pa.ChunkedArray) -> Cleaned:
    """Standardise personal names: tidied text without digits."""
    prepared = prepare(values, code_like=False, collapse=True)
    rejected = codes(len(prepared.values))
    rejected[mask(pc.match_substring_regex(prepared.values, r"[0-9]"))] = "NAME_INVALID"
    return prepared.cleaned(prepared.values, rejected=rejected)


def text(values: pa.Array | pa.ChunkedArray) -> Cleaned:
    """Standardise free text and addresses: tidied, nothing rejected."""
    prepared = prepare(values, code_like=False, collapse=True)
    return prepared.cleaned(prepared.values)
