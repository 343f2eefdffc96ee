"""The one error type for spec problems, and how it is shown to users."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

PathPart = str | int
FieldPath = tuple[PathPart, ...]


def format_path(path: Sequence[PathPart]) -> str:
    """Return a field path as users write it: ``spec.schema[2].nullable``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """Return a "Did you mean ...?" hint when one of ``choices`` is close to ``word``."""
    by_lower = {choice.lower(): choice for choice in sorted(set(choices), reverse=True)}
    matches = difflib.get_close_matches(word.lower(), sorted(by_lower), n=1, cutoff=0.6)
    return f"Did you mean '{by_lower[matches[0]]}'?" if matches else None


class HintedValueError(ValueError):
    """A ValueError from a field validator that also carries a hint for the user."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True, order=True)
class SpecProblem:
    """One problem in one spec file, located as precisely as the YAML allows."""

    file: str
    line: int
    column: int
    path: str
    message: str
    hint: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        subject = f" {self.path}:" if self.path else ""
        text = f"{where}:{subject} {self.message}"
        return f"{text} {self.hint}" if self.hint else text

    def as_dict(self) -> dict[str, str | int | None]:
        """Return the problem as plain JSON-ready data."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
            "hint": self.hint,
        }


class SpecError(Exception):
    """Raised when specs are invalid; carries every problem found, sorted by place."""

    def __init__(self, problems: Sequence[SpecProblem]) -> None:
        self.problems: tuple[SpecProblem, ...] = tuple(sorted(set(problems)))
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = "\n".join(str(problem) for problem in self.problems)
        super().__init__(f"{count} spec {noun}:\n{lines}")
