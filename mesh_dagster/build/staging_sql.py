"""The query that turns a transform's result into the rows to stage: cast, then PII.

Pure text building: the columns of the result (as DuckDB describes them) and the product's
schema go in, one SELECT over the result comes out. Two shapes:

- ``exact``: the declared columns in declared order, each cast to its declared type; a
  value that does not survive its cast exactly stops the query with ``CAST_FAILED`` (no
  value in the message), and the build stages again in the ``as_is`` shape, whose audit
  then says which values are wrong.
- ``as_is``: what ``cast_to_schema`` did in Arrow: columns cast where every value fits,
  others kept with their own type, undeclared ones kept, so the ``schema`` check reports
  them instead of a crash. Such a staging is never published (the check fails).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from mesh_dagster.checks.identifiers import identifier
from mesh_dagster.checks.types import duckdb_type, is_lossless, normalise_duckdb_type
from mesh_dagster.io.pii_sql import HmacKey, pii_sql
from mesh_dagster.spec.models import DataProduct

CAST_FAILED = "mesh: a value does not cast exactly to its declared type"
"""The text of the error an exact cast raises (DuckDB's ``error``): it holds no value."""
RESULT_ALIAS = "__mesh_result"
TYPED_ALIAS = "__mesh_cast"

Shape = Literal["exact", "as_is"]


@dataclass(frozen=True)
class ResultColumn:
    """A column of the transform's result: its name and DuckDB type."""

    name: str
    type: str


def _bad_value(column: str, source: str, target: str) -> str:
    # The rule of checks.typed: a failed cast, or one that does not survive the way back.
    cast = f"try_cast({column} as {target})"
    if source == "VARCHAR":
        return f"{column} is not null and {cast} is null"
    return f"{column} is not null and try_cast({cast} as {source}) is distinct from {column}"


def _cast(column: ResultColumn, target: str, shape: Shape) -> str | None:
    """Return the column cast to ``target``, or None to keep its own type."""
    name = identifier(column.name)
    source = normalise_duckdb_type(column.type)
    if source == target:
        return name
    if is_lossless(source, target):
        return f"cast({name} as {target})"
    if shape == "as_is":
        return None
    bad = _bad_value(name, source, target)
    return f"case when {bad} then error('{CAST_FAILED}') else try_cast({name} as {target}) end"


def staging_query(
    product: DataProduct,
    result: list[ResultColumn],
    source: str,
    shape: Shape,
    key: HmacKey | None,
    passthrough: Collection[str] = (),
) -> str:
    """Return the SELECT over ``source`` (a subquery or view) giving the rows to stage.

    In the ``exact`` shape ``result`` must hold every declared column once and nothing
    else (see ``fits_exactly``). PII columns are hashed (unless in ``passthrough``: already
    hashed by an input product), masked or redacted after the cast.
    """
    present = {column.name: column for column in result}
    inner: list[str] = []
    outer: list[str] = []
    kept: set[str] = set()
    for spec in product.spec.columns:
        column = present.get(spec.name)
        if column is None:
            continue
        kept.add(spec.name)
        target = duckdb_type(spec.type)
        name = identifier(spec.name)
        cast = _cast(column, target, shape)
        inner.append(name if cast is None else f"{cast} as {name}")
        handling = spec.pii_handling if spec.pii else None
        if handling is None or (handling == "hashed" and spec.name in passthrough):
            outer.append(name)
            continue
        sql_type = target if cast is not None else column.type
        outer.append(f"{pii_sql(name, handling, sql_type, key)} as {name}")
    for column in result:
        if column.name not in kept:
            inner.append(identifier(column.name))
            outer.append(identifier(column.name))
    if not inner:
        inner, outer = ["true as __mesh_row"], ["__mesh_row"]
    typed = f"select {', '.join(inner)} from {source} as {RESULT_ALIAS}"
    return f"select {', '.join(outer)} from ({typed}) as {TYPED_ALIAS}"


def fits_exactly(product: DataProduct, result: list[ResultColumn]) -> bool:
    """Return whether ``result`` has exactly the declared columns, each once (any case)."""
    names = [column.name for column in result]
    declared = {column.name for column in product.spec.columns}
    lowered = [name.lower() for name in names]
    return set(names) == declared and len(set(lowered)) == len(lowered) == len(declared)
