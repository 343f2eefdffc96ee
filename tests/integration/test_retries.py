"""Retries: a transient storage failure is retried and the run succeeds; terminal ones never are.

The build's transform is ``test_retries:order_events`` (this module): before returning its
rows it calls the test's hook, which stops the S3 server, starts it again, deletes the bucket
or returns rows that break a check. Attempts are counted from Dagster's event log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from dagster import (
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    build_sensor_context,
    materialize,
)
from deltalake import DeltaTable, write_deltalake
from fixtures.s3 import PRODUCTS_BUCKET, RestartableS3, S3Server
from spec_folder import DELETE, SpecFolder, dump_yaml, merge, product_data

from mesh_dagster import MeshResource, build_definitions, load_mesh
from mesh_dagster.alerts.instance_store import InstanceBookStore
from mesh_dagster.build.context import TransformContext
from mesh_dagster.compile.alert_sensor import SENSOR_NAME, build_alert_sensor
from mesh_dagster.compile.specs import build_asset_specs

pytestmark = pytest.mark.integration

DAY = "2026-03-10"
EVENTS = AssetKey(["orders", "order-events"])
DAILY = AssetKey(["orders", "orders-daily"])
STEP = "orders__order_events"
TABLE = "s3://data-platform/products/orders/order_events"

Hook = Callable[[int], Any]
"""Called with the attempt number (1, 2, ...) before the rows are returned; may replace them."""

_hook: list[Hook] = []
_attempts: list[int] = [0]


def order_events(context: TransformContext) -> Any:
    """Return three events of the period, after the test's hook had its say."""
    _attempts[0] += 1
    assert context.partition_start is not None
    rows = pa.table(
        {
            "event_id": ["e1", "e2", "e3"],
            "amount_usd": [10.0, 20.0, 30.0],
            "event_time": pa.array(
                [context.partition_start + timedelta(hours=hour) for hour in (1, 2, 3)],
                pa.timestamp("us", tz="UTC"),
            ),
        }
    )
    replaced = _hook[0](_attempts[0]) if _hook else None
    return rows if replaced is None else replaced


@pytest.fixture
def hook() -> Iterator[Callable[[Hook], None]]:
    """Return a setter of the transform's hook; attempts count from zero for each test."""
    _attempts[0] = 0
    _hook.clear()
    yield _hook.append
    _hook.clear()


def _events_product(**overrides: Any) -> dict[str, Any]:
    data = merge(
        product_data("order-events"),
        {
            "spec": {
                "schedule": {"cron": "0 5 * * *", "timezone": "UTC"},
                "sla": {"available_by": "05:45"},
                "partitioning": {"by": "day", "column": "event_time", "start": "2026-03-01"},
                "grain": ["event_id"],
                "schema": [
                    {"name": "event_id", "type": "string", "nullable": False},
                    {"name": "amount_usd", "type": "double", "nullable": False},
                    {"name": "event_time", "type": "timestamp", "nullable": False},
                ],
                "quality": {"custom_checks": ["amount_usd > 0"]},
            }
        },
    )
    data["spec"]["inputs"] = []
    data["spec"]["transform"] = {"python": "test_retries:order_events"}
    return merge(data, overrides)


@pytest.fixture
def retry_specs(specs: SpecFolder) -> Path:
    """Return a mesh of order-events and orders-daily retrying 3 times, 0.1 s apart."""
    specs.policy(retries={"attempts": 3, "delay": "0.1s"}, domains=DELETE, alert_channels=DELETE)
    specs.write("orders/order_events.yaml", dump_yaml(_events_product()))
    daily = merge(
        product_data("orders-daily", inputs=["order-events"]),
        {
            "spec": {
                "partitioning": {"column": "order_date", "start": "2026-03-01"},
                "transform": {
                    "sql": "select event_id as order_id, 'c' as customer_id, "
                    "cast(event_time as date) as order_date, amount_usd as revenue_usd "
                    "from order_events"
                },
            }
        },
    )
    specs.write("orders/orders_daily.yaml", dump_yaml(daily))
    return specs.root


def _defs(specs: Path, endpoint: str) -> Definitions:
    resource = MeshResource(storage_mode="s3", s3_endpoint=endpoint, s3_region="us-east-1")
    return build_definitions(specs, resources={"mesh": resource})


def _run(
    defs: Definitions, instance: DagsterInstance, key: AssetKey = EVENTS
) -> ExecuteInProcessResult:
    return materialize(
        list(defs.assets or []),
        selection=[key],
        partition_key=DAY,
        resources=defs.resources,
        instance=instance,
        raise_on_error=False,
    )


def _count(result: ExecuteInProcessResult, kind: DagsterEventType) -> int:
    return sum(1 for event in result.all_events if event.event_type == kind)


def _failure(result: ExecuteInProcessResult) -> tuple[str, dict[str, Any]]:
    (event,) = [event for event in result.all_events if event.is_step_failure]
    data = event.step_failure_data
    assert data is not None and data.user_failure_data is not None
    metadata = {key: value.value for key, value in data.user_failure_data.metadata.items()}
    return data.user_failure_data.description or "", metadata


def _rows(endpoint: str) -> pa.Table:
    options = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ALLOW_HTTP": "true",
        "AWS_REGION": "us-east-1",
    }
    return DeltaTable(TABLE, storage_options=options).to_pyarrow_table()


def test_s3_stopped_during_a_publish_and_started_again_is_retried_and_the_run_succeeds(
    retry_specs: Path,
    restartable_s3: RestartableS3,
    instance: DagsterInstance,
    pii_key: str,
    hook: Callable[[Hook], None],
) -> None:
    def outage(attempt: int) -> None:
        # The first attempt loses the store just before it publishes; the second has it back.
        if attempt == 1:
            restartable_s3.stop()
        else:
            restartable_s3.start()

    hook(outage)
    result = _run(_defs(retry_specs, restartable_s3.server.endpoint), instance)

    assert result.success
    assert _attempts[0] == 2
    assert _count(result, DagsterEventType.STEP_UP_FOR_RETRY) == 1
    assert _count(result, DagsterEventType.STEP_RESTARTED) == 1
    assert _count(result, DagsterEventType.STEP_FAILURE) == 0
    assert sorted(_rows(restartable_s3.server.endpoint).column("event_id").to_pylist()) == [
        "e1",
        "e2",
        "e3",
    ]
    (retry,) = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_UP_FOR_RETRY]
    cause = retry.event_specific_data.error.cause  # type: ignore[union-attr]
    assert cause.message.startswith(
        f"dagster._core.definitions.events.Failure: cannot reach the S3 endpoint "
        f"{restartable_s3.server.endpoint} for {TABLE}. Nothing was published; this is usually "
        "temporary, so the run can be retried."
    )


def test_an_outage_outlasting_every_attempt_fails_once_and_opens_one_incident(
    retry_specs: Path,
    restartable_s3: RestartableS3,
    instance: DagsterInstance,
    pii_key: str,
    hook: Callable[[Hook], None],
) -> None:
    hook(lambda attempt: restartable_s3.stop())
    result = _run(_defs(retry_specs, restartable_s3.server.endpoint), instance)

    assert not result.success
    assert _attempts[0] == 3  # policy: 3 attempts in all
    assert _count(result, DagsterEventType.STEP_UP_FOR_RETRY) == 2
    assert _count(result, DagsterEventType.STEP_FAILURE) == 1
    description, metadata = _failure(result)
    assert description.startswith(f"cannot reach the S3 endpoint {restartable_s3.server.endpoint}")
    assert metadata == {"mesh/failure_kind": "storage_unreachable", "mesh/transient": True}
    # run_failed opens once, after the last attempt: the retries are not failures.
    mesh = load_mesh(retry_specs)
    sensor = build_alert_sensor(mesh, build_asset_specs(mesh), {})
    sensor(build_sensor_context(instance=instance))
    incidents = InstanceBookStore(instance, SENSOR_NAME).load().open_incidents()
    assert [(i.product, i.partition, i.kind) for i in incidents] == [
        ("order-events", DAY, "run_failed")
    ]


def _delete_bucket(s3: S3Server) -> Hook:
    def delete(attempt: int) -> None:
        client = s3.client()
        for key in s3.keys(PRODUCTS_BUCKET):
            client.delete_object(Bucket=PRODUCTS_BUCKET, Key=key)
        client.delete_bucket(Bucket=PRODUCTS_BUCKET)

    return delete


def _conflicting_table(s3: S3Server) -> Hook:
    def publish_strings(attempt: int) -> None:
        # Someone published amount_usd as strings: the build's doubles are a breaking change.
        table = pa.table({"event_id": ["x"], "amount_usd": ["1"], "event_time": [None]})
        options = {"AWS_ENDPOINT_URL": s3.endpoint, "AWS_ALLOW_HTTP": "true"}
        write_deltalake(TABLE, table.cast(_STRING_SCHEMA), storage_options=options)

    return publish_strings


_STRING_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("amount_usd", pa.string()),
        ("event_time", pa.timestamp("us", tz="UTC")),
    ]
)


TERMINAL: list[tuple[str, Callable[[S3Server], Hook], AssetKey, str, str]] = [
    (
        "missing bucket",
        _delete_bucket,
        EVENTS,
        "storage_missing_bucket",
        f"cannot use {TABLE}: the bucket 'data-platform' does not exist at the S3 endpoint "
        "{endpoint}. Create the bucket, or correct spec.output.location.",
    ),
    (
        "blocked publish",
        lambda s3: (
            lambda attempt: pa.table(
                {
                    "event_id": ["e1"],
                    "amount_usd": [-1.0],
                    "event_time": pa.array([pa.scalar(0, pa.timestamp("us", tz="UTC")).as_py()]),
                }
            )
        ),
        EVENTS,
        "blocked_publish",
        "'order-events' was not published for 2026-03-10: ",
    ),
    (
        "transform failure",
        lambda s3: lambda attempt: "not a table",
        EVENTS,
        "transform_failed",
        "the transform 'test_retries:order_events' returned str; expected a pandas DataFrame "
        "or a pyarrow Table",
    ),
    (
        "refused schema change",
        _conflicting_table,
        EVENTS,
        "schema_change_refused",
        f"refusing to change the schema of {TABLE} (amount_usd: string -> double). Only new "
        "nullable columns are added automatically; run `mesh impact` to see who a breaking "
        "change affects.",
    ),
    (
        "missing input",
        lambda s3: lambda attempt: None,
        DAILY,
        "missing_input",
        "orders-daily 2026-03-10 was not built: its input order-events 2026-03-10 is not "
        "published yet; the mesh_inputs_ready sensor builds it once it is, or build "
        "order-events 2026-03-10 first.",
    ),
]


@pytest.mark.parametrize(
    ("make_hook", "key", "kind", "message"),
    [case[1:] for case in TERMINAL],
    ids=[case[0] for case in TERMINAL],
)
def test_a_terminal_failure_is_not_retried(
    retry_specs: Path,
    s3_env: S3Server,
    instance: DagsterInstance,
    pii_key: str,
    hook: Callable[[Hook], None],
    make_hook: Callable[[S3Server], Hook],
    key: AssetKey,
    kind: str,
    message: str,
) -> None:
    hook(make_hook(s3_env))
    result = _run(_defs(retry_specs, s3_env.endpoint), instance, key)

    assert not result.success
    assert _count(result, DagsterEventType.STEP_UP_FOR_RETRY) == 0
    assert _count(result, DagsterEventType.STEP_FAILURE) == 1
    description, metadata = _failure(result)
    assert description.startswith(message.format(endpoint=s3_env.endpoint))
    assert metadata == {"mesh/failure_kind": kind, "mesh/transient": False}
