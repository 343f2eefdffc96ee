"""S3 mode against a real S3 server (SeaweedFS): publish, re-run, concurrent writers, failures."""

from __future__ import annotations

import multiprocessing
import signal
import time
from datetime import UTC, date, datetime, timedelta

import botocore.exceptions
import pyarrow as pa
import pytest
from fixtures.s3 import PRODUCTS_BUCKET, S3Server
from fixtures.servers import STOP_GRACE_SECONDS, free_ports

from mesh_dagster.io.delta import PeriodFilter, read_rows, write_period
from mesh_dagster.io.errors import StorageError
from mesh_dagster.io.locations import StorageSettings, resolve_location, storage_options
from mesh_dagster.spec.periods import Period

pytestmark = pytest.mark.integration

LOCATION = "s3://data-platform/products/orders/orders_daily/"
PREFIX = "products/orders/orders_daily/"
WRITER_SECONDS = 120.0


def day_filter(day: date) -> PeriodFilter:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return PeriodFilter("order_date", True, Period(day.isoformat(), start, start + timedelta(1)))


def orders(day: date, count: int = 3, revenue: float = 10.0) -> pa.Table:
    return pa.table(
        {
            "order_id": [f"{day:%m%d}-{n}" for n in range(count)],
            "order_date": pa.array([day] * count, pa.date32()),
            "revenue_usd": [revenue + n for n in range(count)],
        }
    )


def settings_for(server: S3Server, endpoint: str | None = None) -> StorageSettings:
    return StorageSettings(
        mode="s3", s3_endpoint=endpoint or server.endpoint, s3_region="us-east-1"
    )


def publish(server: S3Server, table: pa.Table, day: date, endpoint: str | None = None) -> int:
    settings = settings_for(server, endpoint)
    uri = resolve_location(LOCATION, settings)
    return write_period(table, uri, storage_options(uri, settings), day_filter(day))


def test_the_s3_server_enforces_conditional_puts(s3_env: S3Server) -> None:
    client = s3_env.client()
    key = "conditional/00000000000000000000.json"
    client.put_object(Bucket=PRODUCTS_BUCKET, Key=key, Body=b"first", IfNoneMatch="*")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        client.put_object(Bucket=PRODUCTS_BUCKET, Key=key, Body=b"second", IfNoneMatch="*")
    assert refused.value.response["Error"]["Code"] == "PreconditionFailed"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    with pytest.raises(botocore.exceptions.ClientError) as stale:
        client.put_object(Bucket=PRODUCTS_BUCKET, Key=key, Body=b"third", IfMatch='"0000"')
    assert stale.value.response["Error"]["Code"] == "PreconditionFailed"
    body = client.get_object(Bucket=PRODUCTS_BUCKET, Key=key)["Body"].read()
    assert body == b"first"


def test_s3_mode_keeps_real_uris_and_pins_conditional_puts(s3_env: S3Server) -> None:
    settings = settings_for(s3_env)
    uri = resolve_location(LOCATION, settings)
    assert uri == "s3://data-platform/products/orders/orders_daily"
    options = storage_options(uri, settings)
    assert options == {
        "conditional_put": "etag",
        "AWS_FORCE_CREDENTIAL_LOAD": "true",
        "AWS_ENDPOINT_URL": s3_env.endpoint,
        "AWS_ALLOW_HTTP": "true",
        "AWS_REGION": "us-east-1",
    }
    assert not any("SECRET" in key or "ACCESS_KEY" in key for key in options)


def test_a_period_is_published_to_the_bucket(s3_env: S3Server) -> None:
    day = date(2026, 3, 1)
    version = publish(s3_env, orders(day), day)

    assert version == 0
    keys = s3_env.keys(PRODUCTS_BUCKET, PREFIX)
    assert f"{PREFIX}_delta_log/00000000000000000000.json" in keys
    assert any(key.startswith(f"{PREFIX}order_date=2026-03-01/") for key in keys)
    settings = settings_for(s3_env)
    uri = resolve_location(LOCATION, settings)
    rows = read_rows(uri, storage_options(uri, settings), day_filter(day))
    assert rows is not None
    assert sorted(rows.column("order_id").to_pylist()) == ["0301-0", "0301-1", "0301-2"]


def test_a_rerun_replaces_the_period_and_keeps_the_others(s3_env: S3Server) -> None:
    first, second = date(2026, 3, 1), date(2026, 3, 2)
    publish(s3_env, orders(first), first)
    publish(s3_env, orders(second, count=2), second)

    version = publish(s3_env, orders(first, revenue=99.0), first)

    assert version == 2
    settings = settings_for(s3_env)
    uri = resolve_location(LOCATION, settings)
    rows = read_rows(uri, storage_options(uri, settings), None)
    assert rows is not None
    by_day = {d: rows.filter(pa.compute.equal(rows["order_date"], d)) for d in (first, second)}
    assert by_day[first].num_rows == 3
    assert sorted(by_day[first].column("revenue_usd").to_pylist()) == [99.0, 100.0, 101.0]
    assert by_day[second].num_rows == 2
    logs = [key for key in s3_env.keys(PRODUCTS_BUCKET, PREFIX) if "_delta_log/" in key]
    assert [key.rsplit("/", 1)[1] for key in logs] == [
        "00000000000000000000.json",
        "00000000000000000001.json",
        "00000000000000000002.json",
    ]


def write_in_process(endpoint: str, day: date, start: object, results: object) -> None:
    """Publish one period from a spawned process, as soon as every writer is ready.

    The parent may ignore SIGINT and SIGTERM (Dagster maps SIGTERM to SIGINT's handler),
    and a spawned child inherits ignored signals: restore the defaults first.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    settings = StorageSettings(mode="s3", s3_endpoint=endpoint, s3_region="us-east-1")
    uri = resolve_location(LOCATION, settings)
    table = orders(day)
    start.wait(timeout=WRITER_SECONDS)  # type: ignore[attr-defined]
    version = write_period(table, uri, storage_options(uri, settings), day_filter(day))
    results.put(version)  # type: ignore[attr-defined]


def run_writers(endpoint: str, days: list[date]) -> list[int]:
    """Return the versions that spawned writers published, one per day, stopping them all.

    Every child is stopped whatever happens: terminated, then killed after a grace period.
    """
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(days))
    results = context.SimpleQueue()
    writers = [
        context.Process(target=write_in_process, args=(endpoint, day, start, results))
        for day in days
    ]
    try:
        for writer in writers:
            writer.start()
        deadline = time.monotonic() + WRITER_SECONDS
        for writer in writers:
            writer.join(timeout=max(0.0, deadline - time.monotonic()))
        codes = [writer.exitcode for writer in writers]
        assert codes == [0] * len(days), f"writers ended with {codes} (None: still running)"
        return [results.get() for _ in days]
    finally:
        for writer in writers:
            if writer.is_alive():
                writer.terminate()
                writer.join(timeout=STOP_GRACE_SECONDS)
            if writer.is_alive():
                writer.kill()
                writer.join(timeout=STOP_GRACE_SECONDS)
        results.close()


def test_concurrent_writers_of_different_periods_both_land(s3_env: S3Server) -> None:
    # deltalake must not run in a forked process: spawn. Both create the table at once, so
    # one loses the conditional put of version 0 and commits on top of the other.
    days = [date(2026, 3, 1), date(2026, 3, 2)]
    versions = run_writers(s3_env.endpoint, days)

    assert sorted(versions) == [0, 1]
    settings = settings_for(s3_env)
    uri = resolve_location(LOCATION, settings)
    rows = read_rows(uri, storage_options(uri, settings), None)
    assert rows is not None
    assert sorted(set(rows.column("order_date").to_pylist())) == days
    assert rows.num_rows == 6


def test_a_missing_bucket_is_a_terminal_error(s3_env: S3Server) -> None:
    settings = settings_for(s3_env)
    uri = "s3://no-such-bucket/products/orders/orders_daily"
    day = date(2026, 3, 1)

    with pytest.raises(StorageError) as raised:
        write_period(orders(day), uri, storage_options(uri, settings), day_filter(day))

    assert str(raised.value) == (
        f"cannot use {uri}: the bucket 'no-such-bucket' does not exist at the S3 endpoint "
        f"{s3_env.endpoint}. Create the bucket, or correct spec.output.location."
    )
    assert (raised.value.reason, raised.value.transient) == ("missing_bucket", False)
    buckets = {item["Name"] for item in s3_env.client().list_buckets()["Buckets"]}
    assert "no-such-bucket" not in buckets


def test_missing_credentials_are_a_terminal_error(
    s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    day = date(2026, 3, 1)

    with pytest.raises(StorageError) as raised:
        publish(s3_env, orders(day), day)

    assert str(raised.value) == (
        "cannot use s3://data-platform/products/orders/orders_daily: no AWS credentials were "
        "found. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with "
        "an IAM role."
    )
    assert (raised.value.reason, raised.value.transient) == ("missing_credentials", False)
    assert s3_env.keys(PRODUCTS_BUCKET, PREFIX) == []


def test_rejected_credentials_are_a_terminal_error(
    s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    day = date(2026, 3, 1)

    with pytest.raises(StorageError) as raised:
        publish(s3_env, orders(day), day)

    assert str(raised.value) == (
        "cannot use s3://data-platform/products/orders/orders_daily: the S3 endpoint "
        f"{s3_env.endpoint} rejected the AWS credentials (SignatureDoesNotMatch). "
        "Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the role in use)."
    )
    assert "not-the-secret" not in str(raised.value)
    assert (raised.value.reason, raised.value.transient) == ("invalid_credentials", False)
    assert s3_env.keys(PRODUCTS_BUCKET, PREFIX) == []


def test_an_unreachable_endpoint_is_a_transient_error(s3_env: S3Server) -> None:
    (port,) = free_ports(1)  # nothing listens there
    endpoint = f"http://127.0.0.1:{port}"
    day = date(2026, 3, 1)

    with pytest.raises(StorageError) as raised:
        publish(s3_env, orders(day), day, endpoint=endpoint)

    assert str(raised.value) == (
        f"cannot reach the S3 endpoint {endpoint} for "
        "s3://data-platform/products/orders/orders_daily. Nothing was published; this is "
        "usually temporary, so the run can be retried. Check MESH_S3_ENDPOINT if it persists."
    )
    assert (raised.value.reason, raised.value.transient) == ("unreachable", True)
    assert s3_env.keys(PRODUCTS_BUCKET, PREFIX) == []
