"""Why a batch's clean gate (质量门禁) did not pass, in plain Chinese built from what the gate recorded
(its failed checks in ``quality_result``, the batch's figures, the catalog's thresholds), never from
the English text of ``cleanse_batch.error``, which is for the run log. The 反馈表's 汇总 sheet shows
these sentences; the scorecard's 整改清单 can quote them (:func:`batch_gate_notes`).

A sentence names fields by their catalog label and carries no rule code, path or exception text.
The thresholds quoted (``max_invalid_ratio``, ``min_rows``) are the catalog's as given: the checks
recorded do not keep them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa

from ..rules.codes import RULES
from ..store import models as m

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

    from ..catalog.model import Resource

NOT_EVALUATED = "平台未能完成这批数据的质量检查，数据暂未入库；这是平台的问题，平台会处理，贵单位无需操作。"
UNKNOWN_CHECK = "平台的一项质量检查没有通过，这批数据没有入库；请与平台管理员联系。"


class FailedCheck(Protocol):
    """A check that closed the gate: a ``quality_result`` row or a :class:`gongshu.quality.gate.Check`."""

    @property
    def rule(self) -> str: ...
    @property
    def column(self) -> str | None: ...
    @property
    def unexpected_count(self) -> int | None: ...


def field_label(resource: Resource | None, name: str) -> str:
    """A field as the department knows it: its catalog label (else the column it is read from),
    with the field's name in brackets when another field of the resource has the same label."""
    field = resource.field(name) if resource else None
    if field is None:
        return name
    label = field.label or field.source_column or field.name
    same = [f for f in resource.fields if (f.label or f.source_column or f.name) == label] if resource else []
    return f"{label}（{field.name}）" if len(same) > 1 else label


def gate_notes(
    resource: Resource | None, rows_in: int, quarantined: int, failed: Iterable[FailedCheck]
) -> tuple[str, ...]:
    """One sentence per failed check of a batch of ``rows_in`` records, ``quarantined`` of them
    quarantined; :data:`NOT_EVALUATED` when the gate checked nothing."""
    notes = []
    for check in sorted(failed, key=lambda c: (c.rule, c.column or "")):
        rule = RULES.get(check.rule)
        if rule is None or not rule.problem:
            notes.append(UNKNOWN_CHECK)
        elif check.rule == "INVALID_RATIO":
            limit = resource.quality.max_invalid_ratio if resource else None
            share = quarantined / rows_in if rows_in else 0
            over = f"，超过目录规定的上限 {limit:.1%}" if limit is not None else ""
            notes.append(
                f"这批数据共 {rows_in:,} 条记录，其中 {quarantined:,} 条有错误被隔离（占 {share:.1%}）{over}，"
                f"整批数据没有入库。{rule.advice}"
            )
        elif check.rule == "ROW_COUNT":
            least = f"目录规定的至少 {resource.quality.min_rows:,} 条" if resource else "目录规定的最少记录数"
            notes.append(f"这批数据能够入库的记录少于{least}，整批数据没有入库。{rule.advice}")
        else:
            where = f"「{field_label(resource, check.column)}」：" if check.column else ""
            count = f"（{check.unexpected_count:,} 条记录）" if check.unexpected_count else ""
            notes.append(f"{where}{rule.problem.removesuffix('。')}{count}。{rule.advice}")
    return tuple(dict.fromkeys(notes)) or (NOT_EVALUATED,)


def batch_gate_notes(conn: Session | Connection, resource: Resource | None, batch: m.CleanseBatch) -> tuple[str, ...]:
    """:func:`gate_notes` of a cleansed batch whose gate did not pass (empty when it passed or
    never ran), from the checks its cleansing recorded."""
    if batch.gate_passed is not False:
        return ()
    qr = m.QualityResult
    failed = conn.execute(
        sa.select(qr.rule, qr.column, qr.unexpected_count).where(
            qr.gate == "clean",
            qr.department_key == batch.department_key,
            qr.resource_key == batch.resource_key,
            qr.batch_id == batch.batch_id,
            qr.run_id == batch.run_id,
            qr.success.is_(False),
            qr.severity == "critical",
        )
    ).all()
    return gate_notes(resource, batch.rows_in, batch.quarantined, failed)
