"""YAML with positions: mappings and sequences that remember the line and column of every key,
value and item, for error messages that point into the file.

Why not ruamel.yaml's round-trip loader, which keeps positions too: it is pure Python and took
~1 s per 20-resource catalog (bench/catalog_compile.py); libyaml's composer through PyYAML builds
the same node tree with marks ~20× faster, and the small constructor below turns nodes into
values. Scalars follow the YAML 1.2 core schema (``no``, ``on``, ``yes`` stay strings, unlike
YAML 1.1), plus ISO dates; numbers with a leading zero stay strings so codes keep their zeros.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import yaml

_MERGE = "tag:yaml.org,2002:merge"


class _ComposeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's composer without PyYAML's YAML 1.1 tag guessing (half the time of composing):
    :func:`_scalar` resolves plain scalars by the YAML 1.2 core schema instead."""

    def resolve(self, kind, value, implicit):  # noqa: ANN001, ANN201
        if kind is yaml.ScalarNode:
            return _MERGE if value == "<<" and implicit[0] else "tag:yaml.org,2002:str"
        return "tag:yaml.org,2002:seq" if kind is yaml.SequenceNode else "tag:yaml.org,2002:map"


_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+\.[0-9]*)([eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

Position = tuple[int, int]  # 1-based line and column


class YMap(dict):
    """A mapping that knows where it, each key and each value start in the file."""

    line: int
    column: int
    key_pos: dict[str, Position]
    value_pos: dict[str, Position]


class YSeq(list):
    """A sequence that knows where it and each item start in the file."""

    line: int
    column: int
    item_pos: list[Position]


@dataclass
class YamlError(Exception):
    problem: str
    line: int | None
    column: int | None


def _pos(node: yaml.Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


def load(text: str) -> Any:
    """Parse one YAML document into plain values, YMap and YSeq. Raises :class:`YamlError`."""
    try:
        node = yaml.compose(text, Loader=_ComposeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if exc.context:
            problem = f"{exc.context}: {problem}"
        raise YamlError(problem, mark.line + 1 if mark else None, mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc), None, None) from None
    return None if node is None else _Builder().build(node)


class _Builder:
    def __init__(self) -> None:
        self._memo: dict[int, Any] = {}

    def build(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        if id(node) in self._memo:  # an alias of a node already built
            return self._memo[id(node)]
        if isinstance(node, yaml.SequenceNode):
            seq = YSeq()
            self._memo[id(node)] = seq
            seq.line, seq.column = _pos(node)
            seq.item_pos = [_pos(item) for item in node.value]
            seq.extend(self.build(item) for item in node.value)
            return seq
        return self._mapping(node)

    def _mapping(self, node: yaml.MappingNode) -> YMap:
        out = YMap()
        self._memo[id(node)] = out
        out.line, out.column = _pos(node)
        out.key_pos, out.value_pos = {}, {}
        merged: list[YMap] = []
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError("a mapping key must be a plain word", *_pos(key_node))
            key = key_node.value
            if key == "<<" and key_node.tag == _MERGE:
                value = self.build(value_node)
                merged += value if isinstance(value, list) else [value]
                continue
            if key in out:
                first = out.key_pos[key][0]
                raise YamlError(f"duplicate key '{key}' (first at line {first})", *_pos(key_node))
            out[key] = self.build(value_node)
            out.key_pos[key] = _pos(key_node)
            out.value_pos[key] = _pos(value_node)
        for source in merged:
            if not isinstance(source, YMap):
                raise YamlError("'<<' merges mappings only", out.line, out.column)
            for key, value in source.items():
                if key not in out:
                    out[key] = value
                    out.key_pos[key] = source.key_pos[key]
                    out.value_pos[key] = source.value_pos[key]
        return out


def _scalar(node: yaml.ScalarNode) -> Any:
    text = node.value
    if node.style:  # quoted or block scalars are strings
        return text
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return text
    return text
