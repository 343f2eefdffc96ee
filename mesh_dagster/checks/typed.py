"""The input as the spec declares it: a view with every declared column cast to its type.

Rules run on this view, so a wrongly typed column cannot break them: values that do not
cast become null there, and the ``schema`` check counts them from flags the view carries.

A build casts its transform's result to the declared types before the audit, so there a
column only has to be castable. Stored data (``mesh check``, externally built products) is
read by consumers as it is: there a column must have its declared type, or a type that
widens to it without loss (INTEGER where ``bigint`` is declared), else it is
``mistyped``: strings that would cast to numbers still break every consumer's SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from mesh_dagster.checks.identifiers import identifier
from mesh_dagster.checks.plan import CheckPlan
from mesh_dagster.checks.types import is_lossless, normalise_duckdb_type

INPUT_VIEW = "__mesh_input"
TYPED_VIEW = "__mesh_typed"


@dataclass(frozen=True)
class CheckedColumn:
    """A column whose type differs from the declared one: each value is cast and checked."""

    name: str
    source_type: str
    declared_type: str
    flag: str
    """Column of the typed view that is true where the value does not cast exactly."""


@dataclass(frozen=True)
class TypedInput:
    """How the input's columns compare with the declared schema."""

    missing: tuple[str, ...]
    undeclared: tuple[str, ...]
    duplicated: tuple[str, ...]
    """Columns whose name (in any case) the input holds more than once."""
    incompatible: tuple[tuple[str, str, str], ...]
    """(column, its type, the declared type) for columns that cannot be cast at all."""
    checked: tuple[CheckedColumn, ...]
    mistyped: tuple[tuple[str, str, str], ...] = ()
    """(column, its stored type, the declared type) for stored columns of another type."""
    stored: bool = False
    """Whether the input is stored data, judged by its types as they are."""

    @property
    def structural(self) -> bool:
        """Return whether the columns themselves differ from the schema (not only values)."""
        return bool(
            self.missing or self.undeclared or self.duplicated or self.incompatible or self.mistyped
        )

    @property
    def unusable(self) -> frozenset[str]:
        """Return the declared columns that rules cannot read."""
        return frozenset(self.missing) | {name for name, _, _ in self.incompatible}


def _free_name(prefix: str, taken: set[str]) -> str:
    # DuckDB resolves identifiers case-insensitively.
    name = prefix
    while name.lower() in taken:
        name = f"_{name}"
    taken.add(name.lower())
    return name


def _bad_value(name: str, source: str, target: str) -> str:
    column = identifier(name)
    cast = f"try_cast({column} as {target})"
    if source == "VARCHAR":
        return f"{column} is not null and {cast} is null"
    # A cast that rounds or truncates (1.5 -> 2, a timestamp -> its date) does not survive
    # the way back, so it is caught as well as one that fails.
    return f"{column} is not null and try_cast({cast} as {source}) is distinct from {column}"


def _binds(connection: duckdb.DuckDBPyConnection, expressions: list[str]) -> bool:
    try:
        connection.execute(f"select {', '.join(expressions)} from {INPUT_VIEW} limit 0")
    except duckdb.Error:
        return False
    return True


def stored_as_declared(stored: str, declared: str) -> bool:
    """Return whether a stored DuckDB type is the declared one or widens to it without loss."""
    return is_lossless(stored, declared)


def create_typed_view(
    connection: duckdb.DuckDBPyConnection,
    plan: CheckPlan,
    names: list[str],
    stored: bool = False,
) -> TypedInput:
    """Create the typed view over the registered input and say how its columns compare.

    ``names`` are the input's column names as Arrow has them: DuckDB renames a repeated
    name (``a``, ``a_1``), and resolves names regardless of case. ``stored``: the input
    is stored data, whose columns must have their declared types (see the module).
    """
    described = connection.execute(f"describe {INPUT_VIEW}").fetchall()
    present: dict[str, str] = {}
    duplicated: list[str] = []
    seen: set[str] = set()
    for name, row in zip(names, described, strict=True):
        if name.lower() in seen:
            duplicated.append(name)
            continue
        seen.add(name.lower())
        present[name] = normalise_duckdb_type(str(row[1]))
    declared = {column.name for column in plan.columns}
    taken = {name.lower() for name in present} | {name.lower() for name in declared}
    selected: list[str] = []
    missing: list[str] = []
    incompatible: list[tuple[str, str, str]] = []
    checked: list[CheckedColumn] = []
    mistyped: list[tuple[str, str, str]] = []
    for column in plan.columns:
        source = present.get(column.name)
        if source is None:
            missing.append(column.name)
            continue
        if stored and not stored_as_declared(source, column.type):
            mistyped.append((column.name, source, normalise_duckdb_type(column.type)))
        name = identifier(column.name)
        if is_lossless(source, column.type):
            same = source == normalise_duckdb_type(column.type)
            selected.append(name if same else f"cast({name} as {column.type}) as {name}")
            continue
        value = f"try_cast({name} as {column.type})"
        bad = _bad_value(column.name, source, column.type)
        if not _binds(connection, [value, bad]):
            incompatible.append((column.name, source, column.type))
            continue
        flag = _free_name(f"__mesh_bad_{len(checked)}", taken)
        selected += [f"{value} as {name}", f"{bad} as {flag}"]
        checked.append(CheckedColumn(column.name, source, column.type, flag))
    if not selected:  # a view needs a column; count(*) still counts the rows
        selected.append(f"true as {_free_name('__mesh_row', taken)}")
    connection.execute(
        f"create temp view {TYPED_VIEW} as select {', '.join(selected)} from {INPUT_VIEW}"
    )
    undeclared = tuple(name for name in present if name not in declared)
    return TypedInput(
        tuple(missing),
        undeclared,
        tuple(duplicated),
        tuple(incompatible),
        tuple(checked),
        tuple(mistyped),
        stored,
    )
