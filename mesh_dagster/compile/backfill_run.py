"""Running a backfill's builds in-process, each a Dagster run recorded in the instance.

Each (product, period) is one run of the product's scheduled job (the job its schedule
starts, restricted to the product), or of an asset job of the product when it has no
schedule: runs, materializations and check results land in the instance exactly as a
scheduled build's do, with the time they really happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from dagster import (
    AssetCheckSeverity,
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    materialize,
)
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from mesh_dagster.compile.sla_sensor import first_publish
from mesh_dagster.compile.translator import MeshTranslator
from mesh_dagster.spec.backfill_plan import BackfillStep
from mesh_dagster.spec.input_periods import unpublished_input_periods
from mesh_dagster.spec.mesh import Mesh

StepStatus = Literal["published", "skipped", "blocked", "failed", "waiting"]
BLOCKED_KIND = "blocked_publish"
# The run's own log would repeat, with a traceback, what the outcome says in a sentence.
QUIET_RUN: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass(frozen=True)
class StepOutcome:
    """How one build went.

    ``details``: the failing error rules of a blocked build (``rule: what failed``), the
    reason of a failed one, or the input periods a waiting one needs.
    """

    step: BackfillStep
    status: StepStatus
    details: tuple[str, ...] = ()
    rows: int | None = None
    published_at: datetime | None = None
    run_id: str | None = None


class BackfillRunner:
    """Builds backfill steps of one mesh in one instance, without the daemon."""

    def __init__(
        self,
        mesh: Mesh,
        defs: Definitions,
        instance: DagsterInstance,
        translator: MeshTranslator | None = None,
    ) -> None:
        self.mesh = mesh
        self.defs = defs
        self.instance = instance
        self.translator = translator or MeshTranslator()

    def key_of(self, product: str) -> AssetKey:
        """Return the asset key of ``product``."""
        return self.translator.get_asset_key(self.mesh.product(product))

    def published_at(self, product: str, partition: str) -> datetime | None:
        """Return when ``partition`` of ``product`` was first published, if it was."""
        return first_publish(self.instance, self.key_of(product), partition)

    def missing_inputs(self, step: BackfillStep) -> list[str]:
        """Return the input periods ``step`` reads that are not published (``name key``)."""
        product = self.mesh.product(step.product)
        unpublished = unpublished_input_periods(
            self.mesh,
            product,
            step.period,
            lambda name, key: self.published_at(name, key) is not None,
        )
        return [str(needed) for needed in unpublished]

    def run(self, step: BackfillStep, *, force: bool = False) -> StepOutcome:
        """Build ``step`` unless it is already published (or ``force``); return the outcome."""
        published = self.published_at(step.product, step.period.key)
        if published is not None and not force:
            return StepOutcome(step, "skipped", published_at=published)
        missing = self.missing_inputs(step)
        if missing:
            return StepOutcome(step, "waiting", tuple(missing))
        return outcome_of(step, self.key_of(step.product), self._execute(step))

    def _job_of(self, key: AssetKey) -> str | None:
        for job in self.defs.jobs or []:
            if isinstance(job, UnresolvedAssetJobDefinition):
                resolved = self.defs.resolve_job_def(job.name)
                if key in resolved.asset_layer.executable_asset_keys:
                    return job.name
        return None

    def _execute(self, step: BackfillStep) -> ExecuteInProcessResult:
        key = self.key_of(step.product)
        partition = step.period.key
        job_name = self._job_of(key)
        if job_name is not None:
            return self.defs.resolve_job_def(job_name).execute_in_process(
                run_config=QUIET_RUN,
                instance=self.instance,
                partition_key=partition,
                asset_selection=[key],
                raise_on_error=False,
            )
        assets: Sequence[Any] = list(self.defs.assets or [])
        return materialize(
            assets,
            run_config=QUIET_RUN,
            instance=self.instance,
            partition_key=partition,
            resources=self.defs.resources,
            selection=[key],
            raise_on_error=False,
        )


def _failure_lines(description: str) -> tuple[str, ...]:
    """Return the rule lines (``- rule: text``) of a blocked publish's description."""
    lines = [line[2:] for line in description.splitlines() if line.startswith("- ")]
    return tuple(lines) or (description.splitlines()[0],)


def outcome_of(step: BackfillStep, key: AssetKey, result: ExecuteInProcessResult) -> StepOutcome:
    """Return the outcome of the run of ``step`` from its events."""
    run_id = result.run_id
    rows: int | None = None
    published = False
    failing: list[str] = []
    failure: StepOutcome | None = None
    for event in result.all_events:
        data: Any = event.event_specific_data
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            materialization = data.materialization
            if materialization.asset_key == key:
                published = True
                value = materialization.metadata.get("rows_written")
                rows = int(value.value) if value is not None else None
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            if not data.passed and data.severity == AssetCheckSeverity.ERROR:
                failing.append(data.check_name)
        elif event.event_type == DagsterEventType.STEP_FAILURE and failure is None:
            failure = _failure_outcome(step, data, run_id)
    if published:
        return StepOutcome(step, "published", rows=rows, run_id=run_id)
    if failure is not None:
        if failure.status == "blocked" and not failure.details:
            return StepOutcome(step, "blocked", tuple(failing), run_id=run_id)
        return failure
    reason = f"run {run_id} ended without publishing; see it in the Dagster UI"
    return StepOutcome(step, "failed", (reason,), run_id=run_id)


def _failure_outcome(step: BackfillStep, data: Any, run_id: str) -> StepOutcome:
    """Return a blocked or failed outcome from a step failure's data."""
    user = getattr(data, "user_failure_data", None)
    if user is not None and user.description:
        kind = user.metadata.get("mesh/failure_kind")
        if kind is not None and kind.value == BLOCKED_KIND:
            return StepOutcome(step, "blocked", _failure_lines(user.description), run_id=run_id)
        return StepOutcome(step, "failed", (user.description.splitlines()[0],), run_id=run_id)
    # Not a failure of ours: its message may quote data, so only its kind is shown.
    error = getattr(data, "error", None)
    kind_name = error.cls_name if error is not None and error.cls_name else "an error"
    return StepOutcome(
        step,
        "failed",
        (f"the build stopped with {kind_name}; see run {run_id} in the Dagster UI",),
        run_id=run_id,
    )
