"""YAML with positions: mappings and sequences that remember the line and column of every key,
value and item, for error messages that point into the file.

Why not ruamel.yaml's round-trip loader, which keeps positions too: it is pure Python and took
~1 s per 20-resource catalog (bench/catalog_compile.py). libyaml's parser through PyYAML's C
loader gives the events with their marks, and the small builder below turns them into values.
Scalars follow the YAML 1.2 core schema (``no``, ``on``, ``yes`` stay strings, unlike YAML 1.1),
plus ISO dates; numbers with a leading zero stay strings so codes keep their zeros.

Why events and not ``yaml.compose``: a catalog is input from many hands, and the composer can be
made to work without bound. Its C implementation recurses once per nesting level (a file of
100,000 ``[`` crashed the process with a segmentation fault), PyYAML's Python one raises
RecursionError, and an alias repeats a node without copying it, so a 4 KB "billion laughs" file
expands to 9^9 values in every consumer downstream. Building from events, the builder keeps its
own stack and refuses, with the line and column, nesting deeper than :data:`MAX_DEPTH`, aliases
that expand past :data:`ALIAS_BUDGET` values, scalars longer than :data:`MAX_SCALAR_CHARS` and
numbers longer than :data:`MAX_NUMBER_CHARS` (Python refuses ``int()`` of more than 4,300 digits).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml import events as ev

MAX_DEPTH = 64
"""Mappings and sequences nested deeper than this are refused (a catalog needs about 6)."""
MAX_SCALAR_CHARS = 20_000
"""A longer key or value is refused (the longest catalog text, a summary, is a few hundred)."""
MAX_NUMBER_CHARS = 100
"""A longer number is refused (the longest catalog code, a USCC, has 18 digits)."""
ALIAS_BUDGET = 20_000
"""Aliases (``*name``) may repeat at most this many values, or as many as the file writes out
when it writes more: enough for every resource of a large catalog to merge a shared block."""

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

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
    code: str = "CATALOG_YAML_SYNTAX"
    """``CATALOG_YAML_LIMIT`` when the file is valid YAML past one of the limits above."""


LIMIT = "CATALOG_YAML_LIMIT"


def _pos(event: ev.Event) -> Position:
    mark = event.start_mark
    assert mark is not None  # the parser marks every event it emits
    return mark.line + 1, mark.column + 1


def load(text: str) -> Any:
    """Parse one YAML document into plain values, YMap and YSeq. Raises :class:`YamlError`."""
    parser = _Loader(text)
    try:
        return _Builder(parser).document()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if exc.context:
            problem = f"{exc.context}: {problem}"
        raise YamlError(problem, mark.line + 1 if mark else None, mark.column + 1 if mark else None) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, other controls)
        line, column = _line_column(text, exc)
        raise YamlError(exc.reason, line, column) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc), None, None) from None
    finally:
        parser.dispose()


def _line_column(text: str, exc: yaml.reader.ReaderError) -> tuple[int | None, int | None]:
    # libyaml reports the offset in the UTF-8 bytes it read; the pure-Python reader in characters
    data = text.encode("utf-8") if hasattr(yaml, "CParser") else text
    before = data[: exc.position]
    newline = b"\n" if isinstance(before, bytes) else "\n"
    start = before.rfind(newline) + 1  # type: ignore[arg-type]
    return before.count(newline) + 1, len(before[start:]) + 1  # type: ignore[arg-type]


class _Frame:
    """A mapping or sequence being built, with what aliases and merges need."""

    __slots__ = ("value", "size", "anchor", "key", "key_pos", "merged")

    def __init__(self, value: YMap | YSeq, anchor: str | None) -> None:
        self.value = value
        self.size = 1  # values in its expanded form, aliases included
        self.anchor = anchor
        self.key: str | None = None  # a mapping's key waiting for its value
        self.key_pos: Position = (0, 0)
        self.merged: list[Any] = []


_MERGE = object()  # the '<<' key


class _Builder:
    def __init__(self, parser: Any) -> None:
        self._parser = parser
        self._anchors: dict[str, tuple[Any, int]] = {}
        self._written = 0  # values written out in the file
        self._repeated = 0  # values repeated by aliases

    def document(self) -> Any:
        parser = self._parser
        parser.get_event()  # stream start
        if parser.check_event(ev.StreamEndEvent):
            return None
        parser.get_event()  # document start
        value = self._node()
        parser.get_event()  # document end
        if not parser.check_event(ev.StreamEndEvent):
            second = parser.peek_event()
            raise YamlError("a catalog file holds one YAML document, but a second one starts here", *_pos(second))
        return value

    def _node(self) -> Any:
        get = self._parser.get_event
        stack: list[_Frame] = []
        while True:
            event = get()
            kind = type(event)
            if kind is ev.ScalarEvent:
                self._written += 1
                value, size, pos = _scalar(event), 1, _pos(event)
                if event.anchor:
                    self._anchors[event.anchor] = (value, 1)
            elif kind is ev.MappingStartEvent or kind is ev.SequenceStartEvent:
                if len(stack) >= MAX_DEPTH:
                    raise YamlError(
                        f"mappings and lists are nested more than {MAX_DEPTH} levels deep here "
                        "(a catalog needs about 6)",
                        *_pos(event),
                        LIMIT,
                    )
                if stack and stack[-1].key is None and isinstance(stack[-1].value, YMap):
                    raise YamlError("a mapping key must be a plain word", *_pos(event))
                self._written += 1
                container: YMap | YSeq
                if kind is ev.MappingStartEvent:
                    container = YMap()
                    container.key_pos, container.value_pos = {}, {}
                else:
                    container = YSeq()
                    container.item_pos = []
                container.line, container.column = _pos(event)
                stack.append(_Frame(container, event.anchor))
                continue
            elif kind is ev.MappingEndEvent or kind is ev.SequenceEndEvent:
                frame = stack.pop()
                value, size = frame.value, frame.size
                pos = (value.line, value.column)
                if frame.merged:
                    assert isinstance(value, YMap)  # merge keys (<<) are only ever read in a mapping
                    _merge(value, frame.merged)
                if frame.anchor:
                    self._anchors[frame.anchor] = (value, size)
            elif kind is ev.AliasEvent:
                pos = _pos(event)
                if event.anchor not in self._anchors:
                    raise YamlError(f"alias '*{event.anchor}' names no anchor '&{event.anchor}' above it", *pos)
                value, size = self._anchors[event.anchor]
                self._repeated += size
                if self._repeated > max(ALIAS_BUDGET, self._written):
                    raise YamlError(
                        f"aliases (*name) repeat more than {max(ALIAS_BUDGET, self._written)} values "
                        "by this point; write the entries out instead of nesting aliases",
                        *pos,
                        LIMIT,
                    )
            else:  # pragma: no cover - the parser yields nothing else inside a document
                raise YamlError(f"unexpected {kind.__name__}", *_pos(event))
            if not stack:
                return value
            self._add(stack[-1], event, value, size, pos)

    @staticmethod
    def _add(frame: _Frame, event: ev.Event, value: Any, size: int, pos: Position) -> None:
        frame.size += size
        out = frame.value
        if isinstance(out, YSeq):
            out.append(value)
            out.item_pos.append(pos)
            return
        if frame.key is None:  # this is a key
            if type(event) is not ev.ScalarEvent:
                raise YamlError("a mapping key must be a plain word", *pos)
            frame.key = _MERGE if event.value == "<<" and event.implicit[0] else event.value  # type: ignore[assignment]
            frame.key_pos = pos
            return
        key, frame.key = frame.key, None
        if key is _MERGE:
            frame.merged += value if isinstance(value, list) else [value]
            if not all(isinstance(v, YMap) for v in frame.merged):
                raise YamlError("'<<' merges mappings only", out.line, out.column)
            return
        if key in out:
            first = out.key_pos[key][0]
            raise YamlError(f"duplicate key '{key}' (first at line {first})", *frame.key_pos)
        out[key] = value
        out.key_pos[key] = frame.key_pos
        out.value_pos[key] = pos


def _merge(out: YMap, sources: list[YMap]) -> None:
    for source in sources:
        for key, value in source.items():
            if key not in out:
                out[key] = value
                out.key_pos[key] = source.key_pos[key]
                out.value_pos[key] = source.value_pos[key]


def _scalar(event: ev.ScalarEvent) -> Any:
    text = event.value
    if len(text) > MAX_SCALAR_CHARS:
        raise YamlError(
            f"a value of {len(text):,} characters is longer than the {MAX_SCALAR_CHARS:,} allowed",
            *_pos(event),
            LIMIT,
        )
    if event.style:  # quoted or block scalars are strings
        return text
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    is_int = _INT.fullmatch(text)
    if is_int or _FLOAT.fullmatch(text):
        if len(text) > MAX_NUMBER_CHARS:
            raise YamlError(
                f"a number of {len(text):,} characters is longer than the {MAX_NUMBER_CHARS} allowed; "
                "quote it if it is text",
                *_pos(event),
                LIMIT,
            )
        return int(text) if is_int else float(text)
    if _DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return text
    return text
