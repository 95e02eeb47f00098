"""平台运行: what the platform itself did not run in a period, for the administrator. The indicators
record every due window in which the platform attempted no run of a stage for a resource
(:class:`~.model.PlatformGap`): such a window is charged to no department. The site, the workbook
and the Prefect artifact show them here, one line per stage, the windows listed in order."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Scorecard

STAGE_NAMES = {
    "catalog": "目录编制",
    "collect": "数据归集",
    "cleanse": "数据治理",
    "share": "数据共享",
    "open": "数据开放",
}
"""The stages a scorecard speaks of, in pipeline order, by their Chinese names."""
NOT_RAN = "本期平台未运行应运行的环节：不对任何部门扣分，本期不作排名。"
WINDOWS_SHOWN = 31
"""Windows listed one by one per stage (a month's working days fit); the rest are counted."""


@dataclass(frozen=True)
class PlatformLine:
    stage: str
    """The stage's Chinese name (数据归集)."""
    windows: tuple[str, ...]
    """The windows' labels, in order, at most :data:`WINDOWS_SHOWN`."""
    more: int
    """Windows not listed."""
    resources: int
    """The most resources left unattempted in any one window."""
    departments: tuple[str, ...]

    def text(self) -> str:
        listed = "、".join(self.windows) + (f" 等 {len(self.windows) + self.more} 个周期" if self.more else "")
        return (
            f"{self.stage}：{listed} 平台未运行（每个周期最多 {self.resources} 个资源未归入运行；"
            f"涉及部门：{'、'.join(self.departments)}），不计入部门得分"
        )


def platform_lines(card: Scorecard, names: dict[str, str] | None = None) -> list[PlatformLine]:
    """One line per stage with windows the platform did not attempt, stages in pipeline order.
    ``names``: department id → name (default: the scorecard's own departments)."""
    names = names or {d.department: d.name for d in card.departments}
    out = []
    for stage, label in STAGE_NAMES.items():
        gaps = [g for g in card.platform if g.stage == stage]
        if not gaps:
            continue
        depts = sorted({d for g in gaps for d in g.departments})
        out.append(
            PlatformLine(
                stage=label,
                windows=tuple(g.window for g in gaps[:WINDOWS_SHOWN]),
                more=max(0, len(gaps) - WINDOWS_SHOWN),
                resources=max(g.resources for g in gaps),
                departments=tuple(names.get(d, d) for d in depts),
            )
        )
    return out
