"""A simulated shop: every order placed in one UTC hour, with its payment and shipment events.

Each UTC hour is simulated from its own seed, so an order's whole lifecycle is the same
whichever partition, timezone or domain asks for it: a payment captured just after midnight
belongs to the next day in every view of the mesh. Only ``random.Random.random`` is drawn
from, the one stream Python keeps stable across versions, so a date always gives the same
rows on any machine.
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

SECOND_US = 1_000_000
MINUTE_US = 60 * SECOND_US
HOUR_US = 60 * MINUTE_US
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

RowValue = str | int | float | bool | date | None
Row = dict[str, RowValue]
"""One event, keyed by column name; times are microseconds since the epoch (UTC).

Instead of an ``event_id`` an event carries its readable ``event_key`` (``order/<id>/created``);
``event_id`` turns it into the published id, only for the events a window keeps."""

DAILY_ORDERS = 2_400
WEEKDAY_FACTOR = (0.92, 0.95, 0.97, 1.0, 1.12, 1.28, 1.18)  # Monday .. Sunday
# Share of a day's orders placed in each UTC hour: quiet nights, an evening peak.
HOUR_WEIGHT = (
    1.2, 0.8, 0.5, 0.4, 0.4, 0.6, 1.2, 2.4, 3.6, 4.4, 4.8, 5.0,
    5.4, 5.6, 5.4, 5.2, 5.4, 6.0, 6.8, 7.4, 7.2, 6.0, 4.2, 2.4,
)  # fmt: skip

# Upper bounds of each lifecycle step; they bound how far back a window must look.
AUTHORIZE_MAX_US = 20 * SECOND_US
COMPLETE_MAX_US = HOUR_US
CANCEL_MAX_US = 2 * HOUR_US
CAPTURE_MAX_US = 10 * MINUTE_US
LABEL_MAX_US = 20 * HOUR_US
PICKUP_MAX_US = 30 * HOUR_US
TRANSIT_MAX_US = 96 * HOUR_US
EXCEPTION_DELAY_US = 24 * HOUR_US
DUPLICATE_MAX_US = 30 * SECOND_US

ORDER_LOOKBACK_US = AUTHORIZE_MAX_US + CANCEL_MAX_US + MINUTE_US
PAYMENT_LOOKBACK_US = ORDER_LOOKBACK_US + 2 * CAPTURE_MAX_US
SHIPMENT_LOOKBACK_US = (
    AUTHORIZE_MAX_US
    + COMPLETE_MAX_US
    + LABEL_MAX_US
    + PICKUP_MAX_US
    + TRANSIT_MAX_US
    + EXCEPTION_DELAY_US
    + DUPLICATE_MAX_US
    + MINUTE_US
)
"""How long after an order's creation its last event of each stream can come."""

CUSTOMERS = 40_000
SALES_CHANNELS = (("web", 0.55), ("ios", 0.25), ("android", 0.20))
PAYMENT_METHODS = (("card", 0.62), ("paypal", 0.20), ("apple_pay", 0.12), ("gift_card", 0.06))
FAILURE_REASONS = (
    ("card_declined", 0.5),
    ("insufficient_funds", 0.3),
    ("expired_card", 0.15),
    ("fraud_suspected", 0.05),
)
CARRIERS = (("ups", 0.35), ("fedex", 0.25), ("dhl", 0.25), ("usps", 0.15))
# Carrier transit time: a fixed part plus an exponential part with this mean (hours).
TRANSIT_HOURS = {"ups": (18, 22), "fedex": (16, 20), "dhl": (20, 26), "usps": (24, 30)}
PROMISED_DAYS = 4

FIRST_NAMES = (
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
    "Kemi", "Liam", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sami", "Tara",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Berg", "Costa", "Diaz", "Evans", "Fischer", "Garcia", "Haddad", "Ito",
    "Jensen", "Kim", "Lopez", "Moreau", "Novak", "Okafor", "Patel", "Rossi", "Silva",
    "Tanaka", "Weber",
)  # fmt: skip
STREETS = ("Main St", "Oak Ave", "Elm St", "Harbor Rd", "Mill Ln", "Park Blvd", "Hill St")
CITIES = ("Springfield", "Riverton", "Lakeside", "Fairview", "Greenville", "Brookfield")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

# The stand-in for a real-world incident: on some days an old Android release reports
# completed orders as 'COMPLETE' for an hour. orders-daily drops them (it keeps 'completed'),
# the order-events warn rule flags them, and the reconciliation shows their payments.
LEGACY_CLIENT_DAY_SHARE = 0.08
LEGACY_STATUS = "COMPLETE"

# Deliberate payment mismatches, as shares of completed orders.
CAPTURE_LOST_SHARE = 0.001
CAPTURE_DISCOUNTED_SHARE = 0.002
CAPTURE_DOUBLED_SHARE = 0.0005
GUEST_CREATED_SHARE = 0.002
SANDBOX_HOUR_SHARE = 0.25
DUPLICATE_SHIPMENT_EVENT_SHARE = 0.015
EXCEPTION_SHARE = 0.02


class Draws:
    """Random draws built on ``random()`` alone, seeded from a name."""

    def __init__(self, *seed: str) -> None:
        digest = hashlib.sha256("/".join(("mesh-demo", *seed)).encode()).digest()
        # Bound once: it is drawn from hundreds of thousands of times per generated day.
        self.unit: Callable[[], float] = random.Random(int.from_bytes(digest[:8], "big")).random
        """Return a uniform draw in [0, 1)."""

    def chance(self, share: float) -> bool:
        """Return True with probability ``share``."""
        return self.unit() < share

    def uniform(self, low: float, high: float) -> float:
        """Return a uniform draw in [low, high)."""
        return low + (high - low) * self.unit()

    def exponential(self, mean: float) -> float:
        """Return an exponential draw with the given mean."""
        return -mean * math.log(1.0 - self.unit())

    def normal(self) -> float:
        """Return a standard normal draw (Box-Muller)."""
        radius = math.sqrt(-2.0 * math.log(1.0 - self.unit()))
        return radius * math.cos(2.0 * math.pi * self.unit())

    def pick(self, shares: Sequence[tuple[str, float]]) -> str:
        """Return one of the names, each with its share of probability (shares sum to 1)."""
        target = self.unit()
        for name, share in shares:
            target -= share
            if target < 0:
                return name
        return shares[-1][0]


@dataclass
class HourOfBusiness:
    """The events of every order placed in one UTC hour, per domain stream."""

    order_events: list[Row] = field(default_factory=list)
    payment_events: list[Row] = field(default_factory=list)
    shipment_events: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class Customer:
    """A shop customer: the same id always has the same name, e-mail and address."""

    customer_id: str
    name: str
    email: str
    address: str


def customer(number: int) -> Customer:
    """Return customer ``number`` (1-based; 0 is the payment provider's test customer)."""
    first = FIRST_NAMES[number % len(FIRST_NAMES)]
    last = LAST_NAMES[(number // len(FIRST_NAMES)) % len(LAST_NAMES)]
    street = STREETS[number % len(STREETS)]
    city = CITIES[(number // len(STREETS)) % len(CITIES)]
    domain = EMAIL_DOMAINS[number % len(EMAIL_DOMAINS)]
    return Customer(
        customer_id=f"C{number:06d}",
        name=f"{first} {last}",
        email=f"{first.lower()}.{last.lower()}{number % 100}@{domain}",
        address=f"{100 + number % 900} {street}, {city}",
    )


def event_id(event_key: str) -> str:
    """Return the stable, UUID-formatted event id of the event called ``event_key``."""
    digest = hashlib.blake2b(event_key.encode(), digest_size=16).digest()
    return str(uuid.UUID(bytes=digest, version=4))


def to_datetime(micros: int) -> datetime:
    """Return the UTC instant ``micros`` microseconds after the epoch."""
    return EPOCH + timedelta(microseconds=micros)


def to_micros(moment: datetime) -> int:
    """Return an aware datetime as microseconds since the epoch."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def expected_orders(hour_us: int) -> float:
    """Return the mean number of orders placed in the UTC hour starting at ``hour_us``."""
    moment = to_datetime(hour_us)
    daily = DAILY_ORDERS * WEEKDAY_FACTOR[moment.weekday()]
    return daily * HOUR_WEIGHT[moment.hour] / sum(HOUR_WEIGHT)


def legacy_client_hour(day: date) -> int | None:
    """Return the UTC hour of ``day`` in which the old Android release misreports, if any."""
    draws = Draws("legacy-client", day.isoformat())
    if not draws.chance(LEGACY_CLIENT_DAY_SHARE):
        return None
    return int(draws.uniform(0, 24))


def simulate_hour(hour_us: int) -> HourOfBusiness:
    """Return the events of every order placed in the UTC hour starting at ``hour_us``."""
    assert hour_us % HOUR_US == 0, "hours start on the hour"
    moment = to_datetime(hour_us)
    draws = Draws("hour", moment.strftime("%Y-%m-%dT%H"))
    legacy = legacy_client_hour(moment.date()) == moment.hour
    rate = expected_orders(hour_us) / HOUR_US
    hour = HourOfBusiness()
    created_us, sequence = hour_us, 0
    while True:
        created_us += max(1, int(draws.exponential(1.0 / rate)))
        if created_us >= hour_us + HOUR_US:
            break
        sequence += 1
        order_id = f"ORD-{moment:%Y%m%d%H}-{sequence:04d}"
        _simulate_order(draws, hour, order_id, created_us, legacy)
    if draws.chance(SANDBOX_HOUR_SHARE):
        _sandbox_payment(draws, hour, moment, hour_us)
    return hour


@dataclass(frozen=True)
class _Order:
    """What every event of one order shares."""

    order_id: str
    buyer: Customer
    channel: str
    amount: float
    client_ip: str
    guest: bool
    method: str

    @property
    def payment_id(self) -> str:
        return f"PAY-{self.order_id.removeprefix('ORD-')}"


def _order_row(order: _Order, status: str, at_us: int, completed: bool) -> Row:
    anonymous = order.guest and status == "created"  # a guest checkout, signed in later
    return {
        "event_key": f"order/{order.order_id}/{status}",
        "order_id": order.order_id,
        "customer_id": None if anonymous else order.buyer.customer_id,
        "customer_email": None if anonymous else order.buyer.email,
        "client_ip": order.client_ip,
        "sales_channel": order.channel,
        "status": status,
        "amount_usd": order.amount,
        "event_time": at_us,
        "completed_at": at_us if completed else None,
    }


def _payment_row(
    order: _Order, kind: str, at_us: int, value: float, reason: str | None = None
) -> Row:
    return {
        "event_key": f"payment/{order.payment_id}/{kind}/{at_us}",
        "payment_id": order.payment_id,
        "order_id": order.order_id,
        "customer_id": order.buyer.customer_id,
        "cardholder_name": order.buyer.name,
        "event_type": kind,
        "payment_method": order.method,
        "amount_usd": value,
        "failure_reason": reason,
        "is_test": False,
        "event_time": at_us,
    }


def _simulate_order(
    draws: Draws, hour: HourOfBusiness, order_id: str, created_us: int, legacy: bool
) -> None:
    # The order of draws is part of the data: changing it changes every later row.
    order = _Order(
        order_id=order_id,
        buyer=customer(1 + int(CUSTOMERS * draws.unit() ** 1.6)),
        channel=draws.pick(SALES_CHANNELS),
        amount=max(1.0, round(math.exp(3.85 + 0.65 * draws.normal()), 2)),
        client_ip=f"198.51.100.{int(draws.uniform(1, 255))}",
        guest=draws.chance(GUEST_CREATED_SHARE),
        method=draws.pick(PAYMENT_METHODS),
    )
    outcome = draws.unit()
    authorized_us = created_us + int(draws.uniform(SECOND_US, AUTHORIZE_MAX_US))
    hour.order_events.append(_order_row(order, "created", created_us, False))
    if outcome < 0.015:
        reason = draws.pick(FAILURE_REASONS)
        cancelled_us = authorized_us + int(draws.uniform(5 * SECOND_US, MINUTE_US))
        hour.payment_events.append(
            _payment_row(order, "failed", authorized_us, order.amount, reason)
        )
        hour.order_events.append(_order_row(order, "cancelled", cancelled_us, False))
        return
    hour.payment_events.append(_payment_row(order, "authorized", authorized_us, order.amount))
    if outcome < 0.075:
        wait = min(int(draws.exponential(15 * MINUTE_US)), CANCEL_MAX_US - MINUTE_US)
        cancelled_us = authorized_us + 30 * SECOND_US + wait
        voided_us = cancelled_us + int(draws.uniform(SECOND_US, 30 * SECOND_US))
        hour.order_events.append(_order_row(order, "cancelled", cancelled_us, False))
        hour.payment_events.append(_payment_row(order, "voided", voided_us, order.amount))
        return
    wait = min(int(draws.exponential(4 * MINUTE_US)), COMPLETE_MAX_US - 30 * SECOND_US)
    completed_us = authorized_us + 30 * SECOND_US + wait
    status = LEGACY_STATUS if legacy and order.channel == "android" else "completed"
    hour.order_events.append(_order_row(order, status, completed_us, True))
    _capture(draws, hour, order, completed_us)
    _ship(draws, hour, order, completed_us)


def _capture(draws: Draws, hour: HourOfBusiness, order: _Order, completed_us: int) -> None:
    lag_us = min(2 * SECOND_US + int(draws.exponential(20 * SECOND_US)), CAPTURE_MAX_US)
    captured_us = completed_us + lag_us
    mismatch = draws.unit()
    if mismatch < CAPTURE_LOST_SHARE:
        return
    mismatch -= CAPTURE_LOST_SHARE
    if mismatch < CAPTURE_DISCOUNTED_SHARE:  # a coupon applied after the order total
        discounted = round(order.amount * 0.9, 2)
        hour.payment_events.append(_payment_row(order, "captured", captured_us, discounted))
        return
    mismatch -= CAPTURE_DISCOUNTED_SHARE
    hour.payment_events.append(_payment_row(order, "captured", captured_us, order.amount))
    if mismatch < CAPTURE_DOUBLED_SHARE:  # a retried capture that went through twice
        again_us = captured_us + int(draws.uniform(MINUTE_US, CAPTURE_MAX_US))
        hour.payment_events.append(_payment_row(order, "captured", again_us, order.amount))


def _ship(draws: Draws, hour: HourOfBusiness, order: _Order, completed_us: int) -> None:
    shipment_id = f"SHP-{order.order_id.removeprefix('ORD-')}"
    carrier = draws.pick(CARRIERS)
    promised = to_datetime(completed_us).date() + timedelta(days=PROMISED_DAYS)
    label_us = completed_us + min(
        10 * MINUTE_US + int(draws.exponential(3 * HOUR_US)), LABEL_MAX_US
    )
    pickup_us = label_us + min(HOUR_US + int(draws.exponential(6 * HOUR_US)), PICKUP_MAX_US)
    fixed, extra = TRANSIT_HOURS[carrier]
    transit = min(fixed * HOUR_US + int(draws.exponential(extra * HOUR_US)), TRANSIT_MAX_US)
    delivered_us = pickup_us + transit
    steps: list[tuple[str, int]] = [("label_created", label_us), ("picked_up", pickup_us)]
    if draws.chance(EXCEPTION_SHARE):
        steps.append(("exception", pickup_us + transit // 2))
        delivered_us += EXCEPTION_DELAY_US
    steps.append(("delivered", delivered_us))
    for status, at_us in steps:
        copies = [at_us]
        if draws.chance(DUPLICATE_SHIPMENT_EVENT_SHARE):  # the carrier's webhook retried
            copies.append(at_us + int(draws.uniform(SECOND_US, DUPLICATE_MAX_US)))
        for copy, copy_us in enumerate(copies):
            hour.shipment_events.append(
                {
                    "event_key": f"shipment/{shipment_id}/{status}/{copy}",
                    "shipment_id": shipment_id,
                    "order_id": order.order_id,
                    "customer_id": order.buyer.customer_id,
                    "carrier": carrier,
                    "status": status,
                    "promised_date": promised,
                    "delivery_address": (
                        order.buyer.address if status in ("label_created", "delivered") else None
                    ),
                    "event_time": copy_us,
                }
            )


def _sandbox_payment(draws: Draws, hour: HourOfBusiness, moment: datetime, hour_us: int) -> None:
    # The payment provider's sandbox traffic leaks into the stream; payments-daily drops it.
    at_us = hour_us + int(draws.uniform(0, HOUR_US))
    tester = customer(0)
    payment_id = f"PAY-TEST-{moment:%Y%m%d%H}"
    hour.payment_events.append(
        {
            "event_key": f"payment/{payment_id}/captured",
            "payment_id": payment_id,
            "order_id": f"TEST-{moment:%Y%m%d%H}",
            "customer_id": tester.customer_id,
            "cardholder_name": "Test User",
            "event_type": "captured",
            "payment_method": "card",
            "amount_usd": 1.0,
            "failure_reason": None,
            "is_test": True,
            "event_time": at_us,
        }
    )
