"""The alert sensor: check results, SLA verdicts and failed steps become incidents and notices."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetCheckSeverity,
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    DefaultSensorStatus,
    EventLogRecord,
    EventRecordsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)
from dagster._core.event_api import PartitionKeyFilter
from dagster._time import get_current_datetime

from mesh_dagster.alerts import (
    Incident,
    IncidentBook,
    IncidentKind,
    Sender,
    dagster_url_of,
    dedup_key,
    deliver,
    incident_for,
)
from mesh_dagster.alerts.instance_store import InstanceBookStore
from mesh_dagster.alerts.sla import SlaVerdictFacts, apply_sla_verdict, upstream_periods
from mesh_dagster.compile.assets import op_name
from mesh_dagster.compile.event_log import require_cross_run_event_log
from mesh_dagster.compile.specs import SLA_CHECK, ProductSpecs
from mesh_dagster.sla.upstream import read_waiting
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct

SENSOR_NAME = "mesh_alerts"
_BATCH = 1000
_VERDICT_HISTORY = 20  # a period gets a handful of sla results: missed, late, hand-run ones
_WATCHED = (
    DagsterEventType.ASSET_CHECK_EVALUATION,
    DagsterEventType.STEP_FAILURE,
    DagsterEventType.ASSET_MATERIALIZATION,
)


@dataclass
class _Tick:
    """What one tick works with: the mesh, the book and the product lookups."""

    mesh: Mesh
    instance: DagsterInstance
    book: IncidentBook
    by_key: Mapping[AssetKey, DataProduct]
    by_op: Mapping[str, DataProduct]
    key_of: Mapping[str, AssetKey]
    now: datetime
    dagster_url: str

    def open(self, product: DataProduct, kind: IncidentKind, **fields: Any) -> None:
        incident = incident_for(
            self.mesh,
            product,
            kind,
            opened_at=self.now,
            dagster_url=self.dagster_url,
            **fields,
        )
        self.book, _ = self.book.open(incident)

    def resolve(
        self,
        product: DataProduct,
        partition: str | None,
        kind: IncidentKind,
        rule: str | None = None,
        at: datetime | None = None,
    ) -> None:
        key = dedup_key(product.name, partition, kind, rule)
        if self.book.is_open(key):
            self.book, _ = self.book.resolve(key, at=at or self.now)


def _records(instance: DagsterInstance, after: int) -> list[EventLogRecord]:
    """Return the watched events after ``after``, in order, without gaps across types."""
    found: list[EventLogRecord] = []
    upper: int | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # get_event_records is the one cross-type reader
        for event_type in _WATCHED:
            batch = instance.get_event_records(
                EventRecordsFilter(event_type=event_type, after_cursor=after),
                limit=_BATCH,
                ascending=True,
            )
            found += batch
            if len(batch) == _BATCH:  # more of this type remain: stop before them
                last = batch[-1].storage_id
                upper = last if upper is None else min(upper, last)
    found = [record for record in found if upper is None or record.storage_id <= upper]
    return sorted(found, key=lambda record: record.storage_id)


def _partition_of(instance: DagsterInstance, record: EventLogRecord) -> str | None:
    run = instance.get_run_by_id(record.event_log_entry.run_id)
    return run.tags.get("dagster/partition") if run else None


def _check_event(tick: _Tick, record: EventLogRecord) -> None:
    event = record.event_log_entry.dagster_event
    assert event is not None
    evaluation = event.event_specific_data
    if not isinstance(evaluation, AssetCheckEvaluation):
        return
    product = tick.by_key.get(evaluation.asset_key)
    if product is None:
        return
    partition = evaluation.partition
    metadata = {key: value.value for key, value in evaluation.metadata.items()}
    if evaluation.check_name == SLA_CHECK:
        _sla_verdict(tick, record, product, partition, metadata)
        return
    rule = evaluation.check_name
    if evaluation.passed:
        at = datetime.fromtimestamp(record.timestamp, tz=UTC)
        tick.resolve(product, partition, "check_failed", rule, at=at)
        return
    severity = "warn" if evaluation.severity == AssetCheckSeverity.WARN else "error"
    figures = {
        name: metadata[name]
        for name in ("failing_rows", "rows_checked", "failing_ratio", "detail")
        if isinstance(metadata.get(name), (int, float, str))
    }
    tick.open(
        product, "check_failed", partition=partition, rule=rule, severity=severity, details=figures
    )


def _instant(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def _sla_verdict(
    tick: _Tick,
    record: EventLogRecord,
    product: DataProduct,
    partition: str | None,
    metadata: Mapping[str, Any],
) -> None:
    status = str(metadata.get("status") or "")
    judged_at = datetime.fromtimestamp(record.timestamp, tz=UTC)
    deadline = _instant(metadata.get("deadline"))
    late = metadata.get("late_by_minutes")
    verdict = SlaVerdictFacts(
        product=product.name,
        partition=partition,
        status=status,
        judged_at=judged_at,
        deadline=deadline,
        published_at=_instant(metadata.get("published_at")),
        failed_before=status == "late"
        and _failed_before(tick.instance, record, tick.key_of[product.name], partition),
        late_by_minutes=late if isinstance(late, (int, float)) else None,
    )

    waiting_for = upstream_periods(tick.mesh, read_waiting(metadata), tick.dagster_url)

    def incident(opened_at: datetime) -> Incident:
        opened = incident_for(
            tick.mesh,
            product,
            "sla_missed",
            opened_at=opened_at,
            dagster_url=tick.dagster_url,
            partition=partition,
            deadline=deadline,
        )
        return opened.model_copy(update={"waiting_for": waiting_for})

    tick.book = apply_sla_verdict(tick.book, verdict, incident)


def _failed_before(
    instance: DagsterInstance, record: EventLogRecord, key: AssetKey, partition: str | None
) -> bool:
    """Return whether a `missed` or `late` verdict on the period was recorded before this one."""
    partition_filter = PartitionKeyFilter(key=partition) if partition is not None else None
    history = instance.event_log_storage.get_asset_check_execution_history(
        AssetCheckKey(key, SLA_CHECK), limit=_VERDICT_HISTORY, partition_filter=partition_filter
    )
    for execution in history:
        event = execution.event.dagster_event if execution.event else None
        evaluation = event.event_specific_data if event else None
        if (
            execution.event is not None
            and execution.event.timestamp < record.timestamp
            and isinstance(evaluation, AssetCheckEvaluation)
            and evaluation.metadata.get("status") is not None
            and evaluation.metadata["status"].value in ("missed", "late")
        ):
            return True
    return False


def _failed_error_check(instance: DagsterInstance, run_id: str, key: AssetKey) -> bool:
    records = instance.get_records_for_run(
        run_id=run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    for found in records:
        event = found.event_log_entry.dagster_event
        evaluation = event.event_specific_data if event else None
        if (
            isinstance(evaluation, AssetCheckEvaluation)
            and evaluation.asset_key == key
            and not evaluation.passed
            and evaluation.severity == AssetCheckSeverity.ERROR
        ):
            return True
    return False


def _step_failure(tick: _Tick, record: EventLogRecord) -> None:
    step = record.event_log_entry.step_key or ""
    product = tick.by_op.get(step)
    if product is None:
        return
    run_id = record.event_log_entry.run_id
    if _failed_error_check(tick.instance, run_id, tick.key_of[product.name]):
        return  # a failed blocking check is its own incident, not also a failed run
    partition = _partition_of(tick.instance, record)
    tick.open(product, "run_failed", partition=partition, details={"run_id": run_id})


def _materialization(tick: _Tick, record: EventLogRecord) -> None:
    event = record.event_log_entry.dagster_event
    assert event is not None
    product = tick.by_key.get(event.asset_key) if event.asset_key else None
    if product is not None:
        at = datetime.fromtimestamp(record.timestamp, tz=UTC)
        tick.resolve(product, event.partition, "run_failed", at=at)


def build_alert_sensor(
    mesh: Mesh, products: Sequence[ProductSpecs], senders: Mapping[str, Sender]
) -> SensorDefinition:
    """Return the sensor that opens, resolves and notifies incidents."""
    by_key = {item.asset.key: item.product for item in products}
    by_op = {op_name(item.product): item.product for item in products}
    key_of = {item.product.name: item.asset.key for item in products}

    @sensor(
        name=SENSOR_NAME,
        minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.RUNNING,
        description="Turns SLA misses, failed checks and failed runs into incidents and notices.",
    )
    def _alerts(context: SensorEvaluationContext) -> SkipReason:
        require_cross_run_event_log(context.instance)  # its cursor spans runs
        now = get_current_datetime().astimezone(UTC)
        after = int(json.loads(context.cursor)["after"]) if context.cursor else -1
        store = InstanceBookStore(context.instance, SENSOR_NAME)
        book = store.load()
        # The book records the last event it applied, in the same write as the incidents:
        # events are applied once even when the tick dies before its cursor is stored.
        if book.read_until is not None:
            after = max(after, book.read_until)
        tick = _Tick(
            mesh,
            context.instance,
            book,
            by_key,
            by_op,
            key_of,
            now,
            dagster_url_of(mesh.policy, os.environ),
        )
        records = _records(context.instance, after)
        for record in records:
            event = record.event_log_entry.dagster_event
            assert event is not None
            if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                _check_event(tick, record)
            elif event.event_type == DagsterEventType.STEP_FAILURE:
                _step_failure(tick, record)
            else:
                _materialization(tick, record)
        if records:
            tick.book = tick.book.model_copy(update={"read_until": records[-1].storage_id})
        store.save(tick.book)
        book, report = deliver(tick.book, senders, now, checkpoint=store.save)
        store.save(book)
        for line in report.lines():
            context.log.info(line)
        if records:
            context.update_cursor(json.dumps({"after": records[-1].storage_id}))
        return SkipReason(
            f"{len(records)} events read; {len(book.open_incidents())} open incidents"
        )

    return _alerts
