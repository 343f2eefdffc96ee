"""YAML text -> plain data plus the line and column of every field path."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from mesh_dagster.spec.errors import FieldPath, SpecProblem, format_path
from mesh_dagster.spec.yaml_events import (
    BuiltDocument,
    DocumentBuilder,
    YamlLimitError,
    nesting_problem,
)


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
    complete: bool = True
    """False when a value of ``data`` was dropped or replaced because of a problem."""


def _build(text: str, source: SourceMap) -> BuiltDocument:
    """Return the document in ``text``; raise yaml.YAMLError or YamlLimitError.

    libyaml (C) parses several times faster than PyYAML's pure-Python parser; when the
    text is invalid, the pure parser runs again for its more specific messages. Neither
    parser recurses, whatever the nesting.
    """
    fast: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return DocumentBuilder(source.file, source.positions).build(
                yaml.parse(text, Loader=fast)
            )
        except yaml.MarkedYAMLError as error:
            # libyaml stops at 1,000 levels while looking ahead; the pure parser would
            # take minutes over the same brackets (its look-ahead is quadratic in depth).
            if error.problem == "exceeded maximum nesting depth" and error.problem_mark:
                mark = error.problem_mark
                where = (mark.line + 1, mark.column + 1)
                raise YamlLimitError(nesting_problem(source.file, where)) from None
            source.positions.clear()
        except yaml.YAMLError:
            source.positions.clear()
    return DocumentBuilder(source.file, source.positions).build(
        yaml.parse(text, Loader=yaml.SafeLoader)
    )


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
    """Return the document in ``text`` with positions; syntax errors and limits are problems."""
    source = SourceMap(file)
    try:
        built = _build(text, source)
    except YamlLimitError as error:
        return ParsedDocument(None, source, [error.problem])
    except yaml.MarkedYAMLError as error:
        return ParsedDocument(None, source, [_syntax_problem(error, file)])
    except yaml.reader.ReaderError as error:
        return ParsedDocument(None, source, [_character_problem(error, text, file)])
    except yaml.YAMLError:
        message = "invalid YAML: the file cannot be parsed."
        return ParsedDocument(None, source, [SpecProblem(file, 1, 1, "", message)])
    if built.empty:
        message = "file is empty; expected a DataProduct or MeshPolicy document."
        return ParsedDocument(None, source, [SpecProblem(file, 1, 1, "", message)])
    return ParsedDocument(built.data, source, built.problems, built.complete)
