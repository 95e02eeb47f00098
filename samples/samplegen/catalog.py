"""Read the department catalogs for what the samples need: columns, kinds, enumerations, keys.

Read with the catalog loader's YAML reader (YAML 1.2 scalars, as the validator reads them), without
the full validation: the samples need only a few keys of the format.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gongshu.catalog import yamlpos


@dataclass(frozen=True)
class Field:
    name: str
    column: str
    kind: str
    required: bool
    values: tuple[str, ...]
    aliases: dict[str, tuple[str, ...]]
    unit: str | None

    @property
    def alias_values(self) -> set[str]:
        return {a for spellings in self.aliases.values() for a in spellings}


@dataclass(frozen=True)
class Resource:
    department: str
    id: str
    primary_key: tuple[str, ...]
    fields: tuple[Field, ...]
    source: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.department}/{self.id}"

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.key}: no field {name!r} in the catalog")


def _field(raw: dict[str, Any]) -> Field:
    return Field(
        name=raw["name"],
        column=raw.get("source_column") or raw.get("label") or raw["name"],
        kind=raw["kind"],
        required=bool(raw.get("required", False)),
        values=tuple(raw.get("values") or ()),
        aliases={k: tuple(v) for k, v in (raw.get("aliases") or {}).items()},
        unit=raw.get("unit"),
    )


def load_catalogs(directory: Path) -> dict[str, Resource]:
    """Every resource of every ``*.yaml`` catalog in ``directory``, keyed ``department/resource``."""
    resources: dict[str, Resource] = {}
    for path in sorted(directory.glob("*.yaml")):
        doc = yamlpos.load(path.read_text(encoding="utf-8"))
        dept = doc["department"]["id"]
        for raw in doc["resources"]:
            res = Resource(
                department=dept,
                id=raw["id"],
                primary_key=tuple(raw.get("primary_key") or ()),
                fields=tuple(_field(f) for f in raw["fields"]),
                source=dict(raw.get("source") or {}),
            )
            resources[res.key] = res
    return resources
