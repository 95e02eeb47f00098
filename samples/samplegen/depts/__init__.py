"""One module per department; each lists the ``Spec`` of its resources' sample sources."""

from __future__ import annotations

from ..build import Spec
from . import hyj, jtysj, qxj, rsj, scjgj, slj, wjw, zhzfj

SPECS: tuple[Spec, ...] = (
    *scjgj.SPECS,
    *zhzfj.SPECS,
    *rsj.SPECS,
    *wjw.SPECS,
    *qxj.SPECS,
    *slj.SPECS,
    *hyj.SPECS,
    *jtysj.SPECS,
)
