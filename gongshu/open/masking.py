"""Masking (脱敏) of DWD records for opening, and the decision whether a resource may be opened at all.

DB33/T 2351-2021 (``shared/reference/domain-notes.md`` §6): L1 data opens directly; L2 and L3 open
only on application (有条件开放), masked; L4 never opens. An L4 field is therefore dropped from any
release whatever its ``mask`` says, and a field without a ``mask`` is masked by its kind.

The per-value rules follow the conventions most Chinese government stacks use (Hutool
``DesensitizedUtil``), written once as vectorised Arrow kernels; a value too short for its rule is
starred whole rather than partly leaked, and an empty value stays null:

  name       first character, one ``*`` per other character        张三丰 → 张**
  id_card    first 6 and last 4 (18- or 15-character numbers)        330102********1234
  phone      a mobile number keeps its first 3 and last 4; any other number is masked as ``landline``
             (the ``phone`` kind holds both)                         138****1234
  landline   first 4 and last 2                                      0576*******56
  address    cut after the county-level unit, the rest one fixed ``****`` (see :data:`REGION`)
  email      first character + ``***`` + the domain                  z***@example.com
  bank_card  first 4 and last 4
  hash       HMAC-SHA256 keyed with ``GONGSHU_MASK_SALT``, hex, first 32 characters (128 bits)
  drop       the column leaves the release;  none: the value as it is
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..catalog.model import CatalogField, Resource
from ..catalog.vocab import LEVEL_LABELS, Mask, OpenType
from ..rules.kinds import KINDS

SALT_ENV = "GONGSHU_MASK_SALT"
HASH_CHARS = 32
"""Hex characters kept of the HMAC digest: 128 bits, collision-free at any table size we hold."""
TAIL = "****"
"""What replaces the street part of an address: fixed, so that its length tells nothing."""

DEFAULT_MASKS: dict[str, Mask] = {kind.name: cast("Mask", kind.mask) for kind in KINDS.values() if kind.mask}
"""The mask of a field that declares none, by kind (:attr:`gongshu.rules.kinds.Kind.mask`); any
other kind opens as it is."""

# Characters of street-level addresses that occur in no county-level name: the region never holds
# them. 镇乡村 (towns, villages) and 小社园 (小区, 社区, 园区) begin a few such names (镇海区, 乡宁县,
# 小店区) but never follow the first character of one we keep; a county with one inside its name
# (安乡县, 宁乡市) is cut at the prefecture instead: coarser, never finer.
_STREET = "路街巷弄号栋幢室楼"
_INSIDE = "镇乡村小社园"
_FIRST = rf"[^\P{{Han}}{_STREET}]"
_NEXT = rf"[^\P{{Han}}{_STREET}{_INSIDE}]"
REGION = (
    rf"(?:{_FIRST}{_NEXT}{{1,6}}?(?:省|自治区))?"
    rf"(?:{_FIRST}{_NEXT}{{0,8}}?(?:市|自治州|地区|盟))?"
    rf"{_FIRST}{_NEXT}{{0,8}}?(?:区|县|旗|市)"
)
"""An address's region down to the county level (RE2): an optional province (省, 自治区), an optional
prefecture (市, 自治州, 地区, 盟), then the first district, county, banner or county-level city, all in
Chinese characters from the start of the value: 浙江省台州市椒江区, 北京市海淀区, 温岭市. An address that
does not start so (a street first, digits, Latin letters) is masked whole: nothing of it is kept."""
_REGION_MAX = 32  # province 10 (1 + 6 + 自治区), prefecture 12 (1 + 8 + 自治州), county 10 (1 + 8 + 1)
_LEAD = rf"^(?P<lead>[^\P{{Han}}{_STREET}]{{0,{_REGION_MAX}}})"
_ADDRESS = rf"^(?P<region>{REGION})"
_MOBILE = r"^1[3-9][0-9]{9}$"
_EMAIL = r"(?s)^(?P<first>[^@])(?P<more>[^@]*)(?P<domain>@[^@]+)$"


class MaskSaltMissing(RuntimeError):
    """A field is masked with ``hash`` but no salt is configured; there is deliberately no default."""


def to_arrow(values: pa.Array | pa.ChunkedArray | pd.Series) -> pa.Array:
    """A column as one Arrow array (pandas ``str`` columns are Arrow already: no copy per value)."""
    if isinstance(values, pd.Series):
        try:
            values = pa.array(values, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # an object column of mixed scalars
            values = pa.array(values.astype("string"), from_pandas=True)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values


def _text(values: pa.Array | pa.ChunkedArray | pd.Series) -> pa.Array:
    """The column as strings, an empty string read as null."""
    values = to_arrow(values)
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if not pa.types.is_string(values.type):
        values = pc.cast(values, pa.string())
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def _stars(n: pa.Array | int) -> pa.Array:
    return pc.binary_repeat("*", n)


def _keep(values: pa.Array, head: int, tail: int, min_length: int) -> pa.Array:
    """The first ``head`` and last ``tail`` characters with a ``*`` for each one between; a value
    shorter than ``min_length`` all stars."""
    length = pc.utf8_length(values)
    hidden = pc.subtract(pc.max_element_wise(length, head + tail), head + tail)
    parts = [pc.utf8_slice_codeunits(values, 0, head), _stars(hidden)]
    if tail:
        parts.append(pc.utf8_slice_codeunits(values, -tail))
    kept = pc.binary_join_element_wise(*parts, "")
    return pc.if_else(pc.less(length, min_length), _stars(length), kept)


def mask_name(values: pa.Array) -> pa.Array:
    """张三丰 → 张**; a compound surname (欧阳) is not told apart: only its first character stays."""
    return _keep(values, 1, 0, 2)


def mask_id_card(values: pa.Array) -> pa.Array:
    """First 6 (the region of registration) and last 4 characters of an 18- or 15-character number."""
    return _keep(values, 6, 4, 15)


def mask_landline(values: pa.Array) -> pa.Array:
    """First 4 (the area code, or most of it) and last 2 characters; shorter than 10, all stars."""
    return _keep(values, 4, 2, 10)


def mask_phone(values: pa.Array) -> pa.Array:
    """A mobile number (``1[3-9]`` and 9 digits) keeps its first 3 and last 4; any other number is
    masked as a landline."""
    mobile = pc.match_substring_regex(values, _MOBILE)
    return pc.if_else(mobile, _keep(values, 3, 4, 11), mask_landline(values))


def mask_address(values: pa.Array) -> pa.Array:
    """The region down to the county level (:data:`REGION`) and ``****`` for the rest; an address
    that is only a region stays as it is; one that does not start with a region is ``****``.

    RE2 reads capture groups ten times slower than it matches (4 s a million addresses), so the
    region is read once per distinct leading run of characters it could span (the Chinese
    characters before the first digit, letter or street character: ``浙江省台州市椒江区白云``),
    which a city's addresses share by the thousand."""
    lead = pc.struct_field(pc.extract_regex(values, _LEAD), "lead")
    codes = pc.dictionary_encode(lead)
    region = pc.struct_field(pc.extract_regex(codes.dictionary, _ADDRESS), "region").take(codes.indices)
    whole = pc.equal(pc.utf8_length(region), pc.utf8_length(values))
    masked = pc.if_else(whole, region, pc.binary_join_element_wise(region, TAIL, ""))
    return pc.if_else(pc.and_(pc.is_null(region), pc.is_valid(values)), TAIL, masked)


def mask_email(values: pa.Array) -> pa.Array:
    """zhang@example.com → z***@example.com (a one-character local part: ***@example.com); a value
    without exactly one ``@`` is all stars."""
    parts = pc.extract_regex(values, _EMAIL)
    first, more, domain = (pc.struct_field(parts, k) for k in ("first", "more", "domain"))
    local = pc.if_else(pc.equal(more, ""), "***", pc.binary_join_element_wise(first, "***", ""))
    masked = pc.binary_join_element_wise(local, domain, "")
    return pc.if_else(pc.is_null(masked), _stars(pc.utf8_length(values)), masked)


def mask_bank_card(values: pa.Array) -> pa.Array:
    """First 4 (the issuer) and last 4 characters; shorter than 12, all stars."""
    return _keep(values, 4, 4, 12)


def hash_values(values: pa.Array, *, field: str) -> pa.Array:
    """HMAC-SHA256 of each value's UTF-8 text, keyed with ``GONGSHU_MASK_SALT``: equal values give
    equal hashes, so records stay linkable within and across releases made with the same salt.

    The key must stay secret: ID and phone numbers are few enough to hash them all, so anyone
    holding the salt could reverse the column. Each distinct value is hashed once."""
    salt = os.environ.get(SALT_ENV)
    if not salt:
        raise MaskSaltMissing(
            f"field '{field}' is masked with hash, but {SALT_ENV} is not set: set it to a secret "
            "(there is no default salt, since a known salt makes ID and phone numbers reversible)"
        )
    key = salt.encode()
    codes = pc.dictionary_encode(values)
    digests = [hmac.new(key, v.encode(), hashlib.sha256).hexdigest()[:HASH_CHARS] for v in codes.dictionary.to_pylist()]
    return pa.array(digests, pa.string()).take(codes.indices)


MASKERS: dict[str, Callable[[pa.Array], pa.Array]] = {
    "name": mask_name,
    "id_card": mask_id_card,
    "phone": mask_phone,
    "landline": mask_landline,
    "address": mask_address,
    "email": mask_email,
    "bank_card": mask_bank_card,
}


def mask_values(mask: Mask, values: pa.Array | pa.ChunkedArray | pd.Series, *, field: str = "value") -> pa.Array:
    """One column masked by ``mask`` as strings (``none`` gives the column back as it is); ``field``
    names the column in errors. ``drop`` is not a value mask: the column leaves the release."""
    if mask == "none":
        return to_arrow(values)
    if mask == "drop":
        raise ValueError(f"field '{field}': drop removes the column; there is no masked value")
    text = _text(values)
    if mask == "hash":
        return hash_values(text, field=field)
    return MASKERS[mask](text)


def mask_value(mask: Mask, value: str | None, *, field: str = "value") -> str | None:
    """One value masked by ``mask`` (the same kernels as whole columns)."""
    return mask_values(mask, pa.array([value], pa.string()), field=field)[0].as_py()


def effective_mask(f: CatalogField) -> Mask:
    """The field's own ``mask``, else the default of its kind (:data:`DEFAULT_MASKS`)."""
    return f.mask if f.mask is not None else DEFAULT_MASKS.get(f.kind, "none")


@dataclass(frozen=True)
class Dropped:
    field: str
    reason: str


@dataclass
class Masked:
    """A frame made ready for release, and what was done to each column."""

    frame: pd.DataFrame
    dropped: list[Dropped] = field(default_factory=list)
    masks: dict[str, Mask] = field(default_factory=dict)
    """Per released field, the mask applied (``none`` included)."""


def mask_frame(resource: Resource, frame: pd.DataFrame) -> Masked:
    """Mask a frame of the resource's records (columns named by field) for release.

    A field of level L4 is dropped whatever its mask; a field without its own ``level`` has the
    resource's. A field whose mask is ``drop`` is dropped; the others are masked by
    :func:`effective_mask`. Columns that are no field of the catalog (lineage columns such as
    ``_batch_id``, anything unexpected) are dropped too: only what the catalog describes is opened.
    Catalog fields missing from the frame are skipped. Whether the resource may be opened at all is
    :func:`release_decision`'s question, not this function's."""
    fields = {f.name: f for f in resource.fields}
    dropped: list[Dropped] = []
    masks: dict[str, Mask] = {}
    for name in frame.columns:
        f = fields.get(name)
        if f is None:
            dropped.append(Dropped(name, "not a field of the catalog resource; only catalogued fields are opened"))
            continue
        level = f.level or resource.level
        mask = effective_mask(f)
        if level == "L4":
            inherited = "" if f.level else ", the resource's level"
            reason = f"level L4 ({LEVEL_LABELS['L4']}){inherited}: never opened (DB33/T 2351)"
            dropped.append(Dropped(name, reason))
        elif mask == "drop":
            dropped.append(Dropped(name, "mask is drop"))
        else:
            masks[name] = mask
    out = frame.loc[:, list(masks)]
    for name, mask in masks.items():
        if mask != "none":  # by position: the index may repeat labels
            out[name] = mask_values(mask, frame[name], field=name).to_pandas().array
    return Masked(frame=out, dropped=dropped, masks=masks)


@dataclass(frozen=True)
class Decision:
    openable: bool
    release: OpenType
    """How the resource is released: 无条件开放, 有条件开放, or 不予开放 when it is not."""
    reason: str


def release_decision(resource: Resource) -> Decision:
    """Whether and how the resource is opened, by its level and declared ``open.type`` (DB33/T 2351).

    An L2 or L3 resource declared 无条件开放 is held back, not quietly downgraded to 有条件开放: opening
    on application is the department's decision, so the catalog must say it (the catalog check
    ``CATALOG_LEVEL_OPEN`` reports the same conflict)."""
    level, declared = resource.level, resource.open.type
    where = f"resource '{resource.id}' ({resource.name}): {level} ({LEVEL_LABELS[level]})"
    if declared == "不予开放":
        return Decision(False, "不予开放", f"{where}, open.type is 不予开放")
    if level == "L4":
        return Decision(False, "不予开放", f"{where} is never opened (DB33/T 2351), though open.type is {declared}")
    if level in ("L2", "L3") and declared == "无条件开放":
        return Decision(
            False,
            "不予开放",
            f"{where} opens only on application, masked (DB33/T 2351), but open.type is 无条件开放: "
            "held back until the catalog declares 有条件开放",
        )
    how = "to anyone" if declared == "无条件开放" else "on application, masked"
    return Decision(True, declared, f"{where}, open.type {declared}: opened {how}")
