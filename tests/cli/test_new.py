"""`mesh new`: a scaffold that validates under the folder's policy, never overwriting."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from spec_folder import SpecFolder
from typer.testing import CliRunner

from mesh_dagster.cli.main import app
from mesh_dagster.spec import load_mesh


def _without_start_date(text: str) -> str:
    return re.sub(r'start: "\d{4}-\d{2}-\d{2}"', 'start: "<today>"', text)


def test_new_writes_a_spec_that_follows_the_policy(
    runner: CliRunner, specs: SpecFolder, golden: Callable[[str, str], None]
) -> None:
    specs.policy(rules={"required_tags": ["tier"], "min_consumers": 2})
    result = runner.invoke(app, ["new", "payment-refunds", "--domain", "payments"])
    assert (result.exit_code, result.output) == (
        0,
        "Wrote specs/payments/payment_refunds.yaml. Fill in the TODOs, then run "
        "`mesh validate specs`.\n",
    )
    written = Path("specs/payments/payment_refunds.yaml").read_text(encoding="utf-8")
    golden("new_payment_refunds.yaml", _without_start_date(written))
    product = load_mesh("specs").product("payment-refunds")
    assert product.spec.output.location == "s3://data-platform/products/payments/payment_refunds/"
    assert product.metadata.steward == "payments-steward@company.com"
    assert product.spec.sla is not None
    assert product.spec.sla.availability_target == pytest.approx(0.999)  # the domain's minimum


def test_new_without_a_policy_uses_the_defaults(runner: CliRunner, specs: SpecFolder) -> None:
    result = runner.invoke(
        app,
        ["new", "fx-rates", "--domain", "finance", "--dir", "other", "--owner", "treasury"],
    )
    assert result.exit_code == 0
    product = load_mesh("other").product("fx-rates")
    assert (product.metadata.owner, product.metadata.steward) == (
        "treasury",
        "finance-steward@example.com",
    )


def test_new_refuses_to_overwrite_a_file(runner: CliRunner, specs: SpecFolder) -> None:
    path = specs.write("orders/orders_daily.yaml", "# mine\n")
    result = runner.invoke(app, ["new", "orders-daily", "--domain", "orders"])
    assert (result.exit_code, result.output) == (
        2,
        "error: specs/orders/orders_daily.yaml already exists; not overwritten.\n",
    )
    assert path.read_text(encoding="utf-8") == "# mine\n"


def test_new_refuses_a_name_the_mesh_already_uses(runner: CliRunner, specs: SpecFolder) -> None:
    specs.product(file="legacy/orders.yaml")
    result = runner.invoke(app, ["new", "orders-daily", "--domain", "orders"])
    assert (result.exit_code, result.output) == (
        2,
        "error: product 'orders-daily' already exists in specs/legacy/orders.yaml.\n",
    )


def test_new_leaves_nothing_behind_when_an_option_breaks_the_policy(
    runner: CliRunner, specs: SpecFolder
) -> None:
    specs.policy()
    result = runner.invoke(
        app, ["new", "orders-weekly", "--domain", "orders", "--steward", "bob@gmail.com"]
    )
    assert (result.exit_code, result.output) == (
        2,
        "error: specs/orders/orders_weekly.yaml would not validate:\n"
        "  specs/orders/orders_weekly.yaml:9:3: metadata.steward: the mesh policy requires a "
        "steward address at @company.com; got 'bob@gmail.com'.\n",
    )
    assert not Path("specs/orders/orders_weekly.yaml").exists()


@pytest.mark.parametrize(
    ("arguments", "mistake"),
    [
        (["new", "Orders_Daily", "--domain", "orders"], "Invalid value for 'name'"),
        (["new", "orders-daily", "--domain", "Orders"], "Invalid value for '--domain'"),
        (["new", "orders-daily"], "Missing option '--domain'"),
    ],
)
def test_bad_names_are_usage_errors(
    runner: CliRunner, specs: SpecFolder, arguments: list[str], mistake: str
) -> None:
    result = runner.invoke(app, arguments)
    assert result.exit_code == 2
    assert mistake in result.output
