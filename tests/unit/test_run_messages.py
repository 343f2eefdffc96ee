"""What a run says: failing rules with a few PII-safe sample keys; channel warnings once."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from mesh_dagster.checks.outcome import CheckOutcome, summarize_failures
from mesh_dagster.compile import definitions
from mesh_dagster.spec.loader import load_mesh

SPECS = Path(__file__).resolve().parents[2] / "specs"


def outcome(name: str, keys: tuple[dict[str, object], ...]) -> CheckOutcome:
    detail = f"{len(keys)} of 10 rows ({len(keys) * 10}.00%) do not satisfy arr_delay < 60"
    return CheckOutcome(
        name, "custom", "error", False, len(keys), len(keys) / 10, 10, "arr_delay < 60",
        detail, keys,  # type: ignore[arg-type]
    )  # fmt: skip


def test_a_blocked_publish_names_each_rule_and_three_of_its_failing_keys() -> None:
    keys = tuple({"carrier": carrier, "day": "2013-01-01"} for carrier in ("AA", "B6", "UA", "WN"))
    nulls = ({"carrier": None, "day": "2013-01-02"},)

    text = summarize_failures([outcome("on_time", keys), outcome("no_gap", nulls)])

    assert text == (
        "2 error checks failed:\n"
        "- on_time: 4 of 10 rows (40.00%) do not satisfy arr_delay < 60\n"
        "  failing rows include carrier=AA, day=2013-01-01; carrier=B6, day=2013-01-01; "
        "carrier=UA, day=2013-01-01\n"
        "- no_gap: 1 of 10 rows (10.00%) do not satisfy arr_delay < 60\n"
        "  failing rows include carrier=null, day=2013-01-02"
    )


def test_a_rule_without_sample_keys_is_one_line() -> None:
    assert summarize_failures([outcome("on_time", ())]) == (
        "1 error check failed:\n- on_time: 0 of 10 rows (0.00%) do not satisfy arr_delay < 60"
    )


def test_a_skipped_channel_is_warned_about_once_per_process(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(definitions, "_WARNED", set())
    monkeypatch.delenv("ORDERS_SLACK_WEBHOOK_URL", raising=False)
    mesh = load_mesh(SPECS)

    with caplog.at_level(logging.WARNING, logger="mesh_dagster"):
        definitions.build_mesh_definitions(mesh)
        definitions.build_mesh_definitions(mesh)

    slack = [r.getMessage() for r in caplog.records if "'orders-slack'" in r.getMessage()]
    assert slack == [
        "alert channel 'orders-slack' (slack) is skipped: the environment variable "
        "ORDERS_SLACK_WEBHOOK_URL named by its webhook_url_env is not set. In production mode "
        "this is an error."
    ]
