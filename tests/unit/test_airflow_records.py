"""What an Airflow build records in its asset event's extra, and reading publishes back."""

from __future__ import annotations

from datetime import UTC, datetime

from mesh_dagster.airflow.records import (
    check_entry,
    event_extra,
    first_publishes,
    period_key,
    period_record,
    published_in,
)
from mesh_dagster.checks.outcome import CheckOutcome

T = datetime(2026, 3, 2, 5, 30, tzinfo=UTC)


def outcome(passed: bool) -> CheckOutcome:
    return CheckOutcome(
        name="no_revenue",
        kind="custom",
        severity="error",
        passed=passed,
        failing_rows=0 if passed else 3,
        failing_ratio=0.0 if passed else 3 / 7,
        rows_checked=7,
        sql="revenue_usd < 0",
        detail="3 of 7 rows (42.86%) do not satisfy revenue_usd < 0",
        sample_keys=({"order_id": "o-1"},),
    )


def test_a_rule_is_recorded_with_its_figures_and_sql_and_no_sample_keys() -> None:
    assert check_entry(outcome(False)) == {
        "passed": False,
        "severity": "error",
        "failing_rows": 3,
        "rows_checked": 7,
        "failing_ratio": 0.428571,
        "sql": "revenue_usd < 0",
        "detail": "3 of 7 rows (42.86%) do not satisfy revenue_usd < 0",
    }


def test_an_event_extra_names_the_product_and_each_period() -> None:
    record = period_record([outcome(True)], True, 7, 4)
    extra = event_extra("orders-daily", {period_key("2026-03-01"): record})
    assert extra == {
        "mesh/product": "orders-daily",
        "mesh/periods": {
            "2026-03-01": {
                "published": True,
                "rows": 7,
                "delta_version": 4,
                "checks": {"no_revenue": check_entry(outcome(True))},
            }
        },
    }
    assert period_key(None) == "__all__"
    assert published_in(extra) == ["2026-03-01"]


def test_only_periods_marked_published_count() -> None:
    extra = {
        "mesh/periods": {
            "2026-03-01": {"published": True},
            "2026-03-02": {"published": False},
            "2026-03-03": {"published": "yes"},
            "2026-03-04": "published",
        }
    }
    assert published_in(extra) == ["2026-03-01"]
    assert published_in(None) == []
    assert published_in({"mesh/periods": ["2026-03-01"]}) == []


def test_a_period_is_published_at_its_earliest_event() -> None:
    later = T.replace(hour=7)
    day = {"mesh/periods": {"2026-03-01": {"published": True}}}
    both = {"mesh/periods": {"2026-03-01": {"published": True}, "2026-03-02": {"published": True}}}
    assert first_publishes([(later, both), (T, day), (T, None)]) == {
        "2026-03-01": T,
        "2026-03-02": later,
    }
