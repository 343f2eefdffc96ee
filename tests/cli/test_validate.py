"""`mesh validate`: golden output in each format, and CI exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from spec_folder import DELETE, SpecFolder
from typer.testing import CliRunner

from mesh_dagster.cli.main import app
from mesh_dagster.cli.validate import render_github
from mesh_dagster.spec.errors import SpecProblem


def _valid(specs: SpecFolder) -> None:
    specs.policy()
    specs.product("order-events", spec={"transform": DELETE, "inputs": DELETE})
    specs.product(inputs=["order-events"])


def test_a_valid_mesh_exits_0_with_a_summary(runner: CliRunner, specs: SpecFolder) -> None:
    _valid(specs)
    result = runner.invoke(app, ["validate"])
    assert (result.exit_code, result.output) == (
        0,
        "✓ 2 products in 1 domain valid (3 files checked).\n",
    )


@pytest.mark.parametrize(("output_format", "output"), [("json", "[]\n"), ("github", "")])
def test_a_valid_mesh_is_quiet_for_machines(
    runner: CliRunner, specs: SpecFolder, output_format: str, output: str
) -> None:
    _valid(specs)
    result = runner.invoke(app, ["validate", "specs", "--format", output_format])
    assert (result.exit_code, result.output) == (0, output)


@pytest.mark.parametrize(
    ("output_format", "golden_file"),
    [("text", "validate.txt"), ("json", "validate.json"), ("github", "validate.github")],
)
def test_problems_exit_1_in_every_format(
    runner: CliRunner,
    bad_specs: SpecFolder,
    golden: Callable[[str, str], None],
    output_format: str,
    golden_file: str,
) -> None:
    result = runner.invoke(app, ["validate", "specs", "--format", output_format])
    assert result.exit_code == 1
    golden(golden_file, result.output)


def test_json_problems_carry_every_field(runner: CliRunner, bad_specs: SpecFolder) -> None:
    result = runner.invoke(app, ["validate", "--format", "json"])
    problems = json.loads(result.output)
    assert {tuple(problem) for problem in problems} == {
        ("file", "line", "column", "path", "message", "hint")
    }
    assert (problems[0]["file"], problems[0]["line"]) == ("specs/orders/orders_daily.yaml", 12)
    assert problems[-1]["hint"] is None


def test_one_file_can_be_validated(runner: CliRunner, bad_specs: SpecFolder) -> None:
    result = runner.invoke(app, ["validate", "specs/orders/order_events.yaml"])
    assert (result.exit_code, result.output) == (
        0,
        "✓ 1 product in 1 domain valid (1 file checked).\n",
    )


def test_a_missing_path_is_a_usage_error(runner: CliRunner, specs: SpecFolder) -> None:
    result = runner.invoke(app, ["validate", "nowhere"])
    assert result.exit_code == 2
    assert "'nowhere' does not exist" in result.output


def test_an_unknown_format_is_a_usage_error(runner: CliRunner, specs: SpecFolder) -> None:
    result = runner.invoke(app, ["validate", "--format", "xml"])
    assert result.exit_code == 2
    assert "'xml' is not one of 'text', 'json', 'github'" in result.output


def test_github_annotations_escape_what_would_end_them() -> None:
    problem = SpecProblem("specs/a,b:c.yaml", 3, 7, "spec", "100% wrong.\nReally.", "Fix it.")
    assert render_github([problem]) == (
        "::error file=specs/a%2Cb%3Ac.yaml,line=3,col=7::spec: 100%25 wrong.%0AReally. Fix it."
    )
