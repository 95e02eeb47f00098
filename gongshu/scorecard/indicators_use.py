"""数据利用 (use), as 复旦「开放数林」's 利用层 scores it: how much the department's shared and opened data
was actually used in the period, compared with the other departments.

Use is counted per resource, so a department is not ranked by its size: a department with two
resources whose data is called a lot earns as much as one with twenty. Each department's use per
resource is scored against the median of the departments that had any use (the median, not the best:
one very busy department does not push everyone else to the floor):

    每资源利用量 u = 利用量 ÷ 资源数;  R = 有利用的部门 u 的中位数
    得分 = 0 (u = 0);  否则 min(100, max(30, 100 × u ÷ R))

so at or above the median earns 100, and any real use earns at least 30. A department with no
shareable (openable and opened) resource is 不适用: what it did not share or open is charged once, in
共享度 and 开放率, not again here (one fault, one deduction). When no department had any use in the
period there is nothing to compare against: 不适用 for everyone (the platform's month, not theirs).

* ``share_use`` 共享调用: the sharing API's data reads served (2xx) for the department's resources;
* ``open_use`` 开放利用: downloads of its open data files and datastore/API reads (``download_log``),
  plus :data:`APP_WEIGHT` for each approved 开放应用 built on each of its datasets (an outcome counts
  more than raw downloads, as 开放数林 counts it);
* 核验 (issue 18) will add ``verify_use`` the same way: one query counting its call log's answered checks
  per provider, scored by :func:`relative_use` over :func:`shareable` resources, and one line in
  :data:`INDICATORS`. It is not defined before that log exists (a 核验 indicator over nothing would
  be 不适用 for everyone, or worse, a silent 0).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable

import sqlalchemy as sa

from ..store import models as m
from .config import ScorecardConfig
from .indicators import Context, DeptInfo, Indicator, ResInfo, Result, limit_evidence
from .indicators_open import _latest_releases, openable
from .model import Evidence, Fix

FLOOR = 30.0
"""Any real use earns at least this."""
APP_WEIGHT = 20
"""One approved 开放应用 using a dataset counts as this many downloads of it."""
DATA_PATH = "/api/v1/data/"
"""The sharing API's data endpoint (``gongshu.api.routers.data``): a call there reads granted data."""
NEVER_SHARED = "不予共享"

Counts = Counter[tuple[str, str]]
"""(department, resource) -> use in the period."""


def shareable(dept: DeptInfo, _: Context) -> list[ResInfo]:
    return [r for r in dept.resources if r.share_type != NEVER_SHARED]


def opened(dept: DeptInfo, ctx: Context) -> list[ResInfo]:
    """Openable resources with a release before the cut-off."""
    releases = _latest_releases(ctx)
    return [r for r in dept.resources if openable(r) and (dept.key, r.key) in releases]


def score(use: float, reference: float) -> float:
    """One department's score from its use per resource and the median of the departments with use."""
    if use <= 0:
        return 0.0
    return min(100.0, max(FLOOR, 100.0 * use / reference))


def relative_use(
    ctx: Context,
    counts: Counts,
    base: Callable[[DeptInfo, Context], list[ResInfo]],
    describe: Callable[[str, ResInfo, int], str],
    fix: str,
) -> dict[str, Result]:
    """Score each department's use per resource of ``base`` against the median (see the module)."""
    bases = {key: base(dept, ctx) for key, dept in ctx.departments.items()}
    use = {key: sum(counts[(key, r.key)] for r in resources) for key, resources in bases.items() if resources}
    per = {key: n / len(bases[key]) for key, n in use.items()}
    positive = [u for u in per.values() if u > 0]
    if not positive:
        return {}
    reference = statistics.median(positive)
    out = {}
    for key, n in use.items():
        evidence = [
            Evidence("resource", f"{key}.{r.key}", describe(key, r, counts[(key, r.key)]), counts[(key, r.key)] > 0)
            for r in bases[key]
        ]
        summary = f"每资源利用量 {per[key]:.2f}（{n} ÷ {len(bases[key])}），各部门中位数 {reference:.2f}"
        evidence.append(Evidence("catalog", key, summary, per[key] > 0))
        fixes = (Fix(fix),) if n == 0 else ()
        evidence_shown = limit_evidence(evidence, ctx.config.evidence_limit)
        out[key] = Result(n, len(bases[key]), score(per[key], reference), evidence_shown, fixes)
    return out


def _median_rule() -> str:
    return (
        f"每资源利用量 = 利用量 ÷ 资源数；以本期有利用的部门的每资源利用量中位数为参照：无利用得 0 分，"
        f"有利用得 100 × 每资源利用量 ÷ 中位数，最低 {FLOOR:g} 分、最高 100 分；"
    )


def _share_formula(_: ScorecardConfig) -> str:
    return (
        "利用量为本期共享接口成功（2xx）读取本部门资源数据的调用次数，资源数为共享属性不为「不予共享」的资源数；"
        + _median_rule()
        + "无可共享资源的部门不适用"
    )


def served_calls(ctx: Context) -> Counts:
    cl = m.ApiCallLog
    query = (
        sa.select(cl.provider_key, cl.resource_key, sa.func.count())
        .where(cl.called_at >= ctx.start, cl.called_at < ctx.cutoff, cl.status >= 200, cl.status < 300)
        .where(cl.provider_key.is_not(None), cl.resource_key.is_not(None), cl.path.startswith(DATA_PATH))
        .group_by(cl.provider_key, cl.resource_key)
    )
    return Counter({(str(d), str(r)): int(n) for d, r, n in ctx.conn.execute(query)})


def share_use(ctx: Context) -> dict[str, Result]:
    return relative_use(
        ctx,
        served_calls(ctx),
        shareable,
        lambda _, r, n: f"{r.name}（{r.share_type}）：本期共享接口调用 {n} 次",
        "本期各可共享资源均无共享接口调用：在共享目录中写清资源摘要与字段说明，主动向有需要的部门推介，"
        "及时审批共享申请",
    )


def _open_formula(_: ScorecardConfig) -> str:
    return (
        "利用量 = 本期开放数据文件下载次数 + 数据接口（datastore）查询次数 + "
        f"{APP_WEIGHT} × 已审核上架且使用该数据集的开放应用数，资源数为期末前已开放的可开放资源数；"
        + _median_rule()
        + "无已开放资源的部门不适用"
    )


def reads(ctx: Context) -> Counts:
    """Data files downloaded and datastore queries answered (not the dictionary nor checksums)."""
    dl = m.DownloadLog
    query = (
        sa.select(dl.department_key, dl.resource_key, sa.func.count())
        .where(dl.downloaded_at >= ctx.start, dl.downloaded_at < ctx.cutoff, dl.rows.is_not(None))
        .group_by(dl.department_key, dl.resource_key)
    )
    return Counter({(d, r): int(n) for d, r, n in ctx.conn.execute(query)})


def app_counts(ctx: Context) -> Counts:
    """Approved 开放应用 (approved before the cut-off) using each dataset."""
    if "apps" not in ctx.cache:
        app, ad = m.OpenApp, m.OpenAppDataset
        query = (
            sa.select(ad.department_key, ad.resource_key, sa.func.count())
            .join(app, app.id == ad.app_id)
            .where(app.status == "approved", app.reviewed_at < ctx.cutoff)
            .group_by(ad.department_key, ad.resource_key)
        )
        ctx.cache["apps"] = Counter({(d, r): int(n) for d, r, n in ctx.conn.execute(query)})
    return ctx.cache["apps"]  # type: ignore[return-value]


def open_use(ctx: Context) -> dict[str, Result]:
    downloads, apps = reads(ctx), app_counts(ctx)
    counts = Counter({k: downloads[k] + APP_WEIGHT * apps[k] for k in downloads.keys() | apps.keys()})

    def describe(key: str, r: ResInfo, n: int) -> str:
        made = apps[(key, r.key)]
        return f"{r.name}：本期下载与接口查询 {n - APP_WEIGHT * made} 次，开放应用 {made} 个"

    return relative_use(
        ctx,
        counts,
        opened,
        describe,
        "本期已开放数据无下载、无接口查询、无开放应用：完善数据集摘要与字段说明，在开放门户和数据开放大赛中推介，"
        "回应社会的数据需求",
    )


def apps(ctx: Context) -> dict[str, int]:
    """Approved 开放应用 on each department's data (an app using two of its datasets counts once):
    usage shown beside the score."""
    app, ad = m.OpenApp, m.OpenAppDataset
    query = (
        sa.select(ad.department_key, sa.func.count(sa.distinct(ad.app_id)))
        .join(app, app.id == ad.app_id)
        .where(app.status == "approved", app.reviewed_at < ctx.cutoff)
        .group_by(ad.department_key)
    )
    return {k: int(n) for k, n in ctx.conn.execute(query)}


INDICATORS = (
    Indicator("share_use", "共享调用", None, _share_formula, share_use),
    Indicator("open_use", "开放利用", None, _open_formula, open_use),
)
