"""Benchmark: Prefect's overhead on the whole pipeline (issue 8), many small departments.

Setup (timed apart, not compared): N synthetic departments (seeded), each with a catalog file of 3
small resources whose CSV sources hold realistic values (valid USCC and ID check characters made
with gongshu.rules.checkdigits, dates, amounts, enums, names) with a few planted faults (bad check
characters, impossible dates, unknown enum values, missing required values: quarantined; repeated
primary keys: merged; dates and amounts written otherwise: repaired), and varied share/open
attributes (L1 无条件开放 resources are released to the portal, L2 有条件开放 to the restricted area,
L3/L4 are held back; some are 不予共享). Their expectation suites are written once by
gongshu.quality.suites.write_suites and copied into each measurement's home. Then, each in its own
process with a fresh GONGSHU_HOME (SQLite) and the same inputs, the same period and cwd:

  A  core     the stage core functions called directly, sequentially, in the order the flows call
              them: validate_files; compile_catalog and write_suites per department, the run-log
              records, write_exports; collect_resource per resource; cleanse_resource per resource
              and write_department_feedback per department; share_resource per resource and
              overdue_requests; open_resource per resource and build_portal once; the scorecard
              stage's prepare (computed, or the stored version) and publish; the run report. A
              resource failing a stage is skipped by the later ones, as the pipeline does. No
              Prefect is imported.
  B  Prefect  flows.pipeline.pipeline_flow over every department, as `gongshu run` starts it: no
              PREFECT_API_URL, so Prefect's temporary local server (SQLite under $GONGSHU_HOME/prefect,
              telemetry off) and flows.common.local_runs (no flow-run heartbeats), the flows' own task
              runners (GONGSHU_COLLECT_THREADS, GONGSHU_TASK_THREADS: passed through when set).

Both processes import their modules, import Great Expectations and make its context, and migrate
the platform database before their timer (printed apart). B also starts Prefect's temporary server
before its timer (printed apart, and added in the "cold" line: what a first `gongshu run` waits).
Overhead = (B - A) / B of the pipeline's wall time; the target is at most 25 %. Per stage, A's time
is its block of calls; B's is the stage's flow run as the Prefect server recorded it. B counts the
time spent inside artifact calls and inside the core functions by wrapping the names the tasks call
(timing only, nothing else changes), and the tag concurrency-slot acquisitions Prefect makes before
any task run that has tags (none: the tasks carry no tags, see flows/common.py). Both measure the CPU
time of their process over the timed run; B also that of Prefect's server process. Flow runs, task
runs and artifacts are counted from the Prefect API once its counts stop growing (the server writes
task runs from events, after the fact). Both runs must produce the same outcomes and rows, or the
comparison is void (printed).

A and B run --repeat times (default 2), alternating, each in a fresh process and a fresh home; the
fastest run of each is compared (the others are printed): on a shared 2-core machine one run of
either can lose seconds to a neighbour.

    .venv/bin/python bench/pipeline_overhead.py [--departments 100] [--rows 200] [--seed 8] [--keep DIR]
                                                [--only core|prefect] [--repeat 2]

At 100 departments A takes about a minute and a half on 2 cores, B two; --departments 5 is a quick check.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.25
STAGE_ORDER = ("catalog", "collect", "cleanse", "share", "open", "scorecard")
SHANGHAI = dt.timezone(dt.timedelta(hours=8))

# ---- synthetic departments ----------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂红欣浩雪颖"
COUNTIES = ("331002", "331003", "331004", "331081", "331082", "331083", "331022", "331023", "331024")
TOWNS = ("椒江区", "黄岩区", "路桥区", "温岭市", "临海市", "玉环市", "三门县", "天台县", "仙居县")
TRADES = ("机电", "模塑", "缝纫机", "食品", "医药", "汽配", "水泵", "阀门", "塑料", "眼镜", "工艺品", "电子")
STATUS = ["存续", "在业", "注销", "吊销", "迁出"]
LICENSE_KINDS = ["普通", "特许", "认可", "核准", "登记", "其他"]
SUBSIDIES = ["就业补贴", "社保补贴", "培训补贴", "创业补贴", "生活补贴"]
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# (share type, share method, open type, level) per resource kind, drawn per department
ENTERPRISE_ATTRS = [("有条件共享", "接口", "有条件开放", "L2"), ("无条件共享", "接口", "有条件开放", "L2")]
LICENSE_ATTRS = [("无条件共享", "接口", "无条件开放", "L1")] * 4 + [("有条件共享", "接口", "有条件开放", "L2")]
SUBSIDY_ATTRS = [("有条件共享", "文件", "不予开放", "L3"), ("不予共享", None, "不予开放", "L4")]


def _uscc(rng: random.Random, county: str) -> str:
    from gongshu.rules.checkdigits import uscc_check_char

    first = "91" + county + "".join(rng.choice(USCC_CHARS) for _ in range(9))
    return first + uscc_check_char(first)


def _id_card(rng: random.Random, county: str) -> str:
    from gongshu.rules.checkdigits import id_card_check_char

    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55))
    first = f"{county}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first + id_card_check_char(first)


def _wrong_check(code: str) -> str:
    """The same code with another check character: a USCC_CHECKSUM / ID_CARD_CHECKSUM fault."""
    return code[:17] + next(c for c in "0123456789X" if c != code[17])


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _day(rng: random.Random, first: int = 2000, last: int = 2025) -> dt.date:
    return dt.date(first, 1, 1) + dt.timedelta(days=rng.randrange((last - first) * 365))


def _date_text(rng: random.Random, day: dt.date) -> str:
    """ISO mostly; 5 % written 2021年3月4日 or 2021/3/4 (repaired by the cleansing stage)."""
    if rng.random() < 0.05:
        return rng.choice((f"{day.year}年{day.month}月{day.day}日", f"{day.year}/{day.month}/{day.day}"))
    return day.isoformat()


class Faults:
    """Plants at most one rejecting fault in ~4 % of the rows and counts what was planted."""

    def __init__(self, rng: random.Random, rate: float = 0.04):
        self.rng, self.rate, self.rejecting, self.duplicates = rng, rate, 0, 0

    def pick(self, options: list[str]) -> str | None:
        if self.rng.random() >= self.rate:
            return None
        self.rejecting += 1
        return self.rng.choice(options)


def _enterprise(rng: random.Random, faults: Faults, rows: int, county: str) -> list[dict[str, str]]:
    out = []
    for _ in range(rows):
        fault = faults.pick(["uscc", "id", "date", "enum", "required"])
        uscc = _uscc(rng, rng.choice(COUNTIES))
        ident = _id_card(rng, county)
        town = rng.choice(TOWNS)
        capital = rng.choice((50, 100, 300, 500, 1000, 2000)) * rng.choice((1, 1, 1, 1.5))
        status = rng.choices(STATUS, weights=(60, 25, 8, 5, 2))[0]
        status = "在营" if status == "存续" and rng.random() < 0.1 else status  # an alias, repaired
        out.append(
            {
                "统一社会信用代码": _wrong_check(uscc) if fault == "uscc" else uscc,
                "企业名称": "" if fault == "required" else f"台州市{town}{_name(rng)}{rng.choice(TRADES)}有限公司",
                "法定代表人": _name(rng),
                "法定代表人身份证号码": _wrong_check(ident) if fault == "id" else ident,
                "注册资本": f"{capital:g}万元" if rng.random() < 0.05 else f"{capital:g}",
                "成立日期": "2023-02-30" if fault == "date" else _date_text(rng, _day(rng, 1995)),
                "登记状态": "歇业中" if fault == "enum" else status,
            }
        )
    return _with_duplicates(rng, faults, out, "统一社会信用代码")


def _license(rng: random.Random, faults: Faults, rows: int, dept: str) -> list[dict[str, str]]:
    out = []
    for n in range(rows):
        fault = faults.pick(["uscc", "date", "enum", "required"])
        uscc = _uscc(rng, rng.choice(COUNTIES))
        decided = _day(rng, 2018)
        decided_text = "2022-13-01" if fault == "date" else decided.isoformat()
        out.append(
            {
                "行政许可决定文书号": f"台{dept}许〔{decided.year}〕{n + 1:05d}号",
                "行政相对人名称": f"台州市{rng.choice(TOWNS)}{rng.choice(TRADES)}有限公司",
                "统一社会信用代码": _wrong_check(uscc) if fault == "uscc" else uscc,
                "许可类别": "临时" if fault == "enum" else rng.choice(LICENSE_KINDS),
                "许可决定日期": "" if fault == "required" else decided_text,
                "有效期至": _date_text(rng, decided + dt.timedelta(days=365 * rng.choice((1, 3, 5)))),
                "收费金额": "0" if rng.random() < 0.7 else str(rng.choice((50, 100, 200))),
            }
        )
    return _with_duplicates(rng, faults, out, "行政许可决定文书号")


def _subsidy(rng: random.Random, faults: Faults, rows: int, county: str) -> list[dict[str, str]]:
    out = []
    for n in range(rows):
        fault = faults.pick(["id", "date", "enum", "required"])
        ident = _id_card(rng, county)
        out.append(
            {
                "发放流水号": f"BT{county}{n + 1:07d}",
                "姓名": "" if fault == "required" else _name(rng),
                "公民身份号码": _wrong_check(ident) if fault == "id" else ident,
                "补贴项目": "其它补贴" if fault == "enum" else rng.choice(SUBSIDIES),
                "发放金额": f"{rng.randrange(200, 5000)}.{rng.randrange(100):02d}",
                "发放日期": "2024-04-31" if fault == "date" else _date_text(rng, _day(rng, 2023)),
            }
        )
    return _with_duplicates(rng, faults, out, "发放流水号")


def _with_duplicates(rng: random.Random, faults: Faults, rows: list[dict], key: str) -> list[dict]:
    """~1 % of the rows repeat an earlier row's primary key (a later correction: merged, not quarantined)."""
    for i in range(1, len(rows)):
        if rng.random() < 0.01:
            rows[i][key] = rows[rng.randrange(i)][key]
            faults.duplicates += 1
    return rows


def _field(name: str, label: str, kind: str, required: bool = False, **extra: object) -> str:
    """One field as a flow-style YAML line; list values as flow lists, ``aliases`` as written."""
    parts = [f"name: {name}", f"label: {label}", f"kind: {kind}"] + (["required: true"] if required else [])
    for key, value in extra.items():
        parts.append(f"{key}: " + ("[" + ", ".join(value) + "]" if isinstance(value, list) else str(value)))
    return "      - {" + ", ".join(parts) + "}"


RESOURCES = {
    "enterprise": dict(
        name="企业基本信息",
        summary="本部门监管的企业登记基本信息（基准测试合成数据）。",
        category="法人",
        format="数据库",
        update_cycle="每日",
        primary_key="uscc",
        fields=[
            _field("uscc", "统一社会信用代码", "uscc", True),
            _field("company_name", "企业名称", "text", True),
            _field("legal_rep", "法定代表人", "person_name"),
            _field("legal_rep_id", "法定代表人身份证号码", "id_card", level="L4", mask="drop"),
            _field("capital", "注册资本", "amount", unit="万元"),
            _field("founded", "成立日期", "date", True),
            _field("status", "登记状态", "enum", True, values=STATUS, aliases="{存续: [在营, 开业]}"),
        ],
        attrs=ENTERPRISE_ATTRS,
        make=_enterprise,
    ),
    "license": dict(
        name="行政许可信息",
        summary="本部门作出的行政许可决定（双公示，基准测试合成数据）。",
        category="社会信用",
        format="数据库",
        update_cycle="每日",
        primary_key="decision_no",
        fields=[
            _field("decision_no", "行政许可决定文书号", "text", True),
            _field("subject_name", "行政相对人名称", "text", True),
            _field("subject_uscc", "统一社会信用代码", "uscc", True),
            _field("category", "许可类别", "enum", True, values=LICENSE_KINDS),
            _field("decision_date", "许可决定日期", "date", True),
            _field("valid_to", "有效期至", "date"),
            _field("fee", "收费金额", "amount", unit="元"),
        ],
        attrs=LICENSE_ATTRS,
        make=_license,
    ),
    "subsidy": dict(
        name="补贴发放信息",
        summary="本部门发放的各类补贴明细（基准测试合成数据）。",
        category="社会保障",
        format="电子表格",
        update_cycle="每月",
        primary_key="record_no",
        fields=[
            _field("record_no", "发放流水号", "text", True),
            _field("person", "姓名", "person_name", True),
            _field("id_card", "公民身份号码", "id_card", True),
            _field("item", "补贴项目", "enum", True, values=SUBSIDIES),
            _field("amount", "发放金额", "amount", True, unit="元"),
            _field("paid_on", "发放日期", "date", True),
        ],
        attrs=SUBSIDY_ATTRS,
        make=_subsidy,
    ),
}


def make_inputs(folder: Path, departments: int, rows: int, seed: int) -> dict:
    """Catalog files under ``folder/catalogs``, their CSV sources under ``folder/data/<dept>/``."""
    from gongshu.rules.checkdigits import uscc_check_char

    rng = random.Random(seed)
    faults = Faults(rng)
    (folder / "catalogs").mkdir(parents=True, exist_ok=True)
    released = 0
    for i in range(1, departments + 1):
        dept, county = f"d{i:03d}", rng.choice(COUNTIES)
        (folder / "data" / dept).mkdir(parents=True, exist_ok=True)
        first = "11331000" + "".join(rng.choice("0123456789") for _ in range(9))
        lines = [
            f"# synthetic department {i} of {departments} (bench/pipeline_overhead.py, seed {seed})",
            "department:",
            f"  id: {dept}",
            f"  name: 台州市第{i}局",
            f"  uscc: {first + uscc_check_char(first)}",
            f'  region_code: "{county}"',
            "",
            "resources:",
        ]
        for rid, spec in RESOURCES.items():
            share, method, open_type, level = rng.choice(spec["attrs"])
            released += open_type == "无条件开放"
            data = spec["make"](rng, faults, rows, dept if rid == "license" else county)
            path = folder / "data" / dept / f"{rid}.csv"
            with path.open("w", encoding="utf-8", newline="") as out:
                writer = csv.DictWriter(out, fieldnames=list(data[0]))
                writer.writeheader()
                writer.writerows(data)
            share_text = f"{{type: {share}" + (f", method: {method}" if method else "") + "}"
            lines += [
                f"  - id: {rid}",
                f"    name: {spec['name']}",
                f"    summary: {spec['summary']}",
                f"    category: {spec['category']}",
                f"    format: {spec['format']}",
                f"    update_cycle: {spec['update_cycle']}",
                f"    share: {share_text}",
                f"    open: {{type: {open_type}}}",
                f"    level: {level}",
                "    publish_date: 2024-01-15",
                f"    primary_key: [{spec['primary_key']}]",
                "    fields:",
            ]
            lines += spec["fields"]
            lines += [
                "    source:",
                "      kind: csv",
                f"      path: ../data/{dept}/{rid}.csv",
                "      encoding: utf-8",
                "    quality:",
                f"      min_rows: {max(1, rows // 2)}",
                "      max_invalid_ratio: 0.15",
                "",
            ]
        (folder / "catalogs" / f"{dept}.yaml").write_text("\n".join(lines), encoding="utf-8")
    return {
        "departments": departments,
        "resources": departments * len(RESOURCES),
        "rows": departments * len(RESOURCES) * rows,
        "planted_rejecting": faults.rejecting,
        "planted_duplicates": faults.duplicates,
        "unconditionally_open": released,
    }


# ---- the measured children ----------------------------------------------------------------------


def _warm() -> dict:
    """The one-off costs of a process, outside the timers: GX import + context, database migration."""
    started = time.perf_counter()
    from gongshu.quality import gate
    from gongshu.store.db import get_engine

    gate._definition()
    gx = time.perf_counter() - started
    started = time.perf_counter()
    get_engine()
    return {"gx": gx, "database": time.perf_counter() - started}


def _summary(outcomes: list) -> dict:
    """What the run did, by stage: outcome counts and rows, to check that A and B did the same work."""
    out: dict[str, dict] = {}
    for o in outcomes:
        s = out.setdefault(o.stage, {"completed": 0, "failed": 0, "skipped": 0, "rows_in": 0, "rows_out": 0, "q": 0})
        s[o.status] += 1
        s["rows_in"] += o.rows_in or 0
        s["rows_out"] += o.rows_out or 0
        s["q"] += (o.details or {}).get("rows_quarantined", 0) or 0
    errors = sorted({f"{o.stage} {o.department}.{o.resource}: {o.error}"[:300] for o in outcomes if o.error})
    return {"stages_out": out, "errors": errors[:5]}


def child_setup(folder: str) -> dict:
    """Validate the generated catalogs and write their suites (timed apart)."""
    from gongshu.catalog import discover, validate_files
    from gongshu.quality.suites import write_suites

    started = time.perf_counter()
    loaded = validate_files(discover([Path(folder) / "catalogs"]))
    problems = [str(i) for item in loaded for i in item.issues][:10]
    suites = [s for item in loaded if item.catalog for s in write_suites(item.catalog, Path(folder) / "expectations")]
    return {
        "seconds": time.perf_counter() - started,
        "catalogs": len(loaded),
        "invalid": sum(1 for item in loaded if item.errors),
        "issues": problems,
        "suites": sum(s.ok for s in suites),
    }


def child_core(catalogs: str, period: str) -> dict:
    """Measurement A: the core functions, sequentially, as the flows call them; no Prefect."""
    started = time.perf_counter()
    from gongshu import clock
    from gongshu.catalog import discover, validate_files
    from gongshu.catalog.registry import registered
    from gongshu.catalog.stage import compile_catalog, write_exports
    from gongshu.cleanse.deadlines import FixDeadlines
    from gongshu.cleanse.feedback_data import write_department_feedback
    from gongshu.cleanse.stage import cleanse_resource
    from gongshu.clock import current_period
    from gongshu.collect.stage import collect_resource
    from gongshu.open.masking import release_decision
    from gongshu.open.portal import build_portal
    from gongshu.open.stage import open_resource
    from gongshu.quality.suites import write_suites
    from gongshu.runs import Outcome, RunReport, new_run_id, record
    from gongshu.scorecard.stage import configured, prepare, publish
    from gongshu.settings import get_settings
    from gongshu.share.stage import overdue_requests, share_resource
    from gongshu.share.workflow import NEVER
    from gongshu.store.db import get_engine, session_scope

    assert "prefect" not in sys.modules, "measurement A must not import Prefect"
    imports = time.perf_counter() - started
    warm = _warm()
    settings, engine = get_settings(), get_engine()
    home = settings.home
    run_id = new_run_id()
    report = RunReport(run_id=run_id, started_at=clock.now())
    stages: dict[str, float] = {}
    stopped: dict[str, str] = {}

    def log(stage: str, outcomes: list) -> None:
        with session_scope() as session:
            record(session, run_id, outcomes, flow_run_id=None)
        report.outcomes.extend(outcomes)
        for o in outcomes:
            if o.status == "failed" and o.resource and stage != "catalog":
                stopped.setdefault(f"{o.department}.{o.resource}", f"{o.stage} failed: {o.error}")

    def skipped(stage: str, dept: str, rid: str, why: str) -> Outcome:
        now = clock.now()
        return Outcome(stage, dept, rid, "skipped", now, now, reason=f"stopped by an earlier stage: {why}")

    def jobs() -> tuple[list, list]:
        with session_scope(engine) as session:
            cats = registered(session, None)
        return cats, [(c, r.resource) for c in cats for r in c.resources]

    cpu = _cpu()
    t0 = time.perf_counter()
    # catalog
    t = time.perf_counter()
    loaded = validate_files(discover([Path(catalogs)]))
    results = [compile_catalog(item, engine, run_id) for item in loaded]
    for compiled in [r.compiled for r in results if r.compiled is not None]:
        write_suites(compiled.catalog, settings.expectations)
    log("catalog", [o for r in results for o in r.outcomes])
    write_exports(engine, settings.exports_dir)
    stages["catalog"] = time.perf_counter() - t
    # collect
    t = time.perf_counter()
    _, selection = jobs()
    log(
        "collect",
        [collect_resource(engine, c.department.id, res, run_id, catalog_dir=c.path.parent) for c, res in selection],
    )
    stages["collect"] = time.perf_counter() - t
    # cleanse
    t = time.perf_counter()
    cats, selection = jobs()
    outcomes = []
    for c, res in selection:
        why = stopped.get(f"{c.department.id}.{res.id}")
        if why:
            outcomes.append(skipped("cleanse", c.department.id, res.id, why))
            continue
        outcomes.append(
            cleanse_resource(
                engine, c.department.id, res, run_id, expectations_dir=settings.expectations, results_home=home
            )
        )
    feedback_period = current_period()
    cleansed = {o.department for o in outcomes if o.status in ("completed", "failed")}
    config = configured(settings.scorecard_config)  # as tasks.cleanse.fix_deadlines reads it
    deadlines = FixDeadlines(config.work_calendar(), config.issue_fix_days)
    for c in cats:
        if c.department.id in cleansed:
            with session_scope() as session:
                write_department_feedback(session, c.catalog, feedback_period, home, deadlines)
    log("cleanse", outcomes)
    stages["cleanse"] = time.perf_counter() - t
    # share
    t = time.perf_counter()
    _, selection = jobs()
    outcomes = []
    for c, res in selection:
        why = stopped.get(f"{c.department.id}.{res.id}")
        if why and res.share.type != NEVER:
            outcomes.append(skipped("share", c.department.id, res.id, why))
            continue
        outcomes.append(share_resource(engine, c.department.id, res, run_id))
    log("share", outcomes)
    with session_scope() as session:
        overdue_requests(session, clock.now(), providers=None)
    stages["share"] = time.perf_counter() - t
    # open
    t = time.perf_counter()
    _, selection = jobs()
    outcomes = []
    for c, res in selection:
        why = stopped.get(f"{c.department.id}.{res.id}")
        if why and release_decision(res).openable:
            outcomes.append(skipped("open", c.department.id, res.id, why))
            continue
        outcomes.append(open_resource(engine, c.department.id, res, run_id, home=home))
    log("open", outcomes)
    build_portal(engine, home, api_base=settings.api_base)
    stages["open"] = time.perf_counter() - t
    # scorecard
    t = time.perf_counter()
    prepared = prepare(engine, period, configured(settings.scorecard_config), sample=False)  # as the flow does
    publish(engine, prepared, settings.scorecards_dir / period)
    now = clock.now()
    departments = prepared.card.departments
    log("scorecard", [Outcome("scorecard", d.department, None, "completed", now, now) for d in departments])
    stages["scorecard"] = time.perf_counter() - t
    report.finished_at = clock.now()
    report.write(settings.reports_dir / f"{run_id}.json")
    wall = time.perf_counter() - t0
    cpu = _cpu() - cpu
    return {"imports": imports, **warm, "wall": wall, "cpu": cpu, "stages": stages, **_summary(report.outcomes)}


def _cpu() -> float:
    """CPU seconds of this process so far, all threads."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def _children_cpu() -> float:
    """CPU seconds of this process's running child processes (B: Prefect's temporary server), from /proc."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


class _Clock:
    """Seconds spent inside wrapped functions, summed over threads, by label."""

    def __init__(self) -> None:
        self.lock, self.seconds, self.calls = threading.Lock(), {}, {}

    def wrap(self, module: object, name: str, label: str) -> None:
        inner = getattr(module, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started
                with self.lock:
                    self.seconds[label] = self.seconds.get(label, 0.0) + spent
                    self.calls[label] = self.calls.get(label, 0) + 1

        setattr(module, name, timed)


def _prefect_counts(settle: float = 90.0) -> dict:
    """Flow runs, task runs and artifacts the Prefect API holds, once the counts stop growing."""
    from prefect.client.orchestration import get_client

    started = time.perf_counter()
    last, stable_since = None, time.perf_counter()
    with get_client(sync_client=True) as client:
        while True:
            counts = {
                kind: client._client.post(f"/{kind}/count", json={}).json()
                for kind in ("flow_runs", "task_runs", "artifacts")
            }
            if counts != last:
                last, stable_since = counts, time.perf_counter()
            elif time.perf_counter() - stable_since >= 3 or time.perf_counter() - started > settle:
                break
            time.sleep(0.5)
        runs = client.read_flow_runs(limit=200)
    flows = {}
    for r in runs:
        stage = (r.name or "").split(" ")[0]
        if r.start_time and r.end_time:
            flows[stage] = {
                "seconds": (r.end_time - r.start_time).total_seconds(),
                "state": r.state_name,
                "start": r.start_time.timestamp(),
                "end": r.end_time.timestamp(),
            }
    return {**last, "settled_after": stable_since - started, "flow_run_times": flows}


def child_prefect(catalogs: str, period: str) -> dict:
    """Measurement B: the real pipeline_flow through Prefect's temporary local server."""
    started = time.perf_counter()
    import flows  # noqa: F401 - as `gongshu run`: PREFECT_HOME under GONGSHU_HOME, telemetry off
    import tasks.catalog
    import tasks.cleanse
    import tasks.collect
    import tasks.open
    import tasks.runlog
    import tasks.scorecard
    import tasks.share
    from flows.common import local_runs
    from flows.pipeline import pipeline_flow
    from gongshu.open import portal
    from gongshu.runs import new_run_id

    imports = time.perf_counter() - started
    warm = _warm()
    clock = _Clock()
    for module, name, label in [
        (tasks.catalog, "validate_files", "core"),
        (tasks.catalog, "compile_catalog", "core"),
        (tasks.catalog, "write_exports", "core"),
        (tasks.catalog, "write_suites", "core"),
        (tasks.collect, "collect_resource", "core"),
        (tasks.cleanse, "cleanse_resource", "core"),
        (tasks.cleanse, "write_department_feedback", "core"),
        (tasks.share, "share_resource", "core"),
        (tasks.share, "overdue_requests", "core"),
        (tasks.open, "open_resource", "core"),
        (portal, "build_portal", "core"),
        (tasks.scorecard, "prepare", "core"),
        (tasks.scorecard, "publish", "core"),
        (tasks.runlog, "record", "core"),
    ]:
        clock.wrap(module, name, label)
    for module in (tasks.catalog, tasks.collect, tasks.cleanse, tasks.share, tasks.open, tasks.scorecard):
        for name in ("create_table_artifact", "create_markdown_artifact"):
            if hasattr(module, name):
                clock.wrap(module, name, "artifacts")

    import prefect.concurrency._sync as slots

    # a task run with tags asks the server for its tags' concurrency slots before it starts (counted: none)
    clock.wrap(slots, "acquire_concurrency_slots_with_lease", "tag slots")
    from prefect.client.orchestration import get_client

    started = time.perf_counter()
    with get_client(sync_client=True) as client:  # starts the temporary server, as the first flow call would
        client.hello()
    server = time.perf_counter() - started

    cpu, server_cpu = _cpu(), _children_cpu()
    t0 = time.perf_counter()
    with local_runs():  # as `gongshu run` with no PREFECT_API_URL
        state = pipeline_flow(catalogs=catalogs, period=period, run_id=new_run_id(), return_state=True)
    wall = time.perf_counter() - t0
    cpu = _cpu() - cpu
    t_end = time.time()
    report = state.result(raise_on_failure=False)
    if isinstance(report, BaseException):
        raise report
    counts = _prefect_counts()  # the server has written the run's events meanwhile: its CPU includes that
    return {
        "cpu": cpu,
        "server_cpu": _children_cpu() - server_cpu,
        "imports": imports,
        **warm,
        "server_start": server,
        "wall": wall,
        "end": t_end,
        "state": state.name,
        "inside": clock.seconds,
        "inside_calls": clock.calls,
        **counts,
        **_summary(report.outcomes),
    }


CHILDREN = {"setup": child_setup, "core": child_core, "prefect": child_prefect}


# ---- the parent ---------------------------------------------------------------------------------


def run_child(name: str, args: list[str], env: dict, log: Path) -> dict:
    """Run ``name`` in its own process; returns its figures plus the process's wall time and stderr notes."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    spent = time.perf_counter() - started
    log.write_text(out.stderr, encoding="utf-8")
    if out.returncode != 0:
        raise SystemExit(f"{name} failed (exit {out.returncode}):\n{out.stderr[-4000:]}\n{out.stdout[-2000:]}")
    fig = json.loads(out.stdout.strip().splitlines()[-1])
    fig["process"] = spent
    fig["stderr_tracebacks"] = out.stderr.count("Traceback (most recent call last)")
    fig["stderr_lines"] = len(out.stderr.splitlines())
    return fig


def child_env(folder: Path, home: Path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PREFECT_", "GONGSHU_")) or k in ("GONGSHU_TASK_THREADS", "GONGSHU_COLLECT_THREADS")
    }
    env.update(
        GONGSHU_HOME=str(home),
        GONGSHU_EXPECTATIONS=str(home.parent / "expectations"),
        GONGSHU_CATALOGS=str(folder / "catalogs"),
        PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL="WARNING",  # as `gongshu run` without -v
        PYTHONPATH=str(ROOT),
    )
    return env


def fresh_home(folder: Path, label: str) -> Path:
    where = folder / label
    shutil.rmtree(where, ignore_errors=True)
    shutil.copytree(folder / "expectations", where / "expectations")
    (where / "home").mkdir(parents=True)
    return where / "home"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--departments", type=int, default=100)
    ap.add_argument("--rows", type=int, default=200, help="rows per resource (3 resources per department)")
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--keep", type=Path, help="make (or reuse) the inputs and keep both homes in this folder")
    ap.add_argument("--only", choices=("core", "prefect"), help="run one measurement only")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each, alternating; the fastest of each is compared")
    args = ap.parse_args()
    period = f"{dt.datetime.now(SHANGHAI):%Y-%m}"  # this month: the scorecard scores what the run did

    with tempfile.TemporaryDirectory(prefix="gongshu-bench-") as tmp:
        folder = (args.keep or Path(tmp)).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        wanted = {"departments": args.departments, "rows": args.rows, "seed": args.seed}
        setup_file = folder / "setup.json"
        setup = json.loads(setup_file.read_text("utf-8")) if setup_file.exists() else None
        if setup is None or setup.get("wanted") != wanted:
            for stale in ("catalogs", "data", "expectations"):
                shutil.rmtree(folder / stale, ignore_errors=True)
            started = time.perf_counter()
            sys.path.insert(0, str(ROOT))
            inputs = make_inputs(folder, args.departments, args.rows, args.seed)
            made = time.perf_counter() - started
            checked = run_child("setup", [str(folder)], child_env(folder, folder / "setup-home"), folder / "setup.log")
            if checked["invalid"] or checked["suites"] != inputs["resources"]:
                raise SystemExit(f"the generated catalogs are not valid: {checked}")
            setup = {"wanted": wanted, "inputs": inputs, "made": made, "checked": checked}
            setup_file.write_text(json.dumps(setup, ensure_ascii=False), "utf-8")
        inputs, checked = setup["inputs"], setup["checked"]
        print(
            f"pipeline overhead: {inputs['departments']} departments x 3 resources x {args.rows} rows = "
            f"{inputs['rows']:,} source rows ({inputs['planted_rejecting']} rows with a rejecting fault, "
            f"{inputs['planted_duplicates']} repeated keys), {inputs['unconditionally_open']} resources 无条件开放; "
            f"seed {args.seed}; period {period}; {os.cpu_count()} CPU cores; load "
            + ", ".join(f"{v:.2f}" for v in os.getloadavg())
        )
        print(
            f"setup (timed apart): inputs {setup['made']:.1f} s, validation + {checked['suites']} suites "
            f"{checked['seconds']:.2f} s"
            + (f"; catalog warnings: {checked['issues'][:3]}" if checked["issues"] else "")
        )
        runs: dict[str, list[dict]] = {"core": [], "prefect": []}
        for _ in range(max(1, args.repeat)):
            for label in runs:
                if args.only and args.only != label:
                    continue
                home = fresh_home(folder, label)
                load = os.getloadavg()[0]
                fig = run_child(
                    label, [str(folder / "catalogs"), period], child_env(folder, home), folder / f"{label}.stderr.log"
                )
                fig["load"] = (load, os.getloadavg()[0])
                runs[label].append(fig)
        report(args, inputs, {k: v for k, v in runs.items() if v}, folder)


def report(args: argparse.Namespace, inputs: dict, runs: dict[str, list[dict]], folder: Path) -> None:
    """The fastest run of each measurement, compared; every run's wall time listed."""
    figures = {label: min(figs, key=lambda f: f["wall"]) for label, figs in runs.items()}
    a, b = figures.get("core"), figures.get("prefect")
    print("\none-off per process, outside the timings: imports, Great Expectations import + context, DB migration")
    for label, fig in figures.items():
        extra = f", Prefect temporary server start {fig['server_start']:.1f} s" if "server_start" in fig else ""
        once = f"imports {fig['imports']:.1f} s, GX {fig['gx']:.1f} s, database {fig['database']:.1f} s"
        print(f"  {label:<8} {once}{extra}; 1-min load before/after {fig['load'][0]:.2f}/{fig['load'][1]:.2f}")
    print("\nruns (wall s, in the order run; the fastest of each is compared below):")
    for label, figs in runs.items():
        print(f"  {label:<8} " + ", ".join(f"{f['wall']:.1f}" for f in figs))
    b_stages = (b or {}).get("flow_run_times", {})
    print(f"\n  {'stage':<10} {'A core s':>9} {'B Prefect s':>12} {'B-A s':>8} {'B/A':>6}")
    for stage in STAGE_ORDER:
        sa = a["stages"].get(stage) if a else None
        sb = b_stages.get(stage, {}).get("seconds") if b else None
        cells = [f"{sa:9.1f}" if sa is not None else f"{'-':>9}", f"{sb:12.1f}" if sb is not None else f"{'-':>12}"]
        cells += [f"{sb - sa:8.1f}", f"{sb / sa:6.2f}"] if sa is not None and sb is not None else [f"{'-':>8}", " " * 6]
        print(f"  {stage:<10} " + " ".join(cells))
    if a:
        line = f"  {'pipeline':<10} {a['wall']:9.1f}" + (f" {b['wall']:12.1f}" if b else f" {'-':>12}")
        if b:
            line += f" {b['wall'] - a['wall']:8.1f} {b['wall'] / a['wall']:6.2f}"
        print(line)
    if b:
        gaps = b["wall"] - sum(v["seconds"] for k, v in b_stages.items() if k in STAGE_ORDER)
        print(f"  B's pipeline flow outside its stage flows (start, hand-overs, report, end): {gaps:.1f} s")

    if a and b:
        overhead = (b["wall"] - a["wall"]) / b["wall"]
        cold = b["wall"] + b["server_start"]
        print(
            f"\nwall time: A (core, no Prefect) {a['wall']:.1f} s; B (pipeline_flow) {b['wall']:.1f} s; "
            f"B/A {b['wall'] / a['wall']:.2f}; overhead (B-A)/B {overhead:.1%}"
        )
        print(
            f"  cold, as a first `gongshu run` on a fresh home (B + the temporary server's start): {cold:.1f} s, "
            f"overhead {(cold - a['wall']) / cold:.1%}"
        )
        print(
            f"  whole processes, spawn to exit (imports, warm-up, and B's server start and shutdown included): "
            f"A {a['process']:.1f} s, B {b['process']:.1f} s"
        )
    for label, fig in figures.items():
        print(f"\n{label}: outcomes and rows by stage (completed/failed/skipped, rows in -> out, quarantined)")
        for stage in STAGE_ORDER:
            s = fig.get("stages_out", {}).get(stage)
            if s:
                print(
                    f"  {stage:<10} {s['completed']:>4}/{s['failed']}/{s['skipped']:<4} rows {s['rows_in']:>7,} -> "
                    f"{s['rows_out']:>7,}  quarantined {s['q']:,}"
                )
        for error in fig.get("errors", []):
            print(f"  error: {error}")
    if a and b:
        agree = all(fig["stages_out"] == a["stages_out"] for figs in runs.values() for fig in figs)
        print(f"  every run did the same work (same outcomes and row counts per stage): {'yes' if agree else 'NO'}")
    if b:
        print(
            f"\nPrefect's records (counted from its API; settled {b['settled_after']:.1f} s after the run): "
            f"{b['flow_runs']} flow runs, {b['task_runs']} task runs, {b['artifacts']} artifacts; pipeline state "
            f"{b['state']}"
        )
        print(
            f"  B's stderr: {b['stderr_lines']} lines, {b['stderr_tracebacks']} tracebacks "
            f"({folder / 'prefect.stderr.log'}{'' if args.keep else ', deleted with the temporary folder'})"
        )
    if a and b:
        where(a, b)
        overhead = (b["wall"] - a["wall"]) / b["wall"]
        print(
            f"\ntarget: Prefect's overhead at most {TARGET:.0%} of the wall time: {overhead:.1%} "
            f"{'met' if overhead <= TARGET else 'MISSED'} (warm server; nothing tuned for the benchmark)"
        )


def where(a: dict, b: dict) -> None:
    """Where B's extra time goes, from what both measured about themselves."""
    inside, calls = b["inside"], b["inside_calls"]
    extra = b["wall"] - a["wall"]
    print(f"\nwhere B's {extra:.1f} s over A go:")
    print(
        f"  CPU over the timed run: A's process {a['cpu']:.1f} s; B's process {b['cpu']:.1f} s, and Prefect's "
        f"server process {b['server_cpu']:.1f} s more (on the other core: {os.cpu_count()} cores in all)"
    )
    print(
        f"  core functions inside B: {inside.get('core', 0):.1f} s in {calls.get('core', 0)} calls, summed over the "
        f"task threads (collect runs 4 at once, the other stages one; A makes the same calls one by one in "
        f"{sum(a['stages'].values()):.1f} s): each is slower beside the server's work"
    )
    print(
        f"  {b['task_runs']} task runs, each a few milliseconds of Prefect's own work in B's process plus three "
        f"state events the server records; artifacts: {inside.get('artifacts', 0):.1f} s in "
        f"{calls.get('artifacts', 0)} calls; tag-slot acquisitions: {calls.get('tag slots', 0)}"
    )
    print(
        f"  {b['flow_runs']} flow runs: each one's creation and end are calls to the server, which waits behind the "
        "events it has not yet written"
    )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        sys.path.insert(0, str(ROOT))
        print(json.dumps(CHILDREN[sys.argv[2]](*sys.argv[3:]), ensure_ascii=False, default=str))
    else:
        main()
