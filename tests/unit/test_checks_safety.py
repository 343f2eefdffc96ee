"""A check can never read files, reach the network or change data, even past validation.

Spec validation (sqlglot) already rejects such SQL; these tests build the planned checks
directly, as if a malicious expression had slipped through, and prove the engine refuses.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from mesh_dagster.checks import (
    CheckPlan,
    CheckRefusedError,
    CheckScope,
    DeclaredColumn,
    PlannedCheck,
    evaluate_checks,
)
from mesh_dagster.checks import evaluate as evaluate_module
from mesh_dagster.spec.periods import period_for_key

ACCESS = "a check may not read files, reach the network or change data"
SYNTAX = "its SQL is not a valid expression"


def evil_plan(predicate: str, scope: CheckScope = "row") -> CheckPlan:
    columns = (
        DeclaredColumn("order_id", "VARCHAR", False),
        DeclaredColumn("amount", "BIGINT", False),
    )
    honest = PlannedCheck(
        name="amount_positive",
        kind="custom",
        severity="error",
        columns=("amount",),
        sql="amount > 0",
        description="amount > 0 holds on every row",
        scope="row",
        predicate="amount > 0",
    )
    evil = PlannedCheck(
        name="evil",
        kind="custom",
        severity="warn",
        columns=(),
        sql=predicate,
        description="looks harmless",
        scope=scope,
        predicate=predicate,
    )
    return CheckPlan("orders-daily", (honest, evil), columns, ("order_id",))


def table() -> pa.Table:
    schema = pa.schema([("order_id", pa.string()), ("amount", pa.int64())], {"owner": "me"})
    return pa.table({"order_id": ["a", "b"], "amount": [1, 2]}, schema=schema)


@pytest.mark.parametrize(
    ("predicate", "scope", "reason"),
    [
        ("(select count(*) from read_csv('/etc/passwd')) > 0", "row", ACCESS),
        ("(select 1 from read_parquet('x')) = 1", "row", ACCESS),
        ("exists (select 1 from read_text('/etc/hostname'))", "row", ACCESS),
        ("exists (select 1 from glob('/etc/*'))", "row", ACCESS),
        ("(select count(*) from read_json('http://127.0.0.1:9/x')) > 0", "row", ACCESS),
        ("(select count(*) from 's3://bucket/orders.parquet') > 0", "table", ACCESS),
        (
            "count(*) > (select count(*) from read_csv('https://example.com/x.csv'))",
            "table",
            ACCESS,
        ),
        ("1 = 1) from __mesh_typed; copy (select 1) to 'out.csv'; select (1", "row", SYNTAX),
        ("true; drop view __mesh_input", "row", SYNTAX),
        ("true; create table stolen as select * from __mesh_input", "table", SYNTAX),
        ("true) as value from __mesh_typed; attach 'x.db' as x; select (true", "row", SYNTAX),
        ("amount > 0 -- ) as value from __mesh_typed limit 0", "row", None),
    ],
)
def test_a_malicious_check_is_refused_and_the_table_is_unchanged(
    predicate: str,
    scope: CheckScope,
    reason: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    data = table()
    before = data.to_pydict()

    if reason is None:  # a comment cannot cut the query short: it is just a comment
        outcomes = evaluate_checks(evil_plan(predicate, scope), data, None)
        assert [o.passed for o in outcomes] == [True, True]
    else:
        with pytest.raises(CheckRefusedError) as raised:
            evaluate_checks(evil_plan(predicate, scope), data, None)
        assert str(raised.value) == f"check 'evil' was refused: {reason}"
        assert (raised.value.check, raised.value.reason) == ("evil", reason)

    assert data.to_pydict() == before
    assert data.schema.metadata == {b"owner": b"me"}
    assert list(tmp_path.iterdir()) == []


def test_functions_of_unloaded_extensions_do_not_run() -> None:
    plan = evil_plan("(select count(*) from sqlite_scan('x.db', 't')) > 0")

    outcomes = evaluate_checks(plan, table(), None)

    assert outcomes[1].passed is False
    assert outcomes[1].detail.startswith(
        "could not run: its SQL does not run on the declared columns (Catalog Error: "
    )


def test_refusal_happens_before_any_rule_is_evaluated(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_scan(*args: object) -> None:
        raise AssertionError("the scan ran")

    monkeypatch.setattr(evaluate_module, "run_scan", no_scan)
    plan = evil_plan("getvariable('partition_key') = (select 1 from read_csv('x'))")

    with pytest.raises(CheckRefusedError, match="check 'evil' was refused"):
        evaluate_checks(plan, table(), period_for_key("2026-03-01", "day", "UTC"))
