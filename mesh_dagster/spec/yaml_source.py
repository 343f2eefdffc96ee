"""YAML text -> plain data plus the line and column of every field path."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from mesh_dagster.spec.errors import FieldPath, SpecProblem, format_path


@dataclass
class SourceMap:
    """Where each field path of one document starts in its file (1-based)."""

    file: str
    positions: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: FieldPath) -> tuple[int, int]:
        """Return the position of ``path``, or of its nearest located parent."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(path[:end])
            if found is not None:
                return found
        return (1, 1)

    def problem(self, path: FieldPath, message: str, hint: str | None = None) -> SpecProblem:
        """Return a problem located at ``path``."""
        line, column = self.locate(path)
        return SpecProblem(self.file, line, column, format_path(path), message, hint)


@dataclass
class ParsedDocument:
    """One YAML document: its data, where its fields are, and problems found on the way."""

    data: Any
    source: SourceMap
    problems: list[SpecProblem]


_STR = "tag:yaml.org,2002:str"


def _position(node: Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Builds plain data from a composed node tree, recording positions and duplicate keys."""

    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.problems: list[SpecProblem] = []
        self._scalars = SafeConstructor()

    def build(self, node: Node, path: FieldPath) -> Any:
        if path not in self.source.positions:  # a mapping value is located at its key
            self.source.positions[path] = _position(node)
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        return self._scalar(node)

    def _scalar(self, node: Node) -> Any:
        assert isinstance(node, ScalarNode)
        if node.tag == _STR:  # most scalars: skip the constructor's bookkeeping
            return node.value
        value = self._scalars.construct_object(node)
        # YAML 1.1 reads 07:00 as the base-60 integer 420; a clock time is meant.
        if isinstance(value, int) and not isinstance(value, bool) and ":" in node.value:
            return node.value
        return value

    def _mapping(self, node: MappingNode, path: FieldPath) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        first_seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = self._scalar(key_node) if isinstance(key_node, ScalarNode) else None
            if key is None or isinstance(key, (dict, list)):
                self.problems.append(self.source.problem(path, "mapping keys must be plain names"))
                continue
            key_path = (*path, str(key))
            line, column = _position(key_node)
            if key in first_seen:
                self.problems.append(
                    SpecProblem(
                        self.source.file,
                        line,
                        column,
                        format_path(key_path),
                        f"duplicate key '{key}' (first defined on line {first_seen[key]}).",
                        "Remove one of them: YAML would silently keep only the last.",
                    )
                )
                continue
            first_seen[key] = line
            self.source.positions[key_path] = (line, column)
            result[str(key)] = self.build(value_node, key_path)
        return result


def _compose(text: str) -> list[Node]:
    """Return the node trees of the documents in ``text``; raise MarkedYAMLError if invalid.

    libyaml (C) composes about ten times faster than PyYAML's pure-Python parser; when
    the text is invalid, the pure parser runs again for its more specific messages.
    """
    fast: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return list(yaml.compose_all(text, Loader=fast))
        except yaml.YAMLError:
            pass
    return list(yaml.compose_all(text, Loader=yaml.SafeLoader))


def _character_problem(error: yaml.reader.ReaderError, text: str, file: str) -> SpecProblem:
    """Return a problem for a character YAML does not allow (a control character)."""
    before = text[: error.position]
    line = before.count("\n") + 1
    column = error.position - (before.rfind("\n") + 1) + 1
    code = error.character if isinstance(error.character, int) else ord(error.character)
    return SpecProblem(
        file,
        line,
        column,
        "",
        f"invalid YAML: the character U+{code:04X} is not allowed in a YAML file.",
        "Remove it; it is often pasted in by accident.",
    )


def _is_null(document: Node | None) -> bool:
    """Return whether a composed document holds nothing (an empty ``---`` section)."""
    return document is None or (
        isinstance(document, ScalarNode) and document.tag == "tag:yaml.org,2002:null"
    )


def _syntax_problem(error: yaml.MarkedYAMLError, file: str) -> SpecProblem:
    """Return a YAML syntax error in words a spec author can act on."""
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    start = error.context_mark.line + 1 if error.context_mark else line
    problem = error.problem or "invalid YAML"
    context = error.context or ""
    message, hint = f"invalid YAML: {problem}", None
    if "'\\t'" in problem:
        message = "invalid YAML: a tab character where YAML expects spaces."
        hint = "Indent with spaces; YAML does not allow tabs for indentation."
    elif "cannot start any token" in problem:
        found = problem.split("'")[1] if "'" in problem else "this character"
        message = f"invalid YAML: a plain value cannot start with '{found}'."
        hint = "Put the value in quotes."
    elif "alias" in context or "undefined alias" in problem:
        message = "invalid YAML: a value that starts with '*' must be quoted."
        hint = 'For example cron: "0 * * * *".'
    elif problem == "mapping values are not allowed here":
        message = "invalid YAML: a ':' is not allowed here."
        hint = "Check this line's indentation, or quote a value that contains ': '."
    elif "'<stream end>'" in problem:
        message = "invalid YAML: the file ends before a value, bracket or quote is complete."
    elif "flow sequence" in context or "flow mapping" in context:
        bracket = "[" if "sequence" in context else "{"
        message = f"invalid YAML: the '{bracket}' on line {start} is not closed where expected."
        hint = "Close the bracket, or quote a value that contains ',', ':' or brackets."
    elif "quoted scalar" in context:
        message = f"invalid YAML: the quoted value that starts on line {start} is never closed."
    elif problem.startswith("expected <block end>"):
        message = "invalid YAML: this line's indentation does not match the lines above it."
    elif context and start != line:
        message = f"invalid YAML: {problem} ({context} that starts on line {start})"
    if not message.endswith("."):
        message += "."
    return SpecProblem(file, line, column, "", message, hint)


def parse_yaml(text: str, file: str) -> ParsedDocument:
    """Return the document in ``text`` with positions; syntax errors become problems."""
    source = SourceMap(file)
    try:
        documents = _compose(text)
    except yaml.MarkedYAMLError as error:
        return ParsedDocument(None, source, [_syntax_problem(error, file)])
    except yaml.reader.ReaderError as error:
        return ParsedDocument(None, source, [_character_problem(error, text, file)])
    documents = [document for document in documents if not _is_null(document)]
    if not documents:
        message = "file is empty; expected a DataProduct or MeshPolicy document."
        return ParsedDocument(None, source, [SpecProblem(file, 1, 1, "", message)])
    if len(documents) > 1:
        line, column = _position(documents[1])
        message = "more than one YAML document; put each product in its own file."
        return ParsedDocument(None, source, [SpecProblem(file, line, column, "", message)])
    builder = _Builder(source)
    data = builder.build(documents[0], ())
    return ParsedDocument(data, source, builder.problems)
