"""Great Expectations suites of the clean gate, generated from the catalog.

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

Suites are plain JSON files, ``<out_dir>/<department>/<resource>.clean.json``, written with sorted
keys and no time stamps or random ids, so regenerating an unchanged catalog changes no byte. Every
generated expectation carries ``meta.gongshu = {"generated": true, "rule": <code>, "field": <name>,
"scope": <scope>}``; an expectation without the flag is hand-written and is kept, in its order,
after the generated ones.

What is checked (rule codes are stable: gate results, quarantine reasons and scorecards use them):

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
``PHONE_INVALID``     the canonical phone forms (see ``PATTERNS``)                      critical  table
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

Regexes use ``[0-9]`` rather than ``\\d``: Python's ``\\d`` also matches full-width digits, which
the cleansing stage must have turned half-width. They are anchored with ``^…$`` and use only
syntax PostgreSQL shares, so the same suite can run against the database.

``great_expectations`` is imported inside the functions that need it (the import takes seconds);
writing suites does not need it at all.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..catalog.model import Catalog, CatalogField, Resource

if TYPE_CHECKING:
    from great_expectations.core.expectation_suite import ExpectationSuite

STAGE = "clean"

_DATE = r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
PATTERNS: dict[str, str] = {
    "uscc": r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$",
    "id_card": r"^[0-9]{17}[0-9X]$",
    "region_code": r"^[0-9]{6}$",
    # mobile 13800000000 | landline 0576-88888888 with an optional extension -123 | 400-800-1234
    "phone": r"^(?:1[3-9][0-9]{9}|0[0-9]{2,3}-[0-9]{7,8}(?:-[0-9]{1,6})?|[48]00-[0-9]{3}-[0-9]{4})$",
    "email": r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$",
    "date": rf"^{_DATE}$",
    "datetime": rf"^{_DATE} (?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$",
}
"""The canonical form of each code-like kind after cleansing; the cleansers must produce exactly it."""

Severity = Literal["critical", "warning"]
# rule code -> severity of the expectations generated for it (INVALID_RATIO also has a warning twin)
RULES: dict[str, Severity] = {
    "COLUMNS_MISMATCH": "critical",
    "ROW_COUNT": "critical",
    "INVALID_RATIO": "critical",
    "PK_DUPLICATE": "critical",
    "REQUIRED_MISSING": "critical",
    "USCC_FORMAT": "critical",
    "USCC_CHECKSUM": "critical",
    "USCC_PILOT": "warning",
    "ID_CARD_FORMAT": "critical",
    "ID_CARD_CHECKSUM": "critical",
    "REGION_INVALID": "critical",
    "ENUM_INVALID": "critical",
    "PHONE_INVALID": "critical",
    "EMAIL_INVALID": "critical",
    "DATE_INVALID": "critical",
}
Scope = Literal["table", "rows"]
SCOPES: tuple[Scope, ...] = ("table", "rows")
"""The frames a clean gate validates (see the module docstring); ``table`` is the default."""
STATUS = "_status"
"""The ``rows`` frame's one column: ``loaded``, ``quarantined`` or ``merged`` per row received."""
FORMAT_RULES: dict[str, str] = {
    "uscc": "USCC_FORMAT",
    "id_card": "ID_CARD_FORMAT",
    "region_code": "REGION_INVALID",
    "phone": "PHONE_INVALID",
    "email": "EMAIL_INVALID",
    "date": "DATE_INVALID",
    "datetime": "DATE_INVALID",
}
FORMAT_TEXT = {
    "uscc": "须为 18 位统一社会信用代码（GB 32100，不含 I、O、S、V、Z）",
    "id_card": "须为 18 位公民身份号码（17 位数字加校验位数字或 X）",
    "region_code": "须为 6 位数字行政区划代码（GB/T 2260）",
    "phone": "须为手机号（11 位）、固定电话（区号-号码）或 400/800 号码",
    "email": "须为有效的电子邮箱地址",
    "date": "须为 YYYY-MM-DD 格式的日期",
    "datetime": "须为 YYYY-MM-DD HH:MM:SS 格式的日期时间",
}

NOTE = (
    "Generated from the catalog by gongshu.quality.suites: expectations whose meta.gongshu.generated "
    "is true are rewritten on every catalog run. Add your own expectations without that flag "
    "(built-in Great Expectations types or gongshu.quality.expectations; meta.gongshu.scope 'rows' "
    "for the per-row _status frame, else the loaded table); they are kept."
)
_NOTE_PREFIX = NOTE.split(":", 1)[0]
"""Notes starting so were written by this module (perhaps an older wording), not by a person."""


class SuiteError(ValueError):
    """A suite file that must not be used by a gate; the message names the file and every problem."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = Path(path)
        self.problems = problems
        super().__init__(f"{self.path}: " + "; ".join(problems))


def suite_name(department_id: str, resource_id: str) -> str:
    return f"{department_id}.{resource_id}.{STAGE}"


def suite_path(out_dir: str | Path, department_id: str, resource_id: str) -> Path:
    return Path(out_dir) / department_id / f"{resource_id}.{STAGE}.json"


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
    severity: Severity | None = None,
    **extra: Any,
) -> dict[str, Any]:
    gongshu: dict[str, Any] = {"generated": True, "rule": rule, "field": field, "scope": scope, **extra}
    return {
        "type": type_,
        "kwargs": kwargs,
        "meta": {"gongshu": gongshu},
        "severity": severity or RULES[rule],
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


def generated_expectations(resource: Resource) -> list[dict[str, Any]]:
    """The expectations the catalog implies for a cleansed batch of the resource, in a fixed order:
    table checks, the share of quarantined rows, the primary key, then each field in catalog order."""
    names = [f.name for f in resource.fields]
    out = [
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

    pk = list(resource.primary_key)
    if len(pk) == 1:
        out.append(
            _expectation(
                "expect_column_values_to_be_unique",
                {"column": pk[0]},
                "PK_DUPLICATE",
                pk[0],
                f"主键 {pk[0]} 的值不得重复",
            )
        )
    elif pk:
        out.append(
            _expectation(
                "expect_compound_columns_to_be_unique",
                {"column_list": pk},
                "PK_DUPLICATE",
                None,
                f"主键（{'、'.join(pk)}）的组合不得重复",
                fields=pk,
            )
        )

    for field in resource.fields:
        label = _label(field)
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
        elif field.kind in PATTERNS:
            out.append(
                _expectation(
                    "expect_column_values_to_match_regex",
                    {"column": field.name, "regex": PATTERNS[field.kind]},
                    FORMAT_RULES[field.kind],
                    field.name,
                    f"{label}{FORMAT_TEXT[field.kind]}",
                )
            )
        out += _checksums(field, label)
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


def is_generated(expectation: Any) -> bool:
    meta = expectation.get("meta") if isinstance(expectation, dict) else None
    gongshu = meta.get("gongshu") if isinstance(meta, dict) else None
    return isinstance(gongshu, dict) and gongshu.get("generated") is True


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


Status = Literal["created", "updated", "unchanged", "removed", "left", "failed"]


@dataclass(frozen=True)
class SuiteFile:
    """What ``write_suites`` did with one suite file."""

    path: Path
    resource: str
    status: Status
    """``left``: a suite of a resource no longer in the catalog, kept for its hand-written
    expectations; ``failed``: an existing file that could not be read, left untouched."""
    generated: int
    """Generated expectations written (for ``removed``/``left``: found in the file)."""
    hand_written: int
    """Hand-written expectations kept (or found, in a file that was removed or left)."""
    message: str = ""

    @property
    def changed(self) -> bool:
        return self.status in ("created", "updated", "removed")

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def _read(path: Path) -> tuple[str, dict[str, Any]] | None:
    """An existing suite file as text and dict; None when absent. A broken file is an error, never
    overwritten: it may hold hand-written expectations."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SuiteError(path, [f"not valid JSON ({exc}); fix or delete the file, then regenerate"]) from exc
    if not isinstance(data, dict) or not isinstance(data.get("expectations", []), list):
        raise SuiteError(path, ["not a Great Expectations suite (an object with an 'expectations' list)"])
    return text, data


def _merge(generated: dict[str, Any], existing: dict[str, Any] | None) -> tuple[dict[str, Any], int]:
    """The generated suite plus what a person added to the existing file: expectations without the
    generated flag (in their order), suite notes, and suite meta other than ``gongshu``."""
    if existing is None:
        return generated, 0
    hand = [e for e in existing.get("expectations", []) if not is_generated(e)]
    doc = dict(generated)
    doc["expectations"] = generated["expectations"] + hand
    meta = existing.get("meta")
    if isinstance(meta, dict):
        extra = {k: v for k, v in meta.items() if k not in ("gongshu", "great_expectations_version")}
        doc["meta"] = {**extra, **generated["meta"]}
    notes = existing.get("notes")
    if notes is not None and not (isinstance(notes, str) and notes.startswith(_NOTE_PREFIX)):
        doc["notes"] = notes
    return doc, len(hand)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_suites(catalog: Catalog, out_dir: str | Path) -> list[SuiteFile]:
    """(Re)generate the clean suite of every resource of ``catalog`` under ``out_dir/<department>/``.

    Hand-written expectations in existing files are kept. Suite files of resources no longer in the
    catalog are deleted when they hold only generated expectations, and left (status ``left``, with
    a message) when a person added something to them. An existing file that is not a readable suite
    is never overwritten: its resource gets status ``failed`` with the reason, and the other
    resources are still written. Results: the catalog's resources by id, then stale files by name.
    """
    dept = catalog.department.id
    results: list[SuiteFile] = []
    for resource in sorted(catalog.resources, key=lambda r: r.id):
        path = suite_path(out_dir, dept, resource.id)
        try:
            existing = _read(path)
        except SuiteError as exc:
            results.append(SuiteFile(path, resource.id, "failed", 0, 0, str(exc)))
            continue
        doc, hand = _merge(suite_document(dept, resource), existing[1] if existing else None)
        text = dumps(doc)
        generated = len(doc["expectations"]) - hand
        status: Status = "unchanged"
        if existing is None or existing[0] != text:
            status = "created" if existing is None else "updated"
            _write(path, text)
        results.append(SuiteFile(path, resource.id, status, generated, hand))

    folder = Path(out_dir) / dept
    current = {r.id for r in catalog.resources}
    suffix = f".{STAGE}.json"
    for path in sorted(folder.glob(f"*{suffix}")) if folder.is_dir() else []:
        resource_id = path.name[: -len(suffix)]
        if resource_id in current:
            continue
        try:
            _, data = _read(path) or ("", {})
        except SuiteError as exc:
            message = f"resource '{resource_id}' is no longer in catalog '{dept}'; its suite was left: {exc}"
            results.append(SuiteFile(path, resource_id, "left", 0, 0, message))
            continue
        expectations = data.get("expectations", [])
        generated = sum(1 for e in expectations if is_generated(e))
        hand = len(expectations) - generated
        ours = generated > 0 or isinstance((data.get("meta") or {}).get("gongshu"), dict)
        if hand == 0 and ours:
            path.unlink()
            results.append(SuiteFile(path, resource_id, "removed", generated, 0))
        else:
            message = (
                f"resource '{resource_id}' is no longer in catalog '{dept}', but its suite has "
                f"{hand} hand-written expectation(s): move them or delete {path.name} yourself"
            )
            results.append(SuiteFile(path, resource_id, "left", generated, hand, message))
    return results


def load_suite(path: str | Path) -> ExpectationSuite:
    """Load a suite file for a gate, refusing one that would check nothing or less than it says.

    Raises :class:`SuiteError` naming the file when the suite has no expectations, names an
    expectation type GX does not know (it would be dropped silently), has an expectation GX cannot
    build from its configuration (also dropped silently), or scopes one to a frame no gate has.
    gongshu's own expectation types are imported first, so they are known.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SuiteError(path, ["no such suite file; run the catalog stage to generate it"]) from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SuiteError(path, [f"not valid JSON ({exc})"]) from exc
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise SuiteError(path, ["not a Great Expectations suite (an object with an 'expectations' list)"])
    raw = data["expectations"]
    if not raw:
        raise SuiteError(path, ["the suite has no expectations: a gate that checks nothing must not pass"])

    import great_expectations as gx
    from great_expectations.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
    from great_expectations.expectations.registry import get_expectation_impl

    from . import expectations  # noqa: F401 - importing it registers gongshu's expectation types with GX

    problems = []
    for n, item in enumerate(raw, start=1):
        type_ = item.get("type") if isinstance(item, dict) else None
        where = f"expectation {n}" + (f" ({type_})" if isinstance(type_, str) else "")
        if not isinstance(type_, str):
            problems.append(f"{where} has no 'type'")
            continue
        try:
            get_expectation_impl(type_)
        except ExpectationNotFoundError:
            problems.append(
                f"{where}: '{type_}' is not a known Great Expectations expectation "
                "(GX would drop it silently; use a built-in one or one of gongshu.quality.expectations)"
            )
            continue
        scope = scope_of(item.get("meta"))
        if scope not in SCOPES:
            problems.append(f"{where}: meta.gongshu.scope {scope!r} is not one of {', '.join(SCOPES)}")
            continue
        try:
            ExpectationConfiguration(**item).to_domain_obj()
        except Exception as exc:  # GX raises pydantic, TypeError, its own errors: all mean "dropped"
            detail = " ".join(str(exc).split())
            problems.append(f"{where} is not a valid configuration: {detail}")
    if problems:
        raise SuiteError(path, problems)

    suite = gx.ExpectationSuite(**data)
    if len(suite.expectations) != len(raw):  # pragma: no cover - the checks above should catch it
        raise SuiteError(path, [f"GX loaded {len(suite.expectations)} of {len(raw)} expectations"])
    return suite
