"""The run's window as DuckDB variables: one set of names for transforms and checks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlglot import exp

from mesh_dagster.spec.errors import did_you_mean


@dataclass(frozen=True)
class WindowVariable:
    """One variable a transform or a check may read with ``getvariable('<name>')``."""

    name: str
    type_name: str
    description: str


WINDOW_VARIABLES: tuple[WindowVariable, ...] = (
    WindowVariable("partition_start", "TIMESTAMPTZ", "the window's first instant"),
    WindowVariable("partition_end", "TIMESTAMPTZ", "the instant the window ends (excluded)"),
    WindowVariable(
        "partition_start_date", "DATE", "the window's first day, in the schedule's timezone"
    ),
    WindowVariable(
        "partition_end_date", "DATE", "the day the window ends (excluded), same timezone"
    ),
    WindowVariable("partition_key", "VARCHAR", "the partition's key, e.g. '2026-03-01'"),
)
WINDOW_NAMES: tuple[str, ...] = tuple(variable.name for variable in WINDOW_VARIABLES)
_FUNCTION = "getvariable"


class WindowVariableError(ValueError):
    """A ``getvariable`` call that reads no window variable; the message says why."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def window_values(
    key: str | None, start: datetime | None, end: datetime | None
) -> list[tuple[WindowVariable, object]]:
    """Return each window variable with its value (all None for an unpartitioned run).

    ``start`` and ``end`` are aware datetimes in the schedule's timezone, so their dates
    are the window's local days.
    """
    values: dict[str, object] = {
        "partition_start": start,
        "partition_end": end,
        "partition_start_date": _local_date(start),
        "partition_end_date": _local_date(end),
        "partition_key": key,
    }
    return [(variable, values[variable.name]) for variable in WINDOW_VARIABLES]


def _local_date(moment: datetime | None) -> date | None:
    return moment.date() if moment is not None else None


def window_statements(
    key: str | None, start: datetime | None, end: datetime | None
) -> list[tuple[str, list[object]]]:
    """Return the ``SET VARIABLE`` statements of a window with their parameters.

    The values are bound as parameters: the window never becomes part of any SQL text.
    """
    return [
        (f"SET VARIABLE {variable.name} = CAST($1 AS {variable.type_name})", [value])
        for variable, value in window_values(key, start, end)
    ]


def variable_calls(tree: exp.Expr) -> Iterator[exp.Anonymous]:
    """Yield the ``getvariable(...)`` calls in ``tree``."""
    for node in tree.find_all(exp.Anonymous):
        if node.name.lower() == _FUNCTION:
            yield node


def read_variables(tree: exp.Expr) -> tuple[str, ...]:
    """Return the window variables ``tree`` reads, in order of first use.

    Raises WindowVariableError for a call whose argument is not the name of one.
    """
    names: list[str] = []
    for call in variable_calls(tree):
        name = variable_name(call)
        if name not in names:
            names.append(name)
    return tuple(names)


def variable_name(call: exp.Anonymous) -> str:
    """Return the window variable a ``getvariable`` call reads, or raise WindowVariableError."""
    arguments = call.expressions
    if len(arguments) != 1 or not (
        isinstance(arguments[0], exp.Literal) and arguments[0].is_string
    ):
        raise WindowVariableError(
            "getvariable takes the name of a window variable as a quoted string",
            f"For example getvariable('partition_start'); the names are {_listed()}.",
        )
    name = str(arguments[0].this)
    if name not in WINDOW_NAMES:
        hint = did_you_mean(name, WINDOW_NAMES)
        listed = f"The window variables are {_listed()}."
        raise WindowVariableError(
            f"getvariable('{name}') is not a window variable",
            f"{hint} {listed}" if hint else listed,
        )
    return name


def _listed() -> str:
    return ", ".join(WINDOW_NAMES)
