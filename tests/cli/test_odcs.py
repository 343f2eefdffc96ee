"""`mesh export odcs` and `mesh import odcs`: files written, reports and errors as shown."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mesh_dagster.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "tests" / "fixtures" / "odcs" / "examples"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return a working folder holding a copy of the example mesh in specs/."""
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_export_writes_one_contract_per_product(
    runner: CliRunner, workdir: Path, golden: Callable[[str, str], None]
) -> None:
    result = runner.invoke(app, ["export", "odcs", "specs", "--out", "contracts"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "✓ 7 ODCS v3.1.0 contracts in contracts."
    written = sorted(str(p.relative_to(workdir)) for p in (workdir / "contracts").rglob("*"))
    assert "contracts/orders/orders-daily.odcs.yaml" in written
    assert len([name for name in written if name.endswith(".odcs.yaml")]) == 7
    text = (workdir / "contracts" / "orders" / "orders-daily.odcs.yaml").read_text()
    golden("odcs_orders_daily.odcs.yaml", text)


def test_import_of_the_export_validates_as_the_same_mesh(runner: CliRunner, workdir: Path) -> None:
    assert runner.invoke(app, ["export", "odcs", "specs", "--out", "contracts"]).exit_code == 0
    files = sorted(str(p) for p in (workdir / "contracts").rglob("*.odcs.yaml"))
    result = runner.invoke(app, ["import", "odcs", *files, "--out", "imported"])
    assert result.exit_code == 0, result.output
    assert "not mapped" not in result.output
    assert result.output.splitlines()[-1] == "✓ 7 specs in imported."
    shutil.copy(workdir / "specs" / "mesh.yaml", workdir / "imported" / "mesh.yaml")
    validated = runner.invoke(app, ["validate", "imported"])
    assert validated.exit_code == 0, validated.output
    assert validated.output == "✓ 7 products in 4 domains valid (8 files checked).\n"
    imported = (workdir / "imported" / "orders" / "orders_daily.yaml").read_text()
    assert imported.startswith(
        "# Imported from the ODCS contract contracts/orders/orders-daily.odcs.yaml by "
        "`mesh import odcs`.\napiVersion: dataproduct/v1\nkind: DataProduct\n"
    )


def test_import_reports_fields_without_mapping_and_writes_specs(
    runner: CliRunner, workdir: Path
) -> None:
    shutil.copy(EXAMPLES / "column-validity.odcs.yaml", workdir / "validity.yaml")
    result = runner.invoke(
        app,
        ["import", "odcs", "validity.yaml", "--out", "imported", "--domain", "city",
         "--owner", "air-team", "--steward", "ana@company.com", "--location-prefix", "s3://lake/"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "validity.yaml:8:5: schema[0].name: not mapped: the product is named 'air-quality' in "
        "mesh (kebab-case).",
        "validity.yaml:10:5: schema[0].authoritativeDefinitions: not mapped: links to "
        "definitions elsewhere; mesh keeps none.",
        "validity.yaml:13:5: schema[0].dataGranularityDescription: not mapped: the grain is read "
        "from primaryKey.",
        "validity.yaml:19:7: schema[0].properties[0].physicalType: not mapped: 'varchar' is read "
        "as 'string'.",
        "validity.yaml:27:9: schema[0].properties[0].quality[0].dimension: not mapped: mesh does "
        "not group rules by dimension.",
        "validity.yaml:29:9: schema[0].properties[0].quality[0].businessImpact: not mapped: mesh "
        "ranks rules by severity only.",
        "wrote imported/city/air_quality.yaml",
        "✓ 1 spec in imported.",
    ]
    assert runner.invoke(app, ["validate", "imported"]).exit_code == 0


def test_import_errors_are_located_and_nothing_is_written(runner: CliRunner, workdir: Path) -> None:
    shutil.copy(EXAMPLES / "full-example.odcs.yaml", workdir / "full.yaml")
    result = runner.invoke(app, ["import", "odcs", "full.yaml", "--out", "imported"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-3:] == [
        "full.yaml:37:5: schema[0]: the product's steward is not in the contract. Add a team "
        "member (role 'steward') named by e-mail, or give --steward.",
        "full.yaml:170:5: schema[1]: the product's steward is not in the contract. Add a team "
        "member (role 'steward') named by e-mail, or give --steward.",
        "✗ 2 problems in 1 file (1 file checked).",
    ]
    assert not (workdir / "imported").exists()


def test_import_of_a_spec_that_is_not_a_contract(runner: CliRunner, workdir: Path) -> None:
    result = runner.invoke(
        app, ["import", "odcs", "specs/orders/orders_daily.yaml", "--out", "imported"]
    )
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "specs/orders/orders_daily.yaml:7:1: kind: expected an ODCS contract "
        "('kind: DataContract', 'apiVersion: v3.x.x')."
    )
