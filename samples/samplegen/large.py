"""Large enterprise_registry-shaped CSV files for benchmarks, generated with numpy in chunks.

Clean values are drawn as whole columns (lookup tables indexed by random integers, check
characters computed on digit matrices); the planted faults, a few percent of the rows, reuse the
scalar mutations of ``faults.py``. Each chunk has its own random stream and is written before the
next is made, so memory stays flat however many rows are asked for.

The fault mix is the registry's (``depts/scjgj.ENTERPRISE_FAULTS``), drawn per row at the same
rates, so the counts are close to the rates but not exact: the manifest records the true counts.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from .catalog import Resource
from .codes import USCC_ALPHABET, USCC_PILOT_CODES, id_check_matrix, uscc_check_matrix
from .depts.scjgj import AUTHORITIES, DEPT_NAME, ENTERPRISE_FAULTS, STATUS_WEIGHTS
from .faults import PK_DUPLICATE, REJECTING, REPAIRABLE, WARNING, mutate
from .taizhou import (
    COUNTIES,
    ENTERPRISE_FORMS,
    GENERIC_INDUSTRIES,
    GIVEN_FEMALE,
    GIVEN_MALE,
    INDUSTRIES,
    MAIL_DOMAINS,
    MOBILE_PREFIXES,
    SHOP_FIRST,
    SHOP_SECOND,
    STREETS,
    SURNAMES,
    TODAY,
    business_scope,
    county_name,
    id_address_code,
)

DEFAULT_CHUNK_ROWS = 100_000
MAX_ROWS = 31**6  # distinct MA2xxxxxx subject codes
EPOCH = np.datetime64("1900-01-01")
DUP_WINDOW = 200  # a duplicate repeats a row at most this many rows earlier (same chunk)

_COPY_ON_DUP = ("uscc", "company_name", "enterprise_type", "legal_rep", "legal_rep_id", "email", "capital",
                "founded", "authority", "address", "scope", "region")  # fmt: skip


def _obj(values: list[Any]) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


class Tables:
    """Lookup tables built once: every clean value is an index into one of them."""

    def __init__(self) -> None:
        self.counties = list(COUNTIES)
        self.weights = np.array([c[2] for c in COUNTIES.values()]) / sum(c[2] for c in COUNTIES.values())
        self.region = _obj(self.counties)
        self.region_digits = np.array([[int(c) for c in code] for code in self.counties], dtype=np.int64)
        # dates as ISO strings, indexed by days since 1900-01-01
        days = np.arange(EPOCH, np.datetime64("2031-01-01"))
        self.iso = _obj(np.datetime_as_string(days, unit="D").tolist())
        self.today = int((np.datetime64(TODAY) - EPOCH).astype(int))
        # ID address code by county and birth year (1900..2030)
        self.id_addr = np.array(
            [[int(id_address_code(c, y)) for y in range(1900, 2031)] for c in self.counties], dtype=np.int64
        )
        # names
        self.surname = _obj([s[0] for s in SURNAMES])
        self.surname_py = _obj([s[1] for s in SURNAMES])
        self.surname_p = np.array([s[2] for s in SURNAMES], dtype=float) / sum(s[2] for s in SURNAMES)
        self.given = {}
        for male, pool in ((True, GIVEN_MALE), (False, GIVEN_FEMALE)):
            pairs = [(a, pa) for a, pa in pool] + [(a + b, pa + pb) for a, pa in pool for b, pb in pool]
            self.given[male] = (_obj([p[0] for p in pairs]), _obj([p[1] for p in pairs]), len(pool))
        self.shop = _obj([a + b for a in SHOP_FIRST for b in SHOP_SECOND])
        # industries: each county's own, then the generic ones
        self.industries = sorted({i for v in INDUSTRIES.values() for i in v} | set(GENERIC_INDUSTRIES))
        index = {name: k for k, name in enumerate(self.industries)}
        self.industry = _obj(self.industries)
        self.scope = _obj([business_scope(i) for i in self.industries])
        self.local = [np.array([index[i] for i in INDUSTRIES[c]]) for c in self.counties]
        self.generic = np.array([index[i] for i in GENERIC_INDUSTRIES])
        self.forms = ENTERPRISE_FORMS
        self.form_p = np.array([f[2] for f in ENTERPRISE_FORMS], dtype=float) / sum(f[2] for f in ENTERPRISE_FORMS)
        self.form_suffix = _obj([f[0] for f in ENTERPRISE_FORMS])
        self.form_kind = _obj([f[1] for f in ENTERPRISE_FORMS])
        self.prefix = np.array(
            [
                [f"台州市{COUNTIES[c][1]}", county_name(c), "台州", "浙江"]
                if c in ("331002", "331003", "331004")
                else [county_name(c), COUNTIES[c][1], "台州", "浙江"]
                for c in self.counties
            ],
            dtype=object,
        )
        self.short = _obj([COUNTIES[c][1] for c in self.counties])
        # addresses: "浙江省台州市<county><town><road>" per county
        self.roads = [
            _obj([f"浙江省台州市{county_name(c)}{t}{r}" for t, roads in STREETS[c].items() for r in roads])
            for c in self.counties
        ]
        self.house = _obj([f"{i}号" for i in range(1000)])
        self.unit = _obj([f"{b}幢{r}{f:02d}室" for b in range(1, 12) for r in range(1, 25) for f in range(1, 6)])
        self.authority = _obj([AUTHORITIES[c] for c in self.counties])
        self.status = _obj(list(STATUS_WEIGHTS))
        self.status_p = np.array(list(STATUS_WEIGHTS.values()), dtype=float) / sum(STATUS_WEIGHTS.values())
        self.capital = _obj(
            [str(c) for c in (3, 10, 30, 50, 100, 100, 200, 300, 500, 500, 800, 1000, 1000, 2000, 3000, 5000, 10000)]
        )
        self.year = _obj([str(y) for y in range(1900, 2031)])
        self.frac = _obj([""] + [("." + f"{i:04d}".rstrip("0")) for i in range(1, 10000)])
        self.mobile_prefix = np.array([int(p) for p in MOBILE_PREFIXES], dtype=np.int64)
        self.domains = _obj(["@" + d for d in MAIL_DOMAINS[1:]])
        self.alphabet = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)


def _str(values: np.ndarray) -> np.ndarray:
    """Integers as an object array of their decimal strings (faster than ``astype(str)``)."""
    return _obj(list(map(str, values.tolist())))


def _ascii_rows(matrix: np.ndarray) -> np.ndarray:
    """An (n, k) matrix of ASCII codes as an object array of str."""
    width = matrix.shape[1]
    return _obj(np.ascontiguousarray(matrix, dtype=np.uint8).view(f"S{width}").ravel().astype(f"U{width}").tolist())


def clean_chunk(t: Tables, rng: np.random.Generator, start: int, n: int) -> dict[str, Any]:
    """``n`` clean registry rows (rows ``start`` .. ``start + n - 1`` of the file), as columns."""
    county = rng.choice(len(t.counties), n, p=t.weights)
    cols: dict[str, Any] = {"region": t.region[county]}

    # 统一社会信用代码: 91 + region + MA2 + 6 characters from a bijection of the row number
    x = (387_420_489 * (start + np.arange(n, dtype=np.int64)) + 12_345) % MAX_ROWS
    subject = np.stack([(x // 31**k) % 31 for k in range(5, -1, -1)], axis=1)
    fixed = np.array([9, 1], dtype=np.int64), np.array([USCC_ALPHABET.index(c) for c in "MA2"])
    values = np.concatenate(
        [np.broadcast_to(fixed[0], (n, 2)), t.region_digits[county], np.broadcast_to(fixed[1], (n, 3)), subject], axis=1
    )
    codes = np.concatenate([t.alphabet[values], uscc_check_matrix(values)[:, None]], axis=1)
    cols["uscc"] = _ascii_rows(codes)

    # name, type, industry, scope
    form = rng.choice(len(t.forms), n, p=t.form_p)
    local = rng.random(n) < 0.7
    industry = t.generic[rng.integers(0, len(t.generic), n)]
    for c, choices in enumerate(t.local):
        here = local & (county == c)
        industry[here] = choices[rng.integers(0, len(choices), here.sum())]
    shop = t.shop[rng.integers(0, len(t.shop), n)]
    suffix = t.form_suffix[form]
    name = t.prefix[county, rng.integers(0, 4, n)] + shop + t.industry[industry] + suffix
    partnership = suffix == "投资合伙企业（有限合伙）"
    name[partnership] = "台州" + shop[partnership] + suffix[partnership]
    branch = suffix == "有限公司分公司"
    name[branch] = (
        "浙江" + shop[branch] + t.industry[industry[branch]] + "有限公司" + t.short[county[branch]] + "分公司"
    )
    cols["company_name"] = name
    cols["enterprise_type"] = t.form_kind[form]
    cols["scope"] = t.scope[industry]

    # 法定代表人 and ID number (address code valid in the birth year, sex in the 17th digit)
    male = rng.random(n) < 0.62
    surname = rng.choice(len(t.surname), n, p=t.surname_p)
    given = np.empty(n, dtype=object)
    given_py = np.empty(n, dtype=object)
    for sex in (True, False):
        rows = male == sex
        names, pinyin, singles = t.given[sex]
        k = np.where(
            rng.random(rows.sum()) < 0.3,
            rng.integers(0, singles, rows.sum()),
            rng.integers(singles, len(names), rows.sum()),
        )
        given[rows], given_py[rows] = names[k], pinyin[k]
    cols["legal_rep"] = t.surname[surname] + given
    birth = np.datetime64("1950-01-01") + rng.integers(0, 49 * 365, n).astype("timedelta64[D]")
    year = birth.astype("M8[Y]").astype(np.int64) + 1970
    month = birth.astype("M8[M]").astype(np.int64) % 12 + 1
    day = (birth - birth.astype("M8[M]")).astype(np.int64) + 1
    home = np.where(rng.random(n) < 0.85, county, rng.choice(len(t.counties), n, p=t.weights))
    addr = t.id_addr[home, year - 1900]
    seq = rng.integers(0, 100, n) * 10 + rng.integers(0, 5, n) * 2 + male
    digits = np.stack(
        [addr // 10**k % 10 for k in range(5, -1, -1)]
        + [year // 10**k % 10 for k in range(3, -1, -1)]
        + [month // 10, month % 10, day // 10, day % 10]
        + [seq // 100, seq // 10 % 10, seq % 10],
        axis=1,
    )
    cols["legal_rep_id"] = _ascii_rows(np.concatenate([digits + 48, id_check_matrix(digits)[:, None]], axis=1))
    cols["_birth_year"] = year

    # phone, e-mail
    number = np.where(
        rng.random(n) < 0.7,
        t.mobile_prefix[rng.integers(0, len(t.mobile_prefix), n)] * 10**8 + rng.integers(0, 10**8, n),
        8 * 10**7 + rng.integers(0, 10**7, n),  # 0576-8xxxxxxx
    )
    phone = _str(number)
    landline = number < 10**8
    phone[landline] = "0576-" + phone[landline]
    cols["phone"] = phone
    draw = rng.random(n)
    email = np.full(n, "", dtype=object)
    qq = (draw >= 0.2) & (draw < 0.6)
    email[qq] = _str(rng.integers(10**5, 4 * 10**9, qq.sum())) + "@qq.com"
    named = draw >= 0.6
    email[named] = (
        t.surname_py[surname[named]] + given_py[named] + t.year[year[named] - 1900]
        + t.domains[rng.integers(0, len(t.domains), named.sum())]
    )  # fmt: skip
    cols["email"] = email

    # 注册资本 (万元): round most of the time, now and then with up to four decimals
    odd = rng.random(n) < 0.1
    units = rng.integers(10**5, 10**8, n)
    capital = t.capital[rng.integers(0, len(t.capital), n)]
    capital[odd] = _str(units[odd] // 10**4) + t.frac[units[odd] % 10**4]
    cols["capital"] = capital

    # dates: founded, approved (days since 1900-01-01)
    first = int((np.datetime64("1993-01-01") - EPOCH).astype(int))
    founded = rng.integers(first, t.today - 30, n)
    approved = founded + (rng.random(n) * (t.today - 1 - founded)).astype(np.int64)
    cols["founded"], cols["approved"] = t.iso[founded], t.iso[approved]

    status = rng.choice(len(t.status), n, p=t.status_p)
    cols["status"] = t.status[status]
    listed = cols["enterprise_type"] == "股份有限公司（上市、自然人投资或控股）"
    cols["authority"] = np.where(listed, DEPT_NAME, t.authority[county])

    road = np.empty(n, dtype=object)
    for c, roads in enumerate(t.roads):
        here = county == c
        road[here] = roads[rng.integers(0, len(roads), here.sum())]
    address = road + t.house[rng.integers(1, 999, n)]
    detail = rng.random(n) < 0.3
    address[detail] = address[detail] + t.unit[rng.integers(0, len(t.unit), detail.sum())]
    cols["address"] = address
    return cols


def _canonical(kind: str, text: str) -> Any:
    """The clean value a mutation starts from, back from its CSV text."""
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind == "amount":
        return Decimal(text)
    return text or None


def _quote(value: Any) -> str:
    text = "" if value is None else str(value)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def plant_faults(
    res: Resource, cols: dict[str, Any], rng: np.random.Generator, pyrng: random.Random, first_chunk: bool
) -> dict[str, int]:
    """Plant the registry's fault mix into one chunk's columns; return the count of each code."""
    n = len(cols["uscc"])
    faults = {f.code: f for f in ENTERPRISE_FAULTS}
    counts: dict[str, int] = {}
    masks: dict[str, np.ndarray] = {}

    # rejecting: one code a row, drawn at the codes' rates
    rejecting = [f for f in ENTERPRISE_FAULTS if f.code in REJECTING]
    edges = np.cumsum([f.rate for f in rejecting])
    draw = rng.random(n)
    which = np.searchsorted(edges, draw, side="right")
    for k, f in enumerate(rejecting):
        masks[f.code] = which == k
    rejected = which < len(rejecting)

    # warnings: 15-digit numbers of people born by 1983; the two pilot codes once, in the first chunk
    old = cols["_birth_year"] <= 1983
    legacy = faults["ID_CARD_LEGACY15"]
    p = legacy.rate * n / max(1, (old & ~rejected).sum())
    masks["ID_CARD_LEGACY15"] = ~rejected & old & (rng.random(n) < p)
    pilot = np.zeros(n, dtype=bool)
    if first_chunk:
        free = np.flatnonzero(~rejected & ~masks["ID_CARD_LEGACY15"])
        pilot[rng.choice(free, min(len(free), faults["USCC_PILOT"].count or 0), replace=False)] = True
    masks["USCC_PILOT"] = pilot
    warned = masks["ID_CARD_LEGACY15"] | pilot

    # duplicates: a clean row repeats a clean row shortly before it, with its own status/phone/approved
    clean = ~rejected & ~warned
    candidate = clean & (rng.random(n) < faults[PK_DUPLICATE].rate)
    source = np.flatnonzero(candidate) - rng.integers(1, DUP_WINDOW, candidate.sum())
    dups = np.flatnonzero(candidate)
    ok = source >= 0
    dups, source = dups[ok], source[ok]
    ok = clean[source] & ~candidate[source]
    dups, source = dups[ok], source[ok]
    _, first = np.unique(source, return_index=True)
    dups, source = dups[first], source[first]
    for name in _COPY_ON_DUP:
        cols[name][dups] = cols[name][source]
    masks[PK_DUPLICATE] = np.zeros(n, dtype=bool)
    masks[PK_DUPLICATE][dups] = True
    replaced = np.zeros(n, dtype=bool)
    replaced[source] = True

    # repairable: on rows that are loaded and not replaced, at the rates of all rows
    loaded = ~rejected & ~replaced
    eligible = {
        "FULLWIDTH": loaded & ~pilot,
        "NULL_TOKEN": loaded & (cols["email"] == ""),
        "ENUM_ALIAS": loaded & np.isin(cols["status"], list(res.field("status").aliases)),
    }
    for f in (f for f in ENTERPRISE_FAULTS if f.code in REPAIRABLE):
        pool = eligible.get(f.code, loaded)
        masks[f.code] = pool & (rng.random(n) < min(1.0, f.rate * n / max(1, pool.sum())))

    # put the faults in (a few percent of the rows: scalar mutations are fast enough)
    for f in ENTERPRISE_FAULTS:
        rows = np.flatnonzero(masks[f.code])
        counts[f.code] = len(rows)
        if f.code == PK_DUPLICATE:
            continue
        field = res.field(f.field)
        column = cols[f.field]
        for occurrence, i in enumerate(rows):
            if f.code == "USCC_PILOT":
                column[i] = USCC_PILOT_CODES[occurrence % len(USCC_PILOT_CODES)]
                continue
            value = _canonical(field.kind, column[i])
            column[i] = _quote(mutate(f, field, value, "text", pyrng, occurrence))
    return counts


def write_large(out: Path, res: Resource, rows: int, seed: int, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> dict[str, Any]:
    """Write ``out/enterprise_registry.csv``; return its manifest (counts only)."""
    if not 0 < rows <= MAX_ROWS:
        raise ValueError(f"rows must be between 1 and {MAX_ROWS:,}")
    tables = Tables()
    names = [f.name for f in res.fields]
    totals = {f.code: 0 for f in ENTERPRISE_FAULTS}
    path = out / "enterprise_registry.csv"
    with path.open("wb") as fh:
        fh.write((",".join(f.column for f in res.fields) + "\n").encode("utf-8"))
        for chunk, start in enumerate(range(0, rows, chunk_rows)):
            n = min(chunk_rows, rows - start)
            rng = np.random.default_rng([seed, chunk])
            cols = clean_chunk(tables, rng, start, n)
            counts = plant_faults(res, cols, rng, random.Random(f"{seed}/large/{chunk}"), chunk == 0)
            for code, count in counts.items():
                totals[code] += count
            lines = map(",".join, zip(*(cols[name].tolist() for name in names), strict=True))
            fh.write(("\n".join(lines) + "\n").encode("utf-8"))
    quarantined = sum(totals[c] for c in totals if c in REJECTING)
    merged = totals[PK_DUPLICATE]
    faults = {
        f.code: {"count": totals[f.code], "field": f.field or ",".join(res.primary_key)} for f in ENTERPRISE_FAULTS
    }
    return {
        "seed": seed,
        "resources": {
            res.key: {
                "source": path.name,
                "kind": "csv",
                "encoding": "utf-8",
                "rows": rows,
                "chunk_rows": chunk_rows,
                "primary_key": list(res.primary_key),
                "faults": faults,
                "expected": {
                    "rows_in": rows,
                    "quarantined": quarantined,
                    "merged": merged,
                    "loaded": rows - quarantined - merged,
                    "warnings": sum(totals[c] for c in totals if c in WARNING),
                },
            }
        },
    }
