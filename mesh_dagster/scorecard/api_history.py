"""The portable reader: Dagster's public event-log API, for any instance's storage.

Slower than ``sql_history`` (one deserialized event per check result, a query per check
and product), it serves event logs that are not SQL tables, and it is the reference the
fast reader is tested against.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from dagster import (
    AssetCheckKey,
    AssetCheckSeverity,
    AssetKey,
    AssetRecordsFilter,
    DagsterInstance,
)
from dagster._core.storage.asset_check_execution_record import (
    AssetCheckExecutionRecord,
    AssetCheckExecutionRecordStatus,
)

from mesh_dagster.compile.specs import SLA_CHECK
from mesh_dagster.scorecard.history import (
    ProductHistory,
    Publish,
    RuleEvaluation,
    VerdictEvent,
    compact_evaluations,
    compact_verdicts,
)
from mesh_dagster.scorecard.read_plan import (
    ORDER_SLACK,
    ReadPlan,
    published_by,
    timestamp_of,
    verdict_of,
)
from mesh_dagster.sla.upstream import WAITING_FOR

_PAGE = 1000
_DONE = (AssetCheckExecutionRecordStatus.SUCCEEDED, AssetCheckExecutionRecordStatus.FAILED)


def _executions(
    instance: DagsterInstance, key: AssetCheckKey, floor: datetime | None
) -> Iterator[AssetCheckExecutionRecord]:
    """Yield a check's executions, newest first, down to ``floor`` (None: all of them)."""
    cursor: int | None = None
    while True:
        page = instance.event_log_storage.get_asset_check_execution_history(
            key, limit=_PAGE, cursor=cursor
        )
        for record in page:
            if floor is not None and timestamp_of(record.create_timestamp) < floor:
                return
            yield record
        if len(page) < _PAGE:
            return
        cursor = page[-1].id


def _evaluated_at(record: AssetCheckExecutionRecord) -> datetime | None:
    return timestamp_of(record.event.timestamp) if record.event is not None else None


def _in_span(record: AssetCheckExecutionRecord, plan: ReadPlan) -> bool:
    at = _evaluated_at(record)
    return record.status in _DONE and at is not None and plan.start <= at < plan.until


def _verdicts(
    instance: DagsterInstance, key: AssetKey, plan: ReadPlan
) -> tuple[list[VerdictEvent], datetime | None]:
    """Return the SLA results in the span (oldest first), and the first one ever stored."""
    found: list[tuple[int, VerdictEvent]] = []
    first: AssetCheckExecutionRecord | None = None
    for record in _executions(instance, AssetCheckKey(key, SLA_CHECK), None):
        first = record
        evaluation = record.evaluation
        if not _in_span(record, plan) or evaluation is None or record.partition is None:
            continue
        status = evaluation.metadata.get("status")
        waiting = evaluation.metadata.get(WAITING_FOR)
        at = _evaluated_at(record)
        assert at is not None
        verdict = verdict_of(
            record.partition,
            evaluation.passed,
            status.value if status is not None and not evaluation.passed else None,
            evaluation.severity == AssetCheckSeverity.ERROR,
            at,
            waiting.value if waiting is not None else None,
        )
        found.append((record.id, verdict))
    first_at = _evaluated_at(first) if first is not None else None
    if first is not None and first_at is None:
        first_at = timestamp_of(first.create_timestamp)
    return [verdict for _, verdict in sorted(found, key=lambda item: item[0])], first_at


def _evaluations(
    instance: DagsterInstance, key: AssetKey, rules: frozenset[str], plan: ReadPlan
) -> list[RuleEvaluation]:
    found: list[tuple[int, RuleEvaluation]] = []
    floor = plan.start - ORDER_SLACK
    for rule in sorted(rules):
        for record in _executions(instance, AssetCheckKey(key, rule), floor):
            evaluation = record.evaluation
            at = _evaluated_at(record)
            if not _in_span(record, plan) or evaluation is None or at is None:
                continue
            passed = record.status == AssetCheckExecutionRecordStatus.SUCCEEDED
            found.append(
                (record.id, RuleEvaluation(record.partition, rule, passed, at, record.run_id))
            )
    return [evaluation for _, evaluation in sorted(found, key=lambda item: item[0])]


def _publishes(
    instance: DagsterInstance, key: AssetKey, plan: ReadPlan, observed: bool
) -> tuple[list[Publish], datetime | None]:
    """Return the publishes in the span (materializations, or passing observations of an
    externally built product), and the first materialization ever.
    """
    span = AssetRecordsFilter(
        asset_key=key,
        after_timestamp=plan.start.timestamp() - 1,
        before_timestamp=plan.until.timestamp() + 1,
    )
    found: list[tuple[int, Publish]] = []
    fetchers = [instance.fetch_materializations]
    if observed:
        fetchers.append(instance.fetch_observations)
    for fetch in fetchers:
        cursor: str | None = None
        while True:
            result = fetch(span, limit=_PAGE, cursor=cursor, ascending=True)
            for record in result.records:
                at = timestamp_of(record.timestamp)
                observation = record.asset_observation
                if plan.start <= at < plan.until and (
                    observation is None or published_by(observation)
                ):
                    found.append((record.storage_id, Publish(record.partition_key, at)))
            if not result.has_more:
                break
            cursor = result.cursor
    first = instance.fetch_materializations(key, limit=1, ascending=True).records
    publishes = [publish for _, publish in sorted(found, key=lambda item: item[0])]
    return publishes, timestamp_of(first[0].timestamp) if first else None


def read_api_history(instance: DagsterInstance, plan: ReadPlan) -> dict[str, ProductHistory]:
    """Return each product's history in the plan's span (without run failures)."""
    histories: dict[str, ProductHistory] = {}
    for name in sorted(plan.keys):
        key = plan.keys[name]
        verdicts, first_verdict = _verdicts(instance, key, plan)
        publishes, first_publish = _publishes(instance, key, plan, name in plan.observed)
        kept, passed = compact_evaluations(
            _evaluations(instance, key, plan.error_rules[name], plan)
        )
        seen = [moment for moment in (first_verdict, first_publish) if moment is not None]
        troubled, on_time = compact_verdicts(verdicts)
        histories[name] = ProductHistory(
            product=name,
            first_seen=min(seen) if seen else None,
            verdicts=troubled,
            on_time=on_time,
            evaluations=kept,
            passed_rules=passed,
            publishes=tuple(publishes),
        )
    return histories
