"""What the catalogs say the deployments' schedules must be. ``prefect.yaml`` is the reviewed data that
Prefect reads; this module derives from the catalogs' 更新周期 what it has to contain, and
tests/flows/test_deployments.py compares the two, so a catalog change that needs a new schedule fails
a test instead of going unnoticed. (No Prefect import here.)

- collection runs at the pace of the most frequent 更新周期 among resources with a source (a daily
  collection of a monthly resource is a no-op: the same content is never collected twice);
- resources updated 实时 are also collected hourly outside the nightly window;
- cleanse, share and open follow the previous stage by event triggers, not by guessed times;
- the scorecard ranks the previous month on the 1st; the catalog is compiled every night.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gongshu.catalog import Catalog, discover, load_catalog

TIMEZONE = "Asia/Shanghai"
WORK_POOL = "gongshu-process"
NIGHTLY_COLLECT_AT = "0 1"  # minute hour: after the catalog compile at 00:30
CYCLE_CRONS: dict[str, str] = {
    # the cron that collects often enough for a resource of this 更新周期 (windows as the scorecard counts them)
    "实时": f"{NIGHTLY_COLLECT_AT} * * *",
    "每日": f"{NIGHTLY_COLLECT_AT} * * *",
    "每周": f"{NIGHTLY_COLLECT_AT} * * 1",
    "每月": f"{NIGHTLY_COLLECT_AT} 1 * *",
    "每季度": f"{NIGHTLY_COLLECT_AT} 1 1,4,7,10 *",
    "每半年": f"{NIGHTLY_COLLECT_AT} 1 1,7 *",
    "每年": f"{NIGHTLY_COLLECT_AT} 1 1 *",
}
"""不定期 has no cron: nothing is ever due, so it never sets the pace."""
CYCLE_ORDER = list(CYCLE_CRONS)  # most frequent first
REALTIME_CRON = "15 3-23 * * *"  # hourly, but 00:00-03:00 is the nightly compile's and collection's
CATALOG_CRON = "30 0 * * *"
SCORECARD_CRON = "0 6 1 * *"  # the 1st at 06:00: the previous month, after the night's stages

FOLLOWS: dict[str, tuple[str, tuple[str, ...]]] = {
    # deployment: (the flow it follows, the deployments of that flow whose runs it follows)
    "cleanse-after-collect": ("collect", ("collect-nightly", "collect-realtime")),
    "share-after-cleanse": ("cleanse", ("cleanse-after-collect",)),
    "open-after-share": ("share", ("share-after-cleanse",)),
}
"""A stage runs when a run of the previous stage's deployment ends Completed or Failed (a stage ends
Failed when one resource failed, after finishing all others: theirs go on). A pipeline run's stage
subflows belong to no deployment, so they never fire these triggers."""
FINISHED_EVENTS = ("prefect.flow-run.Completed", "prefect.flow-run.Failed")
PASSED_ON = ("departments", "resources")
"""Parameters a triggered stage takes over from the run it follows (the same selection)."""


@dataclass(frozen=True)
class Expected:
    """What one deployment's schedules (crons, in TIMEZONE) and fixed parameters must be."""

    crons: tuple[str, ...]
    parameters: dict


def load_catalogs(folder: Path) -> list[Catalog]:
    catalogs = []
    for path in discover([folder]):
        loaded = load_catalog(path)
        if loaded.catalog is None:
            raise ValueError(f"{path}: {'; '.join(str(i) for i in loaded.errors)}")
        catalogs.append(loaded.catalog)
    return catalogs


def collect_cron(catalogs: list[Catalog]) -> str | None:
    """collect-nightly's cron: the pace of the most frequent 更新周期 among resources with a source
    (every night when any is 每日 or 实时; None when all are 不定期)."""
    cycles = {r.update_cycle for c in catalogs for r in c.resources if r.source is not None}
    paced = [cycle for cycle in CYCLE_ORDER if cycle in cycles]
    return CYCLE_CRONS[paced[0]] if paced else None


def realtime_resources(catalogs: list[Catalog]) -> list[str]:
    """``dept.resource`` of every 实时 resource with a source, sorted."""
    return sorted(
        f"{c.department.id}.{r.id}"
        for c in catalogs
        for r in c.resources
        if r.update_cycle == "实时" and r.source is not None
    )


def expected_schedules(catalogs: list[Catalog]) -> dict[str, Expected]:
    """The deployments that must have schedules, by name. Deployments not named here run on triggers
    or by hand and must have none."""
    expected = {
        "catalog-nightly": Expected((CATALOG_CRON,), {}),
        "scorecard-monthly": Expected((SCORECARD_CRON,), {}),
    }
    cron = collect_cron(catalogs)
    if cron:
        expected["collect-nightly"] = Expected((cron,), {})
    realtime = realtime_resources(catalogs)
    if realtime:
        expected["collect-realtime"] = Expected((REALTIME_CRON,), {"resources": realtime})
    return expected


def trigger_parameters() -> dict[str, str]:
    """The parameters of a triggered stage: the selection of the run it follows (Jinja, rendered by
    Prefect's server from the triggering flow run; a missing parameter renders as null)."""
    return {name: f"{{{{ flow_run.parameters.get('{name}') }}}}" for name in PASSED_ON}
