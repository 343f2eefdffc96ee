"""The example mesh's generators: deterministic, inside their window, shaped like their specs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from mesh_dagster.build.context import TransformContext
from mesh_dagster.spec import Mesh, load_mesh
from mesh_dagster.spec.periods import period_for_key
from mesh_demo import generators
from mesh_demo.generators import EventStream, generate_events
from mesh_demo.world import HOUR_US, simulate_hour, to_micros

SPECS = Path(__file__).resolve().parents[2] / "specs"
Generator = Callable[[TransformContext], pa.Table]
GENERATORS: dict[str, Generator] = {
    "order-events": generators.order_events,
    "payment-events": generators.payment_events,
    "shipment-events": generators.shipment_events,
}
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}


@pytest.fixture(scope="module")
def mesh() -> Mesh:
    return load_mesh(SPECS)


def context(mesh: Mesh, name: str, key: str, timezone: str = "UTC") -> TransformContext:
    period = period_for_key(key, "day", timezone)
    return TransformContext(mesh.product(name), {}, key, period.start, period.end)


@pytest.fixture(scope="module")
def new_year(mesh: Mesh) -> dict[str, pa.Table]:
    """Return each raw product's table of 2026-01-01 (UTC), generated once for the module."""
    return {
        name: generate(context(mesh, name, "2026-01-01")) for name, generate in GENERATORS.items()
    }


def times(table: pa.Table) -> list[datetime]:
    values: list[object] = table.column("event_time").to_pylist()
    moments = [value for value in values if isinstance(value, datetime)]
    assert len(moments) == len(values)
    return moments


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_the_same_key_gives_the_same_rows(
    mesh: Mesh, new_year: dict[str, pa.Table], name: str
) -> None:
    again = GENERATORS[name](context(mesh, name, "2026-01-01"))

    assert new_year[name].num_rows > 0
    assert again.equals(new_year[name])


def test_another_key_gives_other_rows(mesh: Mesh, new_year: dict[str, pa.Table]) -> None:
    other = GENERATORS["order-events"](context(mesh, "order-events", "2026-01-02"))

    assert set(other["event_id"].to_pylist()).isdisjoint(
        new_year["order-events"]["event_id"].to_pylist()
    )


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_the_schema_is_the_specs(mesh: Mesh, new_year: dict[str, pa.Table], name: str) -> None:
    table = new_year[name]
    columns = mesh.product(name).spec.columns

    assert table.schema.names == [column.name for column in columns]
    assert [field.type for field in table.schema] == [ARROW_TYPES[c.type] for c in columns]


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_declared_non_nullable_columns_are_filled(
    mesh: Mesh, new_year: dict[str, pa.Table], name: str
) -> None:
    table = new_year[name]
    product = mesh.product(name)
    required = [column.name for column in product.spec.columns if not column.nullable]
    complete = table.select(required).drop_null().num_rows

    assert complete / table.num_rows >= product.spec.quality.completeness_threshold


def _assert_fills_the_window(table: pa.Table, start: datetime, end: datetime) -> None:
    event_times = times(table)
    assert table.num_rows > 0
    assert all(start <= moment < end for moment in event_times)
    assert event_times == sorted(event_times)
    # The window is filled to its edges, not just its first 24 hours or its UTC day.
    assert min(event_times) - start < timedelta(hours=1)
    assert end - max(event_times) < timedelta(hours=1)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_rows_fall_inside_the_day(mesh: Mesh, new_year: dict[str, pa.Table], name: str) -> None:
    run = context(mesh, name, "2026-01-01")
    assert run.partition_start is not None and run.partition_end is not None

    _assert_fills_the_window(new_year[name], run.partition_start, run.partition_end)


@pytest.mark.parametrize(
    ("name", "key", "timezone", "hours"),
    [
        ("order-events", "2026-03-08", "America/New_York", 23),  # DST starts
        ("payment-events", "2026-11-01", "America/New_York", 25),  # DST ends
        ("shipment-events", "2026-03-29", "Europe/Berlin", 23),
    ],
)
def test_rows_fall_inside_a_dst_day_of_another_timezone(
    mesh: Mesh, name: str, key: str, timezone: str, hours: int
) -> None:
    run = context(mesh, name, key, timezone)
    assert run.partition_start is not None and run.partition_end is not None
    start, end = run.partition_start, run.partition_end
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=hours)

    _assert_fills_the_window(GENERATORS[name](run), start, end)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_adjacent_windows_split_the_same_events(new_year: dict[str, pa.Table], name: str) -> None:
    # Every order is simulated once, by its UTC hour: windows agree on where events fall.
    stream = generators.STREAMS[name]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    middle, end = start + timedelta(hours=9, minutes=17), start + timedelta(days=1)
    parts = [generate_events(stream, start, middle), generate_events(stream, middle, end)]

    assert pa.concat_tables(parts).equals(new_year[name])


@pytest.mark.parametrize("stream", list(generators.STREAMS.values()), ids=list(generators.STREAMS))
def test_the_lookback_covers_every_lifecycle(stream: EventStream) -> None:
    # A window reads the orders of the hours up to `lookback` before it: no event may come later.
    first = to_micros(datetime(2026, 5, 2, tzinfo=UTC))
    for hour_us in range(first, first + 24 * HOUR_US, HOUR_US):
        events = stream.select(simulate_hour(hour_us))
        latest = max(at for event in events if isinstance(at := event["event_time"], int))
        assert latest < hour_us + HOUR_US + stream.lookback_us


def test_volumes_are_realistic_and_vary_by_weekday(mesh: Mesh) -> None:
    monday = GENERATORS["order-events"](context(mesh, "order-events", "2026-01-05"))
    saturday = GENERATORS["order-events"](context(mesh, "order-events", "2026-01-10"))

    assert 3_000 < monday.num_rows < saturday.num_rows < 8_000


def test_payments_capture_the_completed_orders_with_a_few_mismatches(
    new_year: dict[str, pa.Table],
) -> None:
    orders, payments = new_year["order-events"], new_year["payment-events"]
    completed = set(orders.filter(pc.equal(orders["status"], "completed"))["order_id"].to_pylist())
    captures = payments.filter(
        pc.and_(pc.equal(payments["event_type"], "captured"), pc.invert(payments["is_test"]))
    )
    captured = set(captures["order_id"].to_pylist())

    assert len(completed & captured) > 0.99 * len(completed)
    assert completed != captured


def test_raw_pii_is_emitted_in_clear(new_year: dict[str, pa.Table]) -> None:
    # Hashing and masking are the platform's job at publish time, not the generator's.
    orders = new_year["order-events"]
    customers = [value for value in orders["customer_id"].to_pylist() if value is not None]
    emails = [value for value in orders["customer_email"].to_pylist() if value is not None]

    assert all(value[0] == "C" and value[1:].isdigit() for value in customers)
    assert all("@" in value and "*" not in value for value in emails)


def test_a_run_without_a_partition_is_refused(mesh: Mesh) -> None:
    unpartitioned = TransformContext(mesh.product("order-events"))

    with pytest.raises(ValueError, match="run it for a partition"):
        generators.order_events(unpartitioned)


def test_the_window_must_be_timezone_aware() -> None:
    naive = datetime(2026, 1, 1)

    with pytest.raises(ValueError, match="timezone-aware"):
        generate_events(generators.ORDER_EVENTS, naive, naive + timedelta(days=1))


def test_the_generators_do_not_import_dagster() -> None:
    code = (
        "import sys, mesh_demo.generators; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'dagster'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )

    assert result.stdout.strip() == "[]"
