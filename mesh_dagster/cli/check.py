"""`mesh check`: evaluate a product's quality rules on its published table, for CI."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

from mesh_dagster.spec.errors import SpecError, did_you_mean

if TYPE_CHECKING:
    # What a check runs (pandas, pyarrow, DuckDB, deltalake) is imported when it runs:
    # `mesh` imports every command module before running any.
    from mesh_dagster.checks import CheckOutcome, CheckPlan, EngineSettings
    from mesh_dagster.io.locations import StorageSettings
    from mesh_dagster.io.stored_rows import StoredRows
    from mesh_dagster.spec.mesh import Mesh
    from mesh_dagster.spec.models import DataProduct
    from mesh_dagster.spec.periods import Period

EXIT_FAILED = 1
EXIT_USAGE = 2

_KEY_EXAMPLES = {"hour": "2026-01-05-13:00", "day": "2026-01-05", "week": "2026-01-04"}


class CheckFormat(StrEnum):
    """Output formats of `mesh check`."""

    text = "text"
    json = "json"


class CheckUsageError(Exception):
    """A problem with what was asked (product, partition, environment): exit 2."""


def _fail(console: Console, message: str) -> typer.Exit:
    console.print(Text(f"error: {message}", style="bold red"))
    return typer.Exit(EXIT_USAGE)


def find_product(mesh: Mesh, name: str, specs: Path) -> DataProduct:
    """Return the product called ``name``; CheckUsageError with a hint if there is none."""
    if name in mesh.products:
        return mesh.product(name)
    hint = did_you_mean(name, mesh.products)
    message = f"no product '{name}' in {specs}."
    raise CheckUsageError(f"{message} {hint}" if hint else message)


def partition_period(mesh: Mesh, product: DataProduct, key: str) -> Period:
    """Return the period of partition ``key``; CheckUsageError if it is not one of them."""
    from mesh_dagster.spec.periods import KEY_FORMATS, first_start, period_for_key, period_of

    partitioning = product.spec.partitioning
    if partitioning is None:
        raise CheckUsageError(f"'{product.name}' is not partitioned; leave out --partition.")
    unit, timezone = partitioning.by, mesh.timezone_of(product)
    example = _KEY_EXAMPLES.get(unit, "2026-01-01")
    try:
        period = period_for_key(key, unit, timezone)
    except ValueError:
        raise CheckUsageError(
            f"'{key}' is not a partition key of '{product.name}': partitioned by {unit}, "
            f"keys look like '{example}' ({KEY_FORMATS[unit]})."
        ) from None
    start = period_of(period.start, unit, timezone)
    if start.key != key:
        raise CheckUsageError(
            f"'{key}' is not a partition key of '{product.name}': partitioned by {unit}, "
            f"it is inside partition '{start.key}'. Did you mean '{start.key}'?"
        )
    first = period_of(first_start(partitioning.start, unit, timezone), unit, timezone)
    if period.start < first.start:
        raise CheckUsageError(
            f"partition '{key}' is before the first partition of '{product.name}' ('{first.key}')."
        )
    return period


def _storage() -> tuple[StorageSettings, EngineSettings]:
    # Imported here: the resource module loads Dagster, which commands without it skip.
    from mesh_dagster.checks.engine import EngineSettings
    from mesh_dagster.compile.resources import mesh_resource_from_env

    try:
        resource = mesh_resource_from_env()
    except ValueError as error:
        raise CheckUsageError(str(error)) from None
    engine = EngineSettings(resource.duckdb_threads, resource.duckdb_memory_limit)
    return resource.storage(), engine


def _shown_uri(uri: str) -> str:
    from mesh_dagster.spec.loader import display_path

    return uri if "://" in uri else display_path(Path(uri))


def partition_column(product: DataProduct) -> str | None:
    """Return the product's partition column (None if unpartitioned)."""
    partitioning = product.spec.partitioning
    return partitioning.column if partitioning is not None else None


def read_checked_rows(
    product: DataProduct, period: Period | None, storage: StorageSettings
) -> StoredRows:
    """Return the published rows to check: the period's (all without one), and the rows
    whose partition column is null, which no period holds. CheckUsageError when there is
    no table. An empty period is checked (``not_empty`` fails it), not refused.
    """
    from mesh_dagster.build.pipeline import period_filter_for, table_uri
    from mesh_dagster.io.errors import StorageError
    from mesh_dagster.io.locations import storage_options
    from mesh_dagster.io.stored_rows import read_stored_rows

    uri = table_uri(product, storage)
    try:
        rows = read_stored_rows(
            uri,
            storage_options(uri, storage),
            partition_column(product),
            period_filter_for(product, period),
        )
    except StorageError as error:
        raise CheckUsageError(str(error)) from None
    if rows is None:
        raise CheckUsageError(
            f"nothing published for '{product.name}' yet: no Delta table at {_shown_uri(uri)}."
        )
    return rows


def check_stored(
    plan: CheckPlan,
    product: DataProduct,
    rows: StoredRows,
    period: Period | None,
    engine: EngineSettings,
) -> list[CheckOutcome]:
    """Return the outcomes of ``plan`` on stored rows, judged by their stored types."""
    from mesh_dagster.checks.evaluate import evaluate_checks
    from mesh_dagster.checks.stored import judge_stored

    outcomes = evaluate_checks(plan, rows.table, period, engine, stored=True)
    return judge_stored(outcomes, period, partition_column(product), rows.unplaced)


def outcome_status(plan: CheckPlan, outcome: CheckOutcome, period: Period | None) -> str:
    """Return ``passed``, ``failed``, or ``skipped`` (a rule that needs a partition window)."""
    if period is None and outcome.passed and plan.check(outcome.name).variables:
        return "skipped"
    return "passed" if outcome.passed else "failed"


def _figures(plan: CheckPlan, outcome: CheckOutcome, status: str) -> str:
    if status == "skipped":
        return "-"
    structural = outcome.kind == "schema" and not outcome.passed and not outcome.failing_rows
    if plan.check(outcome.name).scope == "table" or structural:
        return f"table of {outcome.rows_checked:,}"
    return f"{outcome.failing_rows:,} of {outcome.rows_checked:,} failing"


def render_json(plan: CheckPlan, outcomes: Sequence[CheckOutcome], period: Period | None) -> str:
    """Return the outcomes as a JSON list, one object per rule, in plan order."""
    items = [
        {
            "name": outcome.name,
            "kind": outcome.kind,
            "severity": outcome.severity,
            "status": outcome_status(plan, outcome, period),
            "passed": outcome.passed,
            "failing_rows": outcome.failing_rows,
            "failing_ratio": outcome.failing_ratio,
            "rows_checked": outcome.rows_checked,
            "sql": outcome.sql,
            "detail": outcome.detail,
            "sample_keys": list(outcome.sample_keys),
        }
        for outcome in outcomes
    ]
    return json.dumps(items, indent=2)


_MARKS = {"passed": ("✓", "green"), "failed": ("✗", "red"), "skipped": ("-", "dim")}


def print_text_report(
    console: Console,
    plan: CheckPlan,
    outcomes: Sequence[CheckOutcome],
    period: Period | None,
    where: str,
    unplaced: tuple[str, int] | None = None,
) -> None:
    """Print a header, one line per rule (with sample keys of failing rows), and a summary.

    ``unplaced``: the partition column and how many of the rows have it null.
    """
    from mesh_dagster.checks.stored import unplaced_text

    rows = outcomes[0].rows_checked if outcomes else 0
    scope = f"partition {period.key}" if period else "all partitions"
    rows_text = "1 row" if rows == 1 else f"{rows:,} rows"
    header = f"{plan.product} ({scope}): {rows_text} in {where}"
    if unplaced is not None and unplaced[1]:
        header += f"; {unplaced_text(*unplaced)}"
    console.print(Text(header, style="bold"))
    statuses = [outcome_status(plan, outcome, period) for outcome in outcomes]
    figures = [_figures(plan, o, s) for o, s in zip(outcomes, statuses, strict=True)]
    name_width = max((len(outcome.name) for outcome in outcomes), default=0)
    figures_width = max((len(text) for text in figures), default=0)
    for outcome, status, figure in zip(outcomes, statuses, figures, strict=True):
        mark, style = _MARKS[status]
        if status == "failed" and outcome.severity == "warn":
            style = "yellow"
        line = Text(f"{mark} ", style=style)
        line.append(f"{outcome.name.ljust(name_width)}  ", style="bold")
        line.append(f"{status.ljust(7)}  ", style=style)
        line.append(f"{outcome.severity.ljust(5)}  {figure.ljust(figures_width)}  ")
        line.append(outcome.detail)
        console.print(line)
        for key in outcome.sample_keys if status == "failed" else ():
            shown = ", ".join(f"{column}={value}" for column, value in key.items())
            console.print(Text(f"    failing key: {shown}", style="dim"))
    console.print(_summary(outcomes))


def _summary(outcomes: Sequence[CheckOutcome]) -> Text:
    from mesh_dagster.checks.outcome import failed_errors

    errors = [outcome for outcome in outcomes if outcome.severity == "error"]
    failed = failed_errors(outcomes)
    warned = sum(1 for o in outcomes if o.severity == "warn" and not o.passed)
    warnings = "" if not warned else f"; {warned} warn check{'s' if warned > 1 else ''} failed"
    if failed:
        return Text(
            f"✗ {len(failed)} of {len(errors)} error checks failed{warnings}.", style="bold red"
        )
    return Text(f"✓ all {len(errors)} error checks passed{warnings}.", style="bold green")


def check_command(
    product: Annotated[str, typer.Argument(help="Product to check (orders-daily).")],
    partition: Annotated[
        str | None,
        typer.Option(help="Partition key (2026-01-05); default: every published row."),
    ] = None,
    specs: Annotated[Path, typer.Option(help="Specs folder.")] = Path("specs"),
    output_format: Annotated[
        CheckFormat, typer.Option("--format", help="text for people, json for tools.")
    ] = CheckFormat.text,
) -> None:
    """Evaluate PRODUCT's quality rules on its published Delta table.

    Reads the local warehouse (MESH_WAREHOUSE) or S3 (MESH_STORAGE_MODE=s3,
    MESH_S3_ENDPOINT). Exits 0 when every error rule passed, 1 when one failed,
    2 on errors (unknown product or partition, invalid specs, nothing published).
    """
    from mesh_dagster.build.pipeline import table_uri
    from mesh_dagster.checks.engine import CheckRefusedError
    from mesh_dagster.checks.names import CheckPlanError
    from mesh_dagster.checks.outcome import failed_errors
    from mesh_dagster.checks.plan import plan_checks
    from mesh_dagster.spec.loader import load_mesh

    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    try:
        mesh = load_mesh(specs)
    except SpecError as error:
        errors.print(Text(str(error), style="red"))
        raise _fail(errors, f"the specs in {specs} do not load; see `mesh validate`.") from None
    try:
        found = find_product(mesh, product, specs)
        period = partition_period(mesh, found, partition) if partition is not None else None
        storage, engine = _storage()
        rows = read_checked_rows(found, period, storage)
        plan = plan_checks(found)
        outcomes = check_stored(plan, found, rows, period, engine)
    except (CheckUsageError, CheckPlanError, CheckRefusedError) as error:
        raise _fail(errors, str(error)) from None
    if output_format is CheckFormat.json:
        typer.echo(render_json(plan, outcomes, period))
    else:
        console = Console(soft_wrap=True, highlight=False)
        where = _shown_uri(table_uri(found, storage))
        column = partition_column(found)
        unplaced = (column, rows.unplaced) if column is not None else None
        print_text_report(console, plan, outcomes, period, where, unplaced)
    if failed_errors(outcomes):
        raise typer.Exit(EXIT_FAILED)


__all__ = ["check_command"]
