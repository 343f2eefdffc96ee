"""`mesh docs`: golden pages, deterministic output, a safe output folder, exit codes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from spec_folder import DELETE, SpecFolder
from typer.testing import CliRunner

from mesh_dagster.cli.main import app


def write_mesh(specs: SpecFolder) -> None:
    specs.policy()
    specs.product("order-events", spec={"transform": DELETE, "inputs": DELETE})
    specs.product(
        inputs=["order-events"],
        metadata={"version": "2.1.0"},
        spec={
            "description": "Daily aggregate of **completed** orders.\n\n"
            "Joins `order-events`; <b>raw HTML</b> is escaped in the HTML catalog.",
            "schema": {3: {"description": "Revenue in US dollars | net of refunds."}},
            "quality": {
                "freshness_sla_hours": 2,
                "completeness_threshold": 0.999,
                "custom_checks": [
                    "revenue_usd >= 0",
                    {"name": "some_orders", "sql": "count(*) > 0", "severity": "warn"},
                ],
            },
        },
    )
    specs.product("payments-daily", "payments", inputs=["orders-daily"])


def test_golden_pages(
    runner: CliRunner, specs: SpecFolder, golden: Callable[[str, str], None]
) -> None:
    write_mesh(specs)
    result = runner.invoke(app, ["docs"])
    assert (result.exit_code, result.stdout) == (
        0,
        "Wrote 5 pages for 3 products to site/index.html\n",
    )
    site = Path("site")
    assert sorted(str(path.relative_to(site)) for path in site.rglob("*") if path.is_file()) == [
        ".mesh-docs",
        "index.html",
        "markdown/index.md",
        "markdown/policy.md",
        "markdown/products/order-events.md",
        "markdown/products/orders-daily.md",
        "markdown/products/payments-daily.md",
        "policy.html",
        "products/order-events.html",
        "products/orders-daily.html",
        "products/payments-daily.html",
    ]
    golden("docs_orders-daily.html", (site / "products/orders-daily.html").read_text())
    golden("docs_orders-daily.md", (site / "markdown/products/orders-daily.md").read_text())
    golden("docs_policy.md", (site / "markdown/policy.md").read_text())


def test_output_is_deterministic_and_replaces_the_last_site(
    runner: CliRunner, specs: SpecFolder
) -> None:
    write_mesh(specs)
    runner.invoke(app, ["docs", "--out", "first"])
    specs.product("shipments-daily", "shipments")
    assert runner.invoke(app, ["docs", "--out", "second"]).exit_code == 0
    (specs.root / "shipments" / "shipments_daily.yaml").unlink()
    assert runner.invoke(app, ["docs", "--out", "second"]).exit_code == 0

    def files(root: str) -> dict[str, str]:
        return {
            str(path.relative_to(root)): path.read_text()
            for path in Path(root).rglob("*")
            if path.is_file()
        }

    assert files("first") == files("second")


def test_a_folder_it_did_not_write_is_left_alone(runner: CliRunner, specs: SpecFolder) -> None:
    write_mesh(specs)
    Path("notes").mkdir()
    Path("notes/todo.txt").write_text("keep me")
    result = runner.invoke(app, ["docs", "--out", "notes"])
    assert (result.exit_code, result.stderr) == (
        2,
        "error: 'notes' is not empty and was not written by mesh docs; "
        "give an empty or new folder.\n",
    )
    assert Path("notes/todo.txt").read_text() == "keep me"


def test_invalid_specs_exit_1(runner: CliRunner, specs: SpecFolder) -> None:
    specs.product(spec={"grain": ["order_idd"]})
    result = runner.invoke(app, ["docs"])
    assert (result.exit_code, result.stderr) == (
        1,
        "1 spec problem:\n"
        "specs/orders/orders_daily.yaml:21:5: spec.grain[0]: unknown column 'order_idd'; "
        "it must be declared in spec.schema. Did you mean 'order_id'?\n",
    )
    assert not Path("site").exists()
