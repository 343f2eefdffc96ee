"""Bind every transform and check at validate time, in the sandbox that runs them.

Each product becomes an empty table with its declared columns and types, named like the
view its readers see; DuckDB's binder then reads each transform over its inputs' tables and
each custom check over its own product's table, exactly as the build will. Nothing is
executed on data (there is none), so no message can quote a value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from mesh_dagster.checks.engine import EngineSettings, open_engine
from mesh_dagster.checks.identifiers import identifier
from mesh_dagster.checks.types import duckdb_type
from mesh_dagster.spec.check_sql import CheckSqlError, parse_check_sql
from mesh_dagster.spec.errors import FieldPath, SpecProblem
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.rules import RuleViolation
from mesh_dagster.spec.transform_sql import view_name
from mesh_dagster.spec.window import window_statements
from mesh_dagster.spec.yaml_source import SourceMap

if TYPE_CHECKING:  # pyarrow is loaded only when a source's schema is given
    import pyarrow as pa

# Products whose checks are bound in one query: binding grows faster than linearly with
# the size of a query, so a few small batches cost less than one large one.
_BATCH = 8
_ERROR_LABEL = re.compile(r"^[A-Za-z ]*Error: ")
_QUOTED = re.compile(r'"([^"]+)"')


def duckdb_reason(error: duckdb.Error) -> tuple[str, str | None]:
    """Return DuckDB's message reduced to its first line, and its suggestion as a hint.

    The class label ("Binder Error: ") and the echo of the query ("LINE 1: ...") go; a
    "Candidate bindings" or "Did you mean" line becomes the hint.
    """
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__, None
    reason = _ERROR_LABEL.sub("", lines[0]).rstrip("!. ")
    hint = None
    for line in lines[1:]:
        if line.startswith("Candidate bindings:"):
            candidates = _QUOTED.findall(line)
            hint = f"Did you mean '{candidates[0]}'?" if candidates else None
        elif line.startswith("Did you mean"):
            hint = line.replace('"', "'")
    return reason, hint


@dataclass(frozen=True)
class _Check:
    """A custom check as the engine will run it: DuckDB's reading of its predicate."""

    index: int
    predicate: str
    scope: str

    @property
    def path(self) -> FieldPath:
        return ("spec", "quality", "custom_checks", self.index)

    def measure(self) -> str:
        """Return the check as the scan's query holds it: a row rule inside an aggregate."""
        return f"any_value(({self.predicate}))" if self.scope == "row" else f"({self.predicate})"


class _Sandbox:
    """One DuckDB connection per mesh load, holding the products' empty tables."""

    def __init__(self, products: Mapping[str, DataProduct], needed: Iterable[str]) -> None:
        self.products = products
        self.connection = open_engine(EngineSettings(threads=1))
        # The window transforms and checks read, as the build sets it: typed, here null.
        for statement, parameters in window_statements(None, None, None):
            self.connection.execute(statement, parameters)
        self.tables = self._create_tables(sorted(set(needed)))

    def _create_tables(self, names: list[str]) -> set[str]:
        statements = {name: self._create_table(name) for name in names}
        try:  # one statement list costs far less than one call per table
            self.connection.execute(";\n".join(statements.values()))
            return set(names)
        except duckdb.Error:  # e.g. a column declared twice, reported by the rules
            pass
        created: set[str] = set()
        for name, statement in statements.items():
            try:
                self.connection.execute(statement)
                created.add(name)
            except duckdb.Error:
                continue
        return created

    def _create_table(self, product: str) -> str:
        columns = ", ".join(
            f"{identifier(column.name)} {duckdb_type(column.type)}"
            for column in self.products[product].spec.columns
        )
        return f'create or replace table "{view_name(product)}" ({columns})'

    def close(self) -> None:
        self.connection.close()


def _planned_checks(product: DataProduct) -> tuple[list[_Check], list[RuleViolation]]:
    """Return the product's custom checks as DuckDB reads them, and those it cannot read."""
    names = [column.name for column in product.spec.columns]
    flags = [column.name for column in product.spec.columns if column.type == "boolean"]
    planned: list[_Check] = []
    unreadable: list[RuleViolation] = []
    for index, check in enumerate(product.spec.quality.custom_checks):
        try:
            parsed = parse_check_sql(check.sql, names, flags)
        except CheckSqlError:
            continue  # reported by the rules
        try:
            # The engine re-reads every predicate with DuckDB's own expression parser.
            predicate = str(duckdb.SQLExpression(parsed.sql))
        except duckdb.Error as error:
            reason, hint = duckdb_reason(error)
            path: FieldPath = ("spec", "quality", "custom_checks", index)
            unreadable.append(
                RuleViolation(path, f"invalid check: DuckDB cannot read it: {reason}.", hint)
            )
            continue
        planned.append(_Check(index, predicate, "table" if parsed.is_aggregate else "row"))
    return planned, unreadable


def _checks_query(table: str, checks: Sequence[_Check]) -> str:
    measures = ", ".join(check.measure() for check in checks)
    return f'select {measures} from "{view_name(table)}"'


def _bind_checks(
    sandbox: _Sandbox, product: DataProduct, checks: Sequence[_Check]
) -> Iterator[RuleViolation]:
    """Yield what the binder refuses in ``checks``, one query per check."""
    for check in checks:
        try:
            types = sandbox.connection.sql(_checks_query(product.name, [check])).types
        except duckdb.Error as error:
            reason, hint = duckdb_reason(error)
            yield RuleViolation(
                check.path,
                f"invalid check: it does not bind to the declared columns: {reason}.",
                hint,
            )
            continue
        yield from _result_violations([check], [str(kind) for kind in types])


def _result_violations(checks: Sequence[_Check], types: Sequence[str]) -> Iterator[RuleViolation]:
    for check, kind in zip(checks, types, strict=True):
        if kind != "BOOLEAN":
            yield RuleViolation(check.path, f"invalid check: it gives {kind}, not a boolean.")


def _check_violations(
    sandbox: _Sandbox, products: Sequence[DataProduct]
) -> dict[str, list[RuleViolation]]:
    """Return the check problems of ``products``, binding all of them in one query.

    Most checks bind, so they are bound together (a query per product would cost twice
    as much); only when that fails is each product, then each check, bound on its own.
    """
    found: dict[str, list[RuleViolation]] = {}
    batch: list[tuple[DataProduct, list[_Check]]] = []
    for product in products:
        checks, unreadable = _planned_checks(product)
        if unreadable:
            found[product.name] = unreadable
        if checks and product.name in sandbox.tables:
            batch.append((product, checks))
    for start in range(0, len(batch), _BATCH):
        for name, violations in _bind_batch(sandbox, batch[start : start + _BATCH]).items():
            found.setdefault(name, []).extend(violations)
    return found


def _bind_batch(
    sandbox: _Sandbox, batch: Sequence[tuple[DataProduct, list[_Check]]]
) -> dict[str, list[RuleViolation]]:
    found: dict[str, list[RuleViolation]] = {}
    parts = [f"({_checks_query(product.name, checks)})" for product, checks in batch]
    try:
        query = f"select * from {', '.join(parts)}"
        types = [str(kind) for kind in sandbox.connection.sql(query).types]
    except duckdb.Error:
        for product, checks in batch:
            violations = list(_bind_checks(sandbox, product, checks))
            if violations:
                found[product.name] = violations
        return found
    start = 0
    for product, checks in batch:
        violations = list(_result_violations(checks, types[start : start + len(checks)]))
        start += len(checks)
        if violations:
            found[product.name] = violations
    return found


def _transform_violations(
    sandbox: _Sandbox, product: DataProduct, sources: Mapping[str, pa.Schema]
) -> Iterator[RuleViolation]:
    spec = product.spec
    sql = spec.transform.sql if spec.transform is not None else None
    if sql is None:
        return
    for item in spec.inputs:
        # A source declares no schema: a transform reading one is bound only when its
        # schema was read from its files (`mesh validate --resolve`), given in ``sources``.
        if item.product is not None and item.product not in sandbox.tables:
            return
        if item.source is not None and view_name(item.source.name) not in sources:
            return
    registered = []
    for view, schema in sources.items():
        sandbox.connection.register(view, schema.empty_table())
        registered.append(view)
    try:
        yield from _bound_transform(sandbox, product, sql)
    finally:
        for view in registered:
            sandbox.connection.unregister(view)


def _bound_transform(sandbox: _Sandbox, product: DataProduct, sql: str) -> Iterator[RuleViolation]:
    path: FieldPath = ("spec", "transform", "sql")
    connection = sandbox.connection
    try:
        statements = connection.extract_statements(sql)
    except duckdb.Error as error:
        reason, hint = duckdb_reason(error)
        yield RuleViolation(path, f"DuckDB cannot read the transform: {reason}.", hint)
        return
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        yield RuleViolation(path, "DuckDB does not read the transform as exactly one SELECT.")
        return
    try:
        # A relation is bound, not run: nothing is computed until it is fetched.
        columns = connection.sql(sql).columns
    except duckdb.Error as error:
        reason, hint = duckdb_reason(error)
        yield RuleViolation(
            path, f"the transform does not bind to its inputs' declared schemas: {reason}.", hint
        )
        return
    yield from _output_violations(path, product, columns)


def _output_violations(
    path: FieldPath, product: DataProduct, columns: Sequence[str]
) -> Iterator[RuleViolation]:
    declared = [column.name for column in product.spec.columns]
    missing = [name for name in declared if name not in columns]
    undeclared = [name for name in columns if name not in declared]
    if missing:
        yield RuleViolation(
            path,
            f"the transform does not give {_columns(missing)}, which spec.schema declares.",
            f"It gives: {', '.join(columns)}.",
        )
    if undeclared:
        pronoun = "it" if len(undeclared) == 1 else "them"
        yield RuleViolation(
            path,
            f"the transform gives {_columns(undeclared)}, which spec.schema does not declare.",
            f"Declare {pronoun} in spec.schema, or leave {pronoun} out of the SELECT.",
        )


def _columns(names: Sequence[str]) -> str:
    listed = ", ".join(f"'{name}'" for name in names)
    return f"the column {listed}" if len(names) == 1 else f"the columns {listed}"


def binding_violations(
    products: Mapping[str, DataProduct],
    bind: Sequence[str],
    sources: Mapping[str, Mapping[str, pa.Schema]] | None = None,
) -> dict[str, list[RuleViolation]]:
    """Return what DuckDB's binder refuses in the transform and checks of each of ``bind``.

    ``products`` are every valid product of the mesh (the inputs' schemas come from them),
    and ``bind`` those whose SQL already passed the rules; a product missing from the
    result binds cleanly. ``sources`` gives, per product, the schema of each source it
    reads by view name, read from the source's files; without it such transforms are
    not bound.
    """
    chosen = [products[name] for name in bind]
    needed = {product.name for product in chosen if product.spec.quality.custom_checks}
    for product in chosen:
        if product.spec.transform is not None and product.spec.transform.sql is not None:
            needed.update(
                item.product
                for item in product.spec.inputs
                if item.product is not None and item.product in products
            )
    sandbox = _Sandbox(products, needed)
    try:
        found: dict[str, list[RuleViolation]] = {}
        for product in chosen:
            given = (sources or {}).get(product.name, {})
            violations = list(_transform_violations(sandbox, product, given))
            if violations:
                found[product.name] = violations
        for name, violations in _check_violations(sandbox, chosen).items():
            found.setdefault(name, []).extend(violations)
    finally:
        sandbox.close()
    return found


def binding_problems(
    products: Mapping[str, tuple[DataProduct, SourceMap]], problems: Sequence[SpecProblem]
) -> list[SpecProblem]:
    """Return the located binding problems of the products whose files have none yet."""
    broken = {problem.file for problem in problems}
    bind = [name for name, (_, source) in sorted(products.items()) if source.file not in broken]
    if not bind:
        return []
    found = binding_violations({name: product for name, (product, _) in products.items()}, bind)
    return [
        products[name][1].problem(violation.path, violation.message, violation.hint)
        for name, violations in found.items()
        for violation in violations
    ]
