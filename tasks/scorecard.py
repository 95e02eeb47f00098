"""Tasks of the scorecard stage (考核晾晒): compute the period's scorecard, store and render it (site +
workbook under ``$GONGSHU_HOME/scorecards/<period>/``), and publish it to the Prefect UI: the table
artifact ``scorecard-<period>`` (the ranking) and a markdown artifact ``scorecard-<department>`` per
department, whose versions are that department's history month by month."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from gongshu.clock import period_label
from gongshu.scorecard.charts import score
from gongshu.scorecard.config import ScorecardConfig
from gongshu.scorecard.model import DepartmentScore, Fix, Scorecard
from gongshu.scorecard.site import change, figure, marks, rank_move
from gongshu.scorecard.stage import Prepared, Published, prepare, publish
from gongshu.scorecard.status import headline, revision_note, short
from gongshu.settings import get_settings
from gongshu.store.db import get_engine

from .naming import artifact_key

FIXES_SHOWN = 20
"""整改清单 items a department's markdown artifact lists; the rest are on its page of the site."""


@task(name="compute-scorecard", task_run_name="compute-scorecard-{period}", cache_policy=NO_CACHE)
def prepare_one(period: str, config: ScorecardConfig, sample: bool = False) -> Prepared:
    """The period's scorecard: 暂定 for the month in progress, computed for a closed month never
    stored, the stored version otherwise."""
    return prepare(get_engine(), period, config, sample=sample)


@task(name="publish-scorecard", task_run_name="publish-scorecard-{prepared.card.period}", cache_policy=NO_CACHE)
def publish_one(prepared: Prepared) -> Published:
    """Store a freshly computed closed month and write the site and workbook; returns where they are."""
    return publish(get_engine(), prepared, get_settings().scorecards_dir / prepared.card.period)


def ranking_rows(card: Scorecard) -> list[dict]:
    return [
        {
            "rank": d.rank if d.rank is not None else "未排名",
            "department": d.department,
            "name": d.name,
            "total": score(d.total, "—"),
            "change": change(d)[0],
            "rank move": rank_move(d)[0],
            "board": "、".join(marks(d)) or "-",
            "share calls": d.usage.get("share_calls", "-"),
            "downloads": d.usage.get("downloads", "-"),
            "open apps": d.usage.get("apps", "-"),
            "note": d.note or "",
        }
        for d in card.departments
    ]


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _fix(fix: Fix) -> str:
    due = f"（整改期限 {fix.deadline.isoformat()}）" if fix.deadline else ""
    where = f"；见 {fix.where}" if fix.where else ""
    return _cell(f"{fix.text}{due}{where}")


def department_markdown(card: Scorecard, d: DepartmentScore, page: str | None = None) -> str:
    """The department's month as the Prefect UI shows it: rank and total first, then each indicator,
    then what to fix (the first :data:`FIXES_SHOWN`), then where its page is."""
    ranked = sum(1 for x in card.departments if x.rank is not None)
    sample = "（示例数据）" if card.sample else ""
    lines = [f"# {d.name} · {headline(card)}{sample}", ""]
    if card.provisional:
        lines += ["**暂定**：本月尚未结束，以下为截至计算时间的暂定结果，不是本月的考核结果；月末后正式发布。", ""]
    if note := revision_note(card):
        lines += [note, ""]
    if d.total is None:
        lines.append(f"**未排名**：{d.note or '本期所有指标均不适用'}")
    else:
        board = "".join(f" · **{m}**" for m in marks(d))
        lines.append(
            f"**第 {d.rank} 名**（{ranked} 个部门排名） · 总分 **{score(d.total)}** · "
            f"较上期：{change(d)[0]} · 名次变化：{rank_move(d)[0]}{board}"
        )
    lines += ["", "| 维度 | 指标 | 权重 | 得分 | 分子 | 分母 |", "|---|---|---:|---:|---:|---:|"]
    for i in d.indicators:
        lines.append(
            f"| {_cell(i.dimension)} | {_cell(i.name)} | {score(i.weight)} | {score(i.value)} "
            f"| {figure(i.numerator)} | {figure(i.denominator)} |"
        )
    fixes = [(i.name, fix) for i in d.indicators for fix in i.fixes]
    lines += ["", f"## 整改清单（{len(fixes)} 项）", ""]
    lines += [f"{n}. {_cell(name)}：{_fix(fix)}" for n, (name, fix) in enumerate(fixes[:FIXES_SHOWN], start=1)]
    if len(fixes) > FIXES_SHOWN:
        lines.append(f"\n另有 {len(fixes) - FIXES_SHOWN} 项，见部门页面。")
    if not fixes:
        lines.append("本期没有整改事项。")
    if page:
        lines += ["", f"部门页面（评分依据）：`{page}`"]
    return "\n".join(lines) + "\n"


@task(name="publish-scorecard-artifacts", task_run_name="scorecard-artifacts-{scorecard.period}", cache_policy=NO_CACHE)
def publish_scorecard_artifacts(scorecard: Scorecard, published: Published | None = None) -> list[str]:
    """The ranking as ``scorecard-<period>`` and each department as ``scorecard-<department>``;
    returns the keys written."""
    card = scorecard
    ranked = [d for d in card.departments if d.rank is not None]
    red = "、".join(d.name for d in card.departments if d.red) or "无"
    black = "、".join(d.name for d in card.departments if d.black) or "无"
    key = artifact_key("scorecard", card.period)
    create_table_artifact(
        table=ranking_rows(card),
        key=key,
        description=(
            f"{headline(card)}{'（示例数据）' if card.sample else ''}: "
            f"{len(card.departments)} departments, {len(ranked)} ranked; 红榜 {red}; 黑榜 {black}"
            + ("" if card.platform_ran else "; the platform ran nothing that was due: no ranking")
            + (f"; {len(card.platform)} window(s) the platform did not run (平台运行)" if card.platform else "")
            + (f"; site {published.site}" if published else "")
        ),
    )
    keys = [key]
    for d in card.departments:
        page = str(published.site.parent / "departments" / f"{d.department}.html") if published else None
        dept_key = artifact_key("scorecard", d.department)
        create_markdown_artifact(
            markdown=department_markdown(card, d, page),
            key=dept_key,
            description=f"{d.name} {period_label(card.period)}考核晾晒（{short(card)}）: 总分 {score(d.total, '—')}",
        )
        keys.append(dept_key)
    return keys
