"""The raw event products' ``python:`` transforms: each domain service's events of a period.

``order_events``, ``payment_events`` and ``shipment_events`` stand in for the Orders,
Payments and Shipments services (DESIGN section 8, "The example mesh"). Each returns the
events whose ``event_time`` falls in the run's window ``[partition_start, partition_end)``,
from the simulated shop in ``mesh_demo.world``: the same window always gives the same rows,
offline. PII is emitted in clear; the platform hashes, masks or redacts it before publishing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from mesh_dagster.build.context import TransformContext
from mesh_demo.world import (
    HOUR_US,
    ORDER_LOOKBACK_US,
    PAYMENT_LOOKBACK_US,
    SHIPMENT_LOOKBACK_US,
    HourOfBusiness,
    Row,
    event_id,
    simulate_hour,
    to_micros,
)

TIMESTAMP = pa.timestamp("us", tz="UTC")

ORDER_EVENTS_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("order_id", pa.string()),
        ("customer_id", pa.string()),
        ("customer_email", pa.string()),
        ("client_ip", pa.string()),
        ("sales_channel", pa.string()),
        ("status", pa.string()),
        ("amount_usd", pa.float64()),
        ("event_time", TIMESTAMP),
        ("completed_at", TIMESTAMP),
    ]
)
PAYMENT_EVENTS_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("payment_id", pa.string()),
        ("order_id", pa.string()),
        ("customer_id", pa.string()),
        ("cardholder_name", pa.string()),
        ("event_type", pa.string()),
        ("payment_method", pa.string()),
        ("amount_usd", pa.float64()),
        ("failure_reason", pa.string()),
        ("is_test", pa.bool_()),
        ("event_time", TIMESTAMP),
    ]
)
SHIPMENT_EVENTS_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("shipment_id", pa.string()),
        ("order_id", pa.string()),
        ("customer_id", pa.string()),
        ("carrier", pa.string()),
        ("status", pa.string()),
        ("promised_date", pa.date32()),
        ("delivery_address", pa.string()),
        ("event_time", TIMESTAMP),
    ]
)


@dataclass(frozen=True)
class EventStream:
    """One domain's event stream: its columns, and where its events come from."""

    name: str
    schema: pa.Schema
    lookback_us: int
    """How long after an order is placed its last event of this stream can come."""
    select: Callable[[HourOfBusiness], list[Row]]


ORDER_EVENTS = EventStream(
    "order-events", ORDER_EVENTS_SCHEMA, ORDER_LOOKBACK_US, lambda hour: hour.order_events
)
PAYMENT_EVENTS = EventStream(
    "payment-events", PAYMENT_EVENTS_SCHEMA, PAYMENT_LOOKBACK_US, lambda hour: hour.payment_events
)
SHIPMENT_EVENTS = EventStream(
    "shipment-events",
    SHIPMENT_EVENTS_SCHEMA,
    SHIPMENT_LOOKBACK_US,
    lambda hour: hour.shipment_events,
)
STREAMS = {stream.name: stream for stream in (ORDER_EVENTS, PAYMENT_EVENTS, SHIPMENT_EVENTS)}


def generate_events(stream: EventStream, start: datetime, end: datetime) -> pa.Table:
    """Return the stream's events with ``start <= event_time < end``, oldest first.

    ``start`` and ``end`` are aware datetimes in any timezone; they are compared as instants,
    so a 23- or 25-hour day around a DST change gets exactly its own events.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("the window needs timezone-aware datetimes")
    start_us, end_us = to_micros(start), to_micros(end)
    # Every hour whose orders can still have events of this stream inside the window.
    first_hour = (start_us - stream.lookback_us) // HOUR_US * HOUR_US
    rows = [
        {**row, "event_id": event_id(str(row["event_key"]))}
        for hour_us in range(first_hour, end_us, HOUR_US)
        for row in stream.select(simulate_hour(hour_us))
        if start_us <= _micros(row["event_time"]) < end_us
    ]
    rows.sort(key=lambda row: (_micros(row["event_time"]), str(row["event_id"])))
    return pa.Table.from_pylist(rows, schema=stream.schema)


def _micros(value: object) -> int:
    assert isinstance(value, int), "event times are microseconds since the epoch"
    return value


def _events_of_period(stream: EventStream, context: TransformContext) -> pa.Table:
    start, end = context.partition_start, context.partition_end
    if start is None or end is None:
        raise ValueError(
            f"{context.product.name} is generated one period at a time; "
            "run it for a partition (its spec needs spec.partitioning)."
        )
    return generate_events(stream, start, end)


def order_events(context: TransformContext) -> pa.Table:
    """Return the Orders service's events of the run's period: created, completed, cancelled."""
    return _events_of_period(ORDER_EVENTS, context)


def payment_events(context: TransformContext) -> pa.Table:
    """Return the Payments service's events of the run's period: authorized, captured, ..."""
    return _events_of_period(PAYMENT_EVENTS, context)


def shipment_events(context: TransformContext) -> pa.Table:
    """Return the Shipments service's carrier events of the run's period."""
    return _events_of_period(SHIPMENT_EVENTS, context)
