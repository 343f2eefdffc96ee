"""One DAG per product: plan the period, wait for its inputs, build it (or observe it)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Asset, CronTriggerTimetable, PokeReturnValue, get_current_context, task
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException

from mesh_dagster.airflow.assets import input_assets
from mesh_dagster.airflow.build_alerts import BuildOutcome, rule_results
from mesh_dagster.airflow.build_task import BuildTaskError, build_period, outcome_line
from mesh_dagster.airflow.doc import product_doc
from mesh_dagster.airflow.events import publishes_of
from mesh_dagster.airflow.names import (
    BUILD_TASK_ID,
    PARTITION_CONF,
    PERIODS_TASK_ID,
    WAIT_TASK_ID,
    dag_id,
    product_tags,
)
from mesh_dagster.airflow.observe import OBSERVE_TASK_ID, VERSION_EXTRA, observe_product
from mesh_dagster.airflow.periods import (
    missing_inputs,
    period_of_key,
    scheduled_periods,
    triggered_periods,
)
from mesh_dagster.airflow.records import event_extra, period_key, published_in
from mesh_dagster.airflow.settings import build_settings_from_env
from mesh_dagster.airflow.sla_store import SlaStore, state_url
from mesh_dagster.spec.input_periods import reads_input_periods
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.periods import first_start

log = logging.getLogger("mesh_dagster.airflow")

WAIT_POKE = timedelta(minutes=2)
"""How often a period waiting for its inputs looks again (the slot is freed in between)."""
WAIT_TIMEOUT = timedelta(days=3)
"""How long a period waits for its inputs before its run is skipped (never failed)."""
OBSERVE_CRON = "*/5 * * * *"
"""How often an externally built product's table is looked at for a new version."""


def _start_date(mesh: Mesh, product: DataProduct) -> datetime:
    partitioning = product.spec.partitioning
    if partitioning is None:
        return datetime(2020, 1, 1, tzinfo=UTC)
    return first_start(partitioning.start, partitioning.by, mesh.timezone_of(product))


def _default_args(mesh: Mesh, product: DataProduct) -> dict[str, Any]:
    retries = mesh.policy.retries
    return {
        "owner": product.metadata.owner,
        "retries": retries.attempts - 1,
        "retry_delay": retries.delay,
        "retry_exponential_backoff": 2.0,
    }


def _schedule(
    mesh: Mesh, product: DataProduct, assets: Mapping[str, Asset]
) -> CronTriggerTimetable | list[Asset] | None:
    """Return the product's cron in its timezone; else its inputs' assets; else by hand."""
    if product.is_external:
        return CronTriggerTimetable(OBSERVE_CRON, timezone="UTC")
    schedule = product.spec.schedule
    if schedule is not None:
        return CronTriggerTimetable(schedule.cron, timezone=mesh.timezone_of(product))
    inputs = input_assets(product, dict(assets))
    return inputs or None


def _run_periods(mesh: Mesh, product: DataProduct, assets: Mapping[str, Asset]) -> list[str | None]:
    """Return the periods this run builds: the conf's, the triggering inputs', or the tick's."""
    context = get_current_context()
    dag_run = context["dag_run"]
    conf = dag_run.conf or {}
    if PARTITION_CONF in conf:
        key = str(conf[PARTITION_CONF])
        period_of_key(mesh, product, key)  # a located sentence for a wrong key
        return [key]
    triggering = context.get("triggering_asset_events") or {}
    if triggering:
        by_uri = {asset.uri: name for name, asset in assets.items()}
        published: dict[str, list[str]] = {}
        for asset, events in triggering.items():
            name = by_uri.get(getattr(asset, "uri", ""))
            if name is not None:
                published.setdefault(name, []).extend(
                    key for event in events for key in published_in(event.extra)
                )
        return triggered_periods(mesh, product, published)
    tick = context.get("logical_date") or dag_run.run_after
    return scheduled_periods(mesh, product, tick)


def build_product_dag(mesh: Mesh, product: DataProduct, assets: Mapping[str, Asset]) -> DAG:
    """Return the product's DAG: built on its schedule, or observed when built elsewhere."""
    output = assets[product.name]
    inputs = input_assets(product, dict(assets))
    with DAG(
        dag_id=dag_id(product),
        schedule=_schedule(mesh, product, assets),
        start_date=_start_date(mesh, product),
        catchup=False,
        max_active_runs=4,
        tags=product_tags(product),
        doc_md=product_doc(mesh, product),
        default_args=_default_args(mesh, product),
        description=" ".join(product.spec.description.split())[:200],
    ) as dag:
        if product.is_external:
            _observe_tasks(mesh, product, output)
        else:
            _build_tasks(mesh, product, assets, output, inputs)
    return dag


def _observe_tasks(mesh: Mesh, product: DataProduct, output: Asset) -> None:
    @task(task_id=OBSERVE_TASK_ID, inlets=[output], outlets=[output])
    def observe() -> dict[str, Any]:
        context = get_current_context()
        settings, notice = build_settings_from_env(os.environ)
        if notice:
            log.warning(notice)
        known = publishes_of(context["inlet_events"], output)
        seen = _last_version(context["inlet_events"], output)
        found = observe_product(mesh, product, settings, seen, set(known))
        if found is None:
            raise AirflowSkipException(f"no new version of '{product.name}' since {seen}")
        context["outlet_events"][output].extra = found
        return found

    observe()


def _last_version(inlet_events: Any, asset: Asset) -> int | None:
    for event in inlet_events[asset].ascending(False).limit(1):
        extra = event.extra or {}
        value = extra.get(VERSION_EXTRA)
        return int(value) if isinstance(value, int) else None
    return None


def _build_tasks(
    mesh: Mesh,
    product: DataProduct,
    assets: Mapping[str, Asset],
    output: Asset,
    inputs: list[Asset],
) -> None:
    @task(task_id=PERIODS_TASK_ID)
    def plan_periods() -> list[str | None]:
        periods = _run_periods(mesh, product, assets)
        if not periods:
            raise AirflowSkipException(f"no complete period of '{product.name}' yet")
        return periods

    @task(task_id=BUILD_TASK_ID, inlets=inputs, outlets=[output])
    def build(partition: str | None) -> dict[str, Any]:
        return _build_one(mesh, product, partition, output)

    planned = plan_periods()
    if reads_input_periods(mesh, product):

        @task.sensor(
            task_id=WAIT_TASK_ID,
            inlets=inputs,
            poke_interval=WAIT_POKE.total_seconds(),
            timeout=WAIT_TIMEOUT.total_seconds(),
            mode="reschedule",
            soft_fail=True,
        )
        def wait_for_inputs(periods: list[str | None]) -> PokeReturnValue:
            context = get_current_context()
            published = {
                name: publishes_of(context["inlet_events"], assets[name])
                for name in {item.product for item in product.spec.inputs if item.product}
            }
            waiting = [
                f"{partition} waits for {', '.join(str(need) for need in needs)}"
                for partition in periods
                if (
                    needs := missing_inputs(
                        mesh, product, partition, lambda name, key: key in published[name]
                    )
                )
            ]
            for line in waiting:
                log.info("%s %s", product.name, line)
            return PokeReturnValue(is_done=not waiting)

        waited = wait_for_inputs(planned)  # type: ignore[arg-type]
        built = build.expand(partition=planned)
        waited >> built
    else:
        build.expand(partition=planned)


class PublishBlocked(AirflowFailException):
    """A publish blocked by its error rules: its incidents are the rules', not ``run_failed``."""


def _build_one(
    mesh: Mesh, product: DataProduct, partition: str | None, output: Asset
) -> dict[str, Any]:
    """Build one period, and record for the watcher what it did or why it failed for good.

    A failure is recorded when the task will not be retried: a terminal failure at once,
    any other on the last try (``try_number`` past ``max_tries``).
    """
    context = get_current_context()
    try:
        return _build_and_record(mesh, product, partition, output)
    except (PublishBlocked, AirflowSkipException):
        raise
    except Exception as error:
        ti = context["ti"]
        if isinstance(error, AirflowFailException) or ti.try_number > ti.max_tries:
            kind = error.kind if isinstance(error, _BuildFailed) else "task_failed"
            _record(
                product,
                BuildOutcome(
                    product.name, partition, _now(), failure=kind, run_id=context["dag_run"].run_id
                ),
            )
        raise


class _BuildFailed(AirflowException):
    """A build that failed before its checks decided, with its failure kind."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class _TerminalBuildFailed(_BuildFailed, AirflowFailException):
    """A build failure that retrying cannot fix: the task fails at once."""


def _now() -> datetime:
    return datetime.now(UTC)


def _record(product: DataProduct, outcome: BuildOutcome) -> None:
    """Store ``outcome`` for the ``mesh_sla`` watcher; a store that fails is only logged."""
    try:
        store = SlaStore(state_url(os.environ))
        try:
            store.add_outcome(outcome)
        finally:
            store.close()
    except Exception as error:  # the build's own outcome matters more than its alert
        log.warning(
            "could not record the outcome of %s %s for the mesh_sla watcher "
            "(no incident will be opened for it): %s",
            product.name,
            outcome.partition or "",
            type(error).__name__,
        )


def _build_and_record(
    mesh: Mesh, product: DataProduct, partition: str | None, output: Asset
) -> dict[str, Any]:
    """Build one period; log, push and record its outcomes; fail when its publish is blocked."""
    context = get_current_context()
    settings, notice = build_settings_from_env(os.environ)
    if notice:
        log.warning(notice)
    try:
        done, outcomes = build_period(mesh, product, partition, settings)
    except BuildTaskError as error:
        failure = error.failure
        if failure.transient:
            raise _BuildFailed(failure.message, failure.kind) from None
        if failure.expected:
            raise _TerminalBuildFailed(failure.message, failure.kind) from None
        raise _TerminalBuildFailed(failure.message, failure.kind) from error
    for outcome in outcomes:
        log.log(logging.INFO if outcome.passed else logging.WARNING, outcome_line(outcome))
    context["ti"].xcom_push(key="mesh_checks", value=done.record["checks"])
    _record(
        product,
        BuildOutcome(
            product.name,
            partition,
            _now(),
            published=done.blocked is None,
            rules=rule_results(outcomes),
            run_id=context["dag_run"].run_id,
        ),
    )
    if done.blocked is not None:
        raise PublishBlocked(done.blocked)
    context["outlet_events"][output].extra = event_extra(
        product.name, {period_key(partition): done.record}
    )
    log.info(
        "published %s %s: %s rows, Delta version %s",
        product.name,
        partition or "",
        done.record["rows"],
        done.record["delta_version"],
    )
    return done.record
