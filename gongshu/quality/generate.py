"""The clean gate's Great Expectations suite of a resource, generated from its catalog entry.

One suite per resource describes a batch after cleansing, on two frames (each expectation's
``meta.gongshu.scope`` says which):

* ``table``: the rows about to be loaded into the resource's dwd table, one column per catalog field.
  The cleansing stage has standardised them and quarantined every row that breaks the contract, so
  the loaded table must satisfy it exactly (no ``mostly``): a failure here is a cleansing defect
  and stops publication. A hand-written expectation without a scope is a ``table`` one.
* ``rows``: one row per row of the batch as received, a single column ``_status`` (``loaded``,
  ``quarantined`` or ``merged``), for the share of quarantined rows the catalog tolerates.

Besides GX's built-in expectations the suites use gongshu's own check-character expectations
(:mod:`gongshu.quality.expectations`). A suite naming a custom class that is not imported where it
is loaded comes back from GX with that expectation silently dropped, and an empty suite validates as
success: ``load_suite`` imports gongshu's expectations and refuses unknown types and empty suites.

Every generated expectation carries ``meta.gongshu = {"generated": true, "rule": <code>, "field":
<name>, "scope": <scope>}``; :mod:`gongshu.quality.suites` writes them to files, keeping what a
person added.

What is checked (the rule codes and their severities are records of :data:`gongshu.rules.codes.RULES`,
the patterns and format texts of :data:`gongshu.rules.kinds.KINDS`):

====================  ================================================================  ========  =====
rule                  expectation                                                       severity  scope
====================  ================================================================  ========  =====
``COLUMNS_MISMATCH``  the table has exactly the catalog's fields                        critical  table
``ROW_COUNT``         loaded rows within ``quality.min_rows``..``max_rows`` (no minimum  critical  table
                      when the source is read incrementally, by ``source.watermark``)
``INVALID_RATIO``     quarantined rows at most ``quality.max_invalid_ratio`` of the      critical  rows
                      batch (``mostly``)
``INVALID_RATIO``     no row quarantined (so that any quarantined row is recorded)      warning   rows
``PK_DUPLICATE``      the primary key is unique (one column or compound)                critical  table
``REQUIRED_MISSING``  required and primary-key fields are never null                    critical  table
``USCC_FORMAT``       统一社会信用代码: 18 characters, GB 32100 alphabet                critical  table
``USCC_CHECKSUM``     统一社会信用代码: GB 32100 check character (pilot codes accepted)  critical  table
``USCC_PILOT``        统一社会信用代码: not a pilot code (legal, recorded)               warning   table
``ID_CARD_FORMAT``    公民身份号码: 17 digits and a digit or X                          critical  table
``ID_CARD_CHECKSUM``  公民身份号码: a real birth date 1900-01-01..today, GB 11643 check  critical  table
                      character
``REGION_INVALID``    行政区划代码: 6 digits                                             critical  table
``ENUM_INVALID``      an enum value is one of the catalog's values                      critical  table
``PHONE_INVALID``     the canonical phone forms (``rules.patterns.PHONE``)            critical  table
``EMAIL_INVALID``     an e-mail address                                                 critical  table
``DATE_INVALID``      ``YYYY-MM-DD`` / ``YYYY-MM-DD HH:MM:SS``                          critical  table
====================  ================================================================  ========  =====

Codes (USCC, ID numbers, region codes) are join keys between departments: a malformed one breaks
sharing. The format and the check character are separate rules so that a failure says which broke.
Pilot codes (统一社会信用代码 issued before GB 32100 was final, whose check character does not compute)
are legal: they pass ``USCC_CHECKSUM`` and are recorded by the ``USCC_PILOT`` warning.

Numbers (``integer``, ``decimal``, ``amount``) get no type check: the cleansing stage either parsed
a value into a number or quarantined the row, and a dtype expectation would tie the suite to one
backend's type names (pandas ``int64`` against SQL ``INTEGER``/``NUMERIC``). Amounts are not
required to be non-negative: the kind covers balances, profits and refunds as well as registered
capital; a department that knows its amounts cannot be negative adds a hand-written
``expect_column_values_to_be_between``. Text, names and addresses get only the not-null check.

``great_expectations`` is imported only by :func:`build_suite` (the import takes seconds).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from ..catalog.model import CatalogField, Resource
from ..rules.codes import RULES, Gate
from ..rules.kinds import KINDS

if TYPE_CHECKING:
    from great_expectations.core.expectation_suite import ExpectationSuite

STAGE = "clean"
Scope = Literal["table", "rows"]
SCOPES: tuple[Scope, ...] = ("table", "rows")
"""The frames a clean gate validates (see the module docstring); ``table`` is the default."""
STATUS = "_status"
"""The ``rows`` frame's one column: ``loaded``, ``quarantined`` or ``merged`` per row received."""

NOTE = (
    "Generated from the catalog by gongshu.quality.suites: expectations whose meta.gongshu.generated "
    "is true are rewritten on every catalog run. Add your own expectations without that flag "
    "(built-in Great Expectations types or gongshu.quality.expectations; meta.gongshu.scope 'rows' "
    "for the per-row _status frame, else the loaded table); they are kept."
)


def suite_name(department_id: str, resource_id: str) -> str:
    return f"{department_id}.{resource_id}.{STAGE}"


def _label(field: CatalogField) -> str:
    return f"「{field.label}」({field.name})" if field.label else f"「{field.name}」"


def _expectation(
    type_: str,
    kwargs: dict[str, Any],
    rule: str,
    field: str | None,
    description: str,
    *,
    scope: Scope = "table",
    severity: Gate | None = None,
    **extra: Any,
) -> dict[str, Any]:
    gongshu: dict[str, Any] = {"generated": True, "rule": rule, "field": field, "scope": scope, **extra}
    return {
        "type": type_,
        "kwargs": kwargs,
        "meta": {"gongshu": gongshu},
        "severity": severity or RULES[rule].gate,
        "description": description,
    }


def scope_of(meta: Any) -> Any:
    """The frame an expectation is checked on, from its ``meta``: ``meta.gongshu.scope``, else ``table``."""
    gongshu = meta.get("gongshu") if isinstance(meta, dict) else None
    return gongshu.get("scope", "table") if isinstance(gongshu, dict) else "table"


def _row_count(resource: Resource) -> dict[str, Any]:
    """ROW_COUNT on the loaded rows: an incremental batch (rows past a watermark) may well be empty."""
    q = resource.quality
    incremental = getattr(resource.source, "watermark", None) is not None
    low = 0 if incremental else q.min_rows
    bounds: dict[str, Any] = {"min_value": low}
    if q.max_rows is not None:
        bounds["max_value"] = q.max_rows
    if incremental:
        text = "增量归集，本批入库记录数不设下限" + (f"，不得多于 {q.max_rows} 行" if q.max_rows is not None else "")
    else:
        text = "入库记录数须" + (f"{low} 至 {q.max_rows} 行" if q.max_rows is not None else f"不少于 {low} 行")
    return _expectation("expect_table_row_count_to_be_between", bounds, "ROW_COUNT", None, text)


def _invalid_ratio(resource: Resource) -> list[dict[str, Any]]:
    """The share of quarantined rows, on the ``rows`` frame: the catalog's limit, and any at all."""
    limit = resource.quality.max_invalid_ratio
    quarantined = {"column": STATUS, "value_set": ["quarantined"]}
    return [
        _expectation(
            "expect_column_values_to_not_be_in_set",
            {**quarantined, "mostly": round(1 - limit, 12)},
            "INVALID_RATIO",
            None,
            f"本批被隔离（未入库）的记录不得超过 {limit * 100:g}%",
            scope="rows",
        ),
        _expectation(
            "expect_column_values_to_not_be_in_set",
            quarantined,
            "INVALID_RATIO",
            None,
            "本批不含被隔离（未入库）的记录（仅作提示，不阻断）",
            scope="rows",
            severity="warning",
        ),
    ]


def _checksums(field: CatalogField, label: str) -> list[dict[str, Any]]:
    """Check characters of code fields, with gongshu's own expectations (:mod:`.expectations`)."""
    column = {"column": field.name}
    if field.kind == "uscc":
        return [
            _expectation(
                "expect_column_values_to_be_valid_uscc",
                {**column, "allow_pilot_codes": True},
                "USCC_CHECKSUM",
                field.name,
                f"{label}的校验码须符合 GB 32100（试点代码除外）",
            ),
            _expectation(
                "expect_column_values_to_be_valid_uscc",
                {**column, "allow_pilot_codes": False},
                "USCC_PILOT",
                field.name,
                f"{label}不含校验码不符的试点代码（试点代码合法，仅作提示）",
            ),
        ]
    if field.kind == "id_card":
        return [
            _expectation(
                "expect_column_values_to_be_valid_id_card",
                column,
                "ID_CARD_CHECKSUM",
                field.name,
                f"{label}的出生日期须真实（1900年1月1日至今）且校验码符合 GB 11643",
            )
        ]
    return []


def _table_checks(resource: Resource) -> list[dict[str, Any]]:
    """The columns, the number of rows loaded and the share of rows quarantined."""
    names = [f.name for f in resource.fields]
    return [
        _expectation(
            "expect_table_columns_to_match_set",
            {"column_set": names, "exact_match": True},
            "COLUMNS_MISMATCH",
            None,
            "数据表的字段须与目录登记的信息项完全一致：" + "、".join(names),
        ),
        _row_count(resource),
        *_invalid_ratio(resource),
    ]


def _primary_key(pk: list[str]) -> list[dict[str, Any]]:
    """PK_DUPLICATE: one column unique, or the combination of a compound key."""
    if len(pk) == 1:
        return [
            _expectation(
                "expect_column_values_to_be_unique",
                {"column": pk[0]},
                "PK_DUPLICATE",
                pk[0],
                f"主键 {pk[0]} 的值不得重复",
            )
        ]
    if pk:
        return [
            _expectation(
                "expect_compound_columns_to_be_unique",
                {"column_list": pk},
                "PK_DUPLICATE",
                None,
                f"主键（{'、'.join(pk)}）的组合不得重复",
                fields=pk,
            )
        ]
    return []


def _field_checks(field: CatalogField, pk: list[str]) -> list[dict[str, Any]]:
    """One field's checks: not null (required or key), its values or its kind's form, check characters."""
    label = _label(field)
    out = []
    if field.required or field.name in pk:
        why = "为主键" if field.name in pk and not field.required else "为必填项"
        out.append(
            _expectation(
                "expect_column_values_to_not_be_null",
                {"column": field.name},
                "REQUIRED_MISSING",
                field.name,
                f"{label}{why}，不得为空",
            )
        )
    kind = KINDS[field.kind]
    if field.kind == "enum" and field.values:
        out.append(
            _expectation(
                "expect_column_values_to_be_in_set",
                {"column": field.name, "value_set": list(field.values)},
                "ENUM_INVALID",
                field.name,
                f"{label}的取值须为：" + "、".join(field.values),
            )
        )
    elif kind.pattern is not None and kind.format_rule is not None:
        out.append(
            _expectation(
                "expect_column_values_to_match_regex",
                {"column": field.name, "regex": kind.pattern},
                kind.format_rule,
                field.name,
                f"{label}{kind.format_text}",
            )
        )
    return out + _checksums(field, label)


def generated_expectations(resource: Resource) -> list[dict[str, Any]]:
    """The expectations the catalog implies for a cleansed batch of the resource, in a fixed order:
    table checks, the share of quarantined rows, the primary key, then each field in catalog order."""
    pk = list(resource.primary_key)
    out = _table_checks(resource) + _primary_key(pk)
    for field in resource.fields:
        out += _field_checks(field, pk)
    return out


def suite_document(department_id: str, resource: Resource) -> dict[str, Any]:
    """The generated suite as the JSON-ready dict GX loads with ``ExpectationSuite(**doc)``."""
    return {
        "name": suite_name(department_id, resource.id),
        "id": None,
        "expectations": generated_expectations(resource),
        "meta": {
            "gongshu": {
                "department": department_id,
                "resource": resource.id,
                "resource_name": resource.name,
                "stage": STAGE,
                "generated_by": "gongshu.quality.suites",
            },
        },
        "notes": NOTE,
    }


def build_suite(department_id: str, resource: Resource) -> ExpectationSuite:
    """The generated suite as a GX ``ExpectationSuite`` (not bound to any data context)."""
    import great_expectations as gx

    from . import expectations  # noqa: F401 - without it GX would drop the check-character expectations

    document = suite_document(department_id, resource)
    suite = gx.ExpectationSuite(**document)
    if len(suite.expectations) != len(document["expectations"]):  # pragma: no cover - a defect here
        raise RuntimeError(f"GX built {len(suite.expectations)} of {len(document['expectations'])} expectations")
    return suite
