"""YAML parser events -> plain data with positions, within limits on nesting, aliases and tags.

Building from the parser's events, with an explicit stack, instead of from a composed node
tree keeps every limit in one pass that never recurses: nesting is counted as it opens, an
alias is charged the size of its whole value when it is used, and a tag is refused where it
stands. PyYAML's composer would recurse once per level (a RecursionError at ~1,000 levels),
would register an anchor before its value is complete (so ``&a [*a]`` is a cycle), and
cannot tell an alias bomb from a small file until the data is built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from mesh_dagster.spec.errors import FieldPath, SpecProblem, format_path
from mesh_dagster.spec.printable import printable

MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences in a spec file (a spec needs about five)."""

MAX_VALUES = 100_000
"""Most values (scalars, mappings, sequences) in a document, an alias counting its whole
value each time it is used. A spec has a few hundred; a 300-byte alias bomb would have a
billion. 100,000 values are read and validated in well under a second."""

_CORE = "tag:yaml.org,2002:"
_STR, _NULL, _MERGE, _VALUE = (f"{_CORE}{name}" for name in ("str", "null", "merge", "value"))
_MAP, _SEQ = f"{_CORE}map", f"{_CORE}seq"
_SCALAR_KINDS = {
    f"{_CORE}bool": "true or false",
    f"{_CORE}int": "an integer",
    f"{_CORE}float": "a number",
    f"{_CORE}timestamp": "a date or time",
}
_CORE_SCALAR_TAGS = {_STR, _NULL, *(tag for tag in _SCALAR_KINDS if "timestamp" not in tag)}
_NO_TAG = (None, "!")  # "!" is YAML's non-specific tag: resolved like no tag at all
Where = tuple[int, int]
"""A line and column, 1-based."""
_KEY = object()  # what a mapping frame's key is while its next key has not been read


class YamlLimitError(Exception):
    """Raised to stop reading a document that breaks a limit; carries the one problem."""

    def __init__(self, problem: SpecProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def nesting_problem(file: str, where: Where) -> SpecProblem:
    """Return the problem of a document nested deeper than MAX_DEPTH, located at ``where``."""
    return SpecProblem(
        file,
        *where,
        "",
        f"YAML nested deeper than {MAX_DEPTH} levels.",
        "A spec needs a few levels; look for a runaway bracket or indentation.",
    )


@dataclass
class _Frame:
    """One open mapping or sequence: its value so far and where it sits."""

    value: dict[str, Any] | list[Any]
    path: FieldPath | None  # None inside a value that is dropped (a bad or repeated key)
    anchor: str | None
    start: int  # values counted before this one opened
    where: Where
    key: Any = _KEY
    key_path: FieldPath | None = None
    first_seen: dict[Any, int] = field(default_factory=dict)


@dataclass
class _Anchor:
    value: Any
    size: int
    scalar: bool
    line: int


@dataclass
class BuiltDocument:
    """The first non-empty document of a stream, as plain data, and what was wrong in it."""

    data: Any
    problems: list[SpecProblem]
    complete: bool
    """False when some value was replaced or dropped because of a problem."""
    empty: bool


class DocumentBuilder:
    """Feeds on parser events; records positions into ``positions``; enforces the limits."""

    def __init__(self, file: str, positions: dict[FieldPath, tuple[int, int]]) -> None:
        self.file = file
        self.positions = positions
        self.problems: list[SpecProblem] = []
        self.complete = True
        self._stack: list[_Frame] = []
        self._anchors: dict[str, _Anchor] = {}
        self._count = 0
        self._root: Any = None
        self._has_root = False
        self._resolver = Resolver()
        self._constructor = SafeConstructor()
        self._handlers: dict[type[Event], Callable[[Any], None]] = {
            ScalarEvent: self._scalar,
            MappingStartEvent: self._start,
            SequenceStartEvent: self._start,
            MappingEndEvent: self._end,
            SequenceEndEvent: self._end,
            AliasEvent: self._alias,
            DocumentStartEvent: self._document,
        }

    def build(self, events: Iterable[Event]) -> BuiltDocument:
        """Return the document the events describe; raise YamlLimitError past a limit.

        The parser's own errors (yaml.YAMLError) pass through.
        """
        handlers = self._handlers
        for event in events:
            handler = handlers.get(type(event))
            if handler is not None:
                handler(event)
        return BuiltDocument(self._root, self.problems, self.complete, not self._has_root)

    # Events ------------------------------------------------------------------------------

    def _document(self, event: DocumentStartEvent) -> None:
        self._anchors = {}  # anchors belong to one document

    def _scalar(self, event: ScalarEvent) -> None:
        where = _where(event)
        path = self._open_node(where, event.anchor)
        tag, value = self._scalar_value(event, where, path)
        if tag == _MERGE:
            self._problem(
                where,
                self._parent_path(),
                "YAML merge keys ('<<') are not supported.",
                "Write the fields out in full (an alias '*name' may repeat a whole value); "
                "quote '<<' to mean the text.",
            )
        self._count_values(1, where)
        if event.anchor is not None:
            self._anchors[event.anchor] = _Anchor(value, 1, True, where[0])
        self._close_node(value, where, scalar=True, null=tag == _NULL)

    def _start(self, event: MappingStartEvent | SequenceStartEvent) -> None:
        where = _where(event)
        mapping = isinstance(event, MappingStartEvent)
        path = self._open_node(where, event.anchor)
        if event.tag not in _NO_TAG and event.tag != (_MAP if mapping else _SEQ):
            self._tag_problem(where, path, event.tag)
        if not self._stack:
            self._note_root(where)
        if len(self._stack) >= MAX_DEPTH:
            raise YamlLimitError(nesting_problem(self.file, where))
        start = self._count
        self._count_values(1, where)
        value: dict[str, Any] | list[Any] = {} if mapping else []
        self._stack.append(_Frame(value, path, event.anchor, start, where))

    def _end(self, event: MappingEndEvent | SequenceEndEvent) -> None:
        frame = self._stack.pop()
        if frame.anchor is not None:
            size = self._count - frame.start
            self._anchors[frame.anchor] = _Anchor(frame.value, size, False, frame.where[0])
        self._close_node(frame.value, frame.where, scalar=False, null=False)

    def _alias(self, event: AliasEvent) -> None:
        where = _where(event)
        name = event.anchor or ""
        path = self._open_node(where, None)
        anchor = self._anchors.get(name)
        if anchor is None:
            if any(frame.anchor == name for frame in self._stack):
                shown = printable(name, 40)
                message = f"invalid YAML: the alias '*{shown}' is inside the value it repeats."
                hint = None
            else:
                message = "invalid YAML: a value that starts with '*' must be quoted."
                hint = 'For example cron: "0 * * * *".'
            self._problem(where, path or self._parent_path(), message, hint)
            self._close_node(None, where, scalar=True, null=False)
            return
        self._count_values(anchor.size, where)
        # Shared, not copied (as yaml.safe_load does): the data is only read from here on.
        self._close_node(anchor.value, where, scalar=anchor.scalar, null=False)

    # Building ----------------------------------------------------------------------------

    def _open_node(self, where: Where, anchor: str | None) -> FieldPath | None:
        """Return the path of the value starting at ``where`` (None for a key), noting it."""
        if anchor is not None and anchor in self._anchors:
            first = self._anchors[anchor].line
            self._problem(
                where,
                self._parent_path(),
                f"invalid YAML: the anchor '&{printable(anchor, 40)}' is already defined on "
                f"line {first}.",
                "Give each anchor its own name.",
            )
        if not self._stack:
            path: FieldPath | None = ()
        else:
            parent = self._stack[-1]
            if isinstance(parent.value, list):
                path = None if parent.path is None else (*parent.path, len(parent.value))
            elif parent.key is _KEY:
                return None
            else:
                path = parent.key_path
        if path is not None and path not in self.positions:
            self.positions[path] = where
        return path

    def _close_node(self, value: Any, where: Where, *, scalar: bool, null: bool) -> None:
        """Put a complete value where it belongs: the root, a list, a key or a key's value."""
        if not self._stack:
            if scalar and not null:
                self._note_root(where)  # a mapping or sequence was noted when it opened
            if not null:
                self._root = value
            return
        parent = self._stack[-1]
        if isinstance(parent.value, list):
            parent.value.append(value)
        elif parent.key is _KEY:
            self._take_key(parent, value, where, scalar)
        else:
            if parent.key_path is not None:
                parent.value[str(parent.key)] = value
            parent.key, parent.key_path = _KEY, None

    def _take_key(self, parent: _Frame, key: Any, where: Where, scalar: bool) -> None:
        parent.key = key
        if parent.path is None:
            return
        if not scalar or key is None:
            self.problems.append(self._at(where, parent.path, "mapping keys must be plain names."))
            return
        key_path = (*parent.path, str(key))
        line = where[0]
        if key in parent.first_seen:
            self.problems.append(
                self._at(
                    where,
                    key_path,
                    f"duplicate key '{key}' (first defined on line {parent.first_seen[key]}).",
                    "Remove one of them: YAML would silently keep only the last.",
                )
            )
            return
        parent.first_seen[key] = line
        self.positions[key_path] = where
        parent.key_path = key_path

    def _scalar_value(
        self, event: ScalarEvent, where: Where, path: FieldPath | None
    ) -> tuple[str, Any]:
        """Return the scalar's tag and its value; a tag or value problem is noted."""
        text: str = event.value
        tag = event.tag
        if tag in _NO_TAG:
            tag = self._resolver.resolve(ScalarNode, text, event.implicit)  # type: ignore[no-untyped-call]
        elif tag not in _CORE_SCALAR_TAGS:
            self._tag_problem(where, path, tag)
            return _STR, text
        if tag in (_STR, _VALUE, _MERGE):  # YAML 1.1's '=' value key is plain text in 1.2
            return tag, text
        if tag == _NULL:
            return tag, None
        try:
            value = self._constructor.yaml_constructors[tag](
                self._constructor, ScalarNode(tag, text)
            )
        except (ValueError, OverflowError, TypeError):
            self._problem(
                where,
                path or self._parent_path(),
                f"cannot read this value as {_SCALAR_KINDS.get(tag, 'its type')}.",
                "Quote it to keep it as text.",
            )
            return _STR, text
        # YAML 1.1 reads 07:00 as the base-60 integer 420; a clock time is meant.
        if isinstance(value, int) and not isinstance(value, bool) and ":" in text:
            return _STR, text
        return tag, value

    def _note_root(self, where: Where) -> None:
        """Note that a document has content; a second one is an error."""
        if self._has_root:
            message = "more than one YAML document; put each product in its own file."
            raise YamlLimitError(self._at(where, (), message))
        self._has_root = True

    # Limits and problems -----------------------------------------------------------------

    def _count_values(self, count: int, where: Where) -> None:
        self._count += count
        if self._count > MAX_VALUES:
            raise YamlLimitError(
                self._at(
                    where,
                    self._parent_path(),
                    f"the YAML has more than {MAX_VALUES:,} values once its aliases are expanded.",
                    "Each use of an alias ('*name') counts every value it repeats; "
                    "a spec needs a few hundred.",
                )
            )

    def _tag_problem(self, where: Where, path: FieldPath | None, tag: str) -> None:
        if tag.startswith(_CORE):
            shown = f"!!{tag[len(_CORE) :]}"
        elif tag.startswith("!"):
            shown = tag
        else:
            shown = f"!<{tag}>"
        self._problem(
            where,
            path or self._parent_path(),
            f"YAML tags are not supported ('{printable(shown, 40)}').",
            "Write the plain value; quote it if it starts with '!'.",
        )

    def _parent_path(self) -> FieldPath:
        for frame in reversed(self._stack):
            if frame.path is not None:
                return frame.path
        return ()

    def _problem(self, where: Where, path: FieldPath, message: str, hint: str | None) -> None:
        self.complete = False
        self.problems.append(self._at(where, path, message, hint))

    def _at(
        self, where: Where, path: FieldPath, message: str, hint: str | None = None
    ) -> SpecProblem:
        return SpecProblem(self.file, *where, format_path(path), message, hint)


def _where(event: Event) -> Where:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
