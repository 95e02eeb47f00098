"""The city the samples describe: pools shared by several resources, made once per seed.

Resources of different departments name the same enterprises (the registry, licences, penalties,
insured employers ...), so that joins across departments find each other as in real data.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import cached_property
from typing import Any

from .taizhou import Enterprise, enterprise

ENTERPRISES = 900


class World:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._pools: dict[str, Any] = {}

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}/pool/{name}")

    @cached_property
    def enterprises(self) -> list[Enterprise]:
        rng, taken = self.rng("enterprises"), set()
        return [enterprise(rng, taken) for _ in range(ENTERPRISES)]

    def pool(self, name: str, make: Callable[[random.Random], Any]) -> Any:
        """A pool made once by ``make`` from its own random stream (e.g. the fishing fleet)."""
        if name not in self._pools:
            self._pools[name] = make(self.rng(name))
        return self._pools[name]
