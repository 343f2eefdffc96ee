"""Rules a single product must satisfy beyond its field types."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from mesh_dagster.spec.errors import FieldPath, did_you_mean
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.periods import deadline_after, first_start, next_period_start, next_tick


@dataclass(frozen=True)
class RuleViolation:
    """A broken rule: where (field path), what, and a hint."""

    path: FieldPath
    message: str
    hint: str | None = None


def _unknown_column(path: FieldPath, name: str, columns: list[str]) -> RuleViolation:
    return RuleViolation(
        path,
        f"unknown column '{name}'; it must be declared in spec.schema.",
        did_you_mean(name, columns),
    )


def _column_rules(product: DataProduct) -> Iterator[RuleViolation]:
    seen: set[str] = set()
    for index, column in enumerate(product.spec.columns):
        path: FieldPath = ("spec", "schema", index)
        if column.name in seen:
            yield RuleViolation((*path, "name"), f"column '{column.name}' is declared twice.")
        seen.add(column.name)
        if column.pii_handling is not None and not column.pii:
            yield RuleViolation(
                (*path, "pii_handling"),
                "pii_handling is set but the column is not marked 'pii: true'.",
                "Add 'pii: true', or remove pii_handling.",
            )
        if column.pii_handling in ("hashed", "masked") and column.type != "string":
            yield RuleViolation(
                (*path, "pii_handling"),
                f"'{column.pii_handling}' applies to string columns only; "
                f"this column is {column.type}.",
                "Use 'redacted', or cast the column to string in the transform.",
            )
        if column.pii_handling == "redacted" and not column.nullable:
            yield RuleViolation(
                (*path, "pii_handling"),
                "'redacted' publishes nulls, so the column needs 'nullable: true'.",
                "Set 'nullable: true', or use 'hashed' or 'masked'.",
            )
        if column.max_null_share is not None and not column.nullable:
            yield RuleViolation(
                (*path, "max_null_share"),
                "max_null_share is a budget for nulls, but the column is 'nullable: false'.",
                "Set 'nullable: true' to allow some nulls, or remove max_null_share.",
            )


def _partition_column_hint(product: DataProduct) -> str | None:
    times = [column.name for column in product.spec.columns if column.type in ("date", "timestamp")]
    if not times:
        return "Declare a date or timestamp column in spec.schema."
    return f"Date and timestamp columns: {', '.join(times)}."


def _structure_rules(product: DataProduct) -> Iterator[RuleViolation]:
    spec = product.spec
    names = [column.name for column in spec.columns]
    for index, name in enumerate(spec.grain):
        if name not in names:
            yield _unknown_column(("spec", "grain", index), name, names)
    if spec.partitioning is not None:
        column = product.column(spec.partitioning.column)
        path: FieldPath = ("spec", "partitioning", "column")
        if column is None:
            yield _unknown_column(path, spec.partitioning.column, names)
        elif column.type not in ("date", "timestamp"):
            yield RuleViolation(
                path,
                f"the partition column must be a date or timestamp; "
                f"'{column.name}' is {column.type}.",
                _partition_column_hint(product),
            )
        elif column.type == "date" and spec.partitioning.by == "hour":
            yield RuleViolation(
                path, f"hourly partitions need a timestamp column; '{column.name}' is a date."
            )
    if spec.sla is not None and spec.partitioning is None:
        yield RuleViolation(
            ("spec", "sla"),
            "an SLA is judged per period, so it needs spec.partitioning.",
            "Add 'partitioning: {by: day, column: <a date column>, start: <first day>}'.",
        )
    if product.is_external and spec.inputs:
        yield RuleViolation(
            ("spec", "inputs"),
            "an externally built product (no transform) cannot have inputs.",
            "Add a spec.transform, or remove spec.inputs.",
        )
    for index, item in enumerate(spec.inputs):
        if item.product == product.name:
            yield RuleViolation(
                ("spec", "inputs", index, "product"), "a product cannot read itself."
            )


def _check_rules(product: DataProduct) -> Iterator[RuleViolation]:
    # sqlglot is imported when SQL is checked: a load served by the spec cache never is.
    from mesh_dagster.spec.check_sql import CheckSqlError, parse_check_sql

    names = [column.name for column in product.spec.columns]
    flags = [column.name for column in product.spec.columns if column.type == "boolean"]
    for index, check in enumerate(product.spec.quality.custom_checks):
        try:
            parse_check_sql(check.sql, names, flags)
        except CheckSqlError as error:
            yield RuleViolation(
                ("spec", "quality", "custom_checks", index), f"invalid check: {error}.", error.hint
            )


def _transform_rules(product: DataProduct) -> Iterator[RuleViolation]:
    from mesh_dagster.spec.transform_sql import TransformSqlError, check_transform_sql, view_name

    transform = product.spec.transform
    if transform is None or transform.sql is None:
        return
    views: list[str] = []
    for item in product.spec.inputs:
        name = item.product if item.source is None else item.source.name
        if name is not None:
            views.append(view_name(name))
    try:
        check_transform_sql(transform.sql, views)
    except TransformSqlError as error:
        yield RuleViolation(("spec", "transform", "sql"), f"{error}.", error.hint)


def _deadline_rules(
    product: DataProduct, timezone: str, sla_timezone: str
) -> Iterator[RuleViolation]:
    spec = product.spec
    if spec.sla is None or spec.partitioning is None or spec.schedule is None:
        return
    unit = spec.partitioning.by
    start = first_start(spec.partitioning.start, unit, timezone)
    end = next_period_start(start, unit)
    build = next_tick(spec.schedule.cron, end, timezone)
    if spec.sla.available_by is not None:
        deadline = deadline_after(end, spec.sla.available_by, sla_timezone)
        if build > deadline:
            yield RuleViolation(
                ("spec", "sla", "available_by"),
                f"the deadline {spec.sla.available_by:%H:%M} ({sla_timezone}) comes before the "
                f"scheduled build of the same period at {build:%H:%M} ({timezone}, cron "
                f"'{spec.schedule.cron}').",
                "Move available_by after the build time, or build earlier.",
            )
    elif spec.sla.within is not None and build > end + spec.sla.within:
        late = build - end
        yield RuleViolation(
            ("spec", "sla", "within"),
            f"the deadline {_duration(spec.sla.within)} after the period ends comes before the "
            f"scheduled build, {_duration(late)} after it (cron '{spec.schedule.cron}').",
            "Allow more time in 'within', or build earlier.",
        )


def _history_rules(product: DataProduct) -> Iterator[RuleViolation]:
    """Yield what is wrong with ``partitioning.end`` and ``sla.judged_from``."""
    partitioning, sla = product.spec.partitioning, product.spec.sla
    if partitioning is None:
        return
    start, end = partitioning.start, partitioning.end
    if end is not None and end < start:
        yield RuleViolation(
            ("spec", "partitioning", "end"),
            f"the end {end} comes before the start {start}.",
            "Set end to the date of the last period, on or after start.",
        )
        return
    judged_from = sla.judged_from if sla is not None else None
    if judged_from is None:
        return
    hint = "Set judged_from to the first period the SLA should judge, within start and end."
    if judged_from < start:
        message = f"judged_from {judged_from} comes before partitioning.start {start}."
        yield RuleViolation(("spec", "sla", "judged_from"), message, hint)
    elif end is not None and judged_from > end:
        message = f"judged_from {judged_from} comes after partitioning.end {end}."
        yield RuleViolation(("spec", "sla", "judged_from"), message, hint)


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours}h{rest}m"
    return f"{hours}h" if hours else f"{rest}m"


def product_rule_violations(
    product: DataProduct, timezone: str, sla_timezone: str
) -> list[RuleViolation]:
    """Return every rule the product breaks on its own (mesh-wide rules live elsewhere)."""
    return [
        *_column_rules(product),
        *_structure_rules(product),
        *_check_rules(product),
        *_transform_rules(product),
        *_deadline_rules(product, timezone, sla_timezone),
        *_history_rules(product),
    ]
