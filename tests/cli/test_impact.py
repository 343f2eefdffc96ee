"""`mesh impact` on a temporary git repository with scripted commits: golden output, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from spec_folder import SpecFolder, product_data
from typer.testing import CliRunner

from mesh_dagster.cli.main import app

SCHEMA = product_data()["spec"]["schema"]
ORDERS_CONSUMERS = [
    {"team": "finance", "use_case": "Revenue reporting", "contact": "finance-data@company.com"},
    {"team": "ml-platform", "use_case": "Churn prediction features"},
]


def git(*args: str) -> str:
    """Run git in the current folder, isolated from the user's and system's git config."""
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@company.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@company.com",
        "GIT_AUTHOR_DATE": "2026-03-01T12:00:00Z",
        "GIT_COMMITTER_DATE": "2026-03-01T12:00:00Z",
    }
    result = subprocess.run(
        ["git", *args], capture_output=True, text=True, env=env, check=True, timeout=60
    )
    return result.stdout


def commit(message: str, tag: str) -> None:
    git("add", "-A")
    git("commit", "-q", "--allow-empty", "-m", message)
    git("tag", tag)


def write_base_mesh(specs: SpecFolder) -> None:
    """Write the v1 mesh: orders read by payments (another domain), read by finance."""
    specs.policy()
    specs.product(metadata={"version": "1.0.0"}, spec={"consumers": ORDERS_CONSUMERS})
    specs.product(
        "payments-daily",
        "payments",
        inputs=["orders-daily"],
        metadata={"steward": "priya@company.com"},
        spec={"sla": {"availability_target": "99.9%"}},
    )
    specs.product(
        "revenue-daily",
        "finance",
        inputs=["payments-daily"],
        metadata={"owner": "finance-analytics", "steward": "omar@company.com"},
        spec={"consumers": [{"team": "executive-office", "use_case": "Board reporting"}]},
    )
    specs.product("shipments-daily", "shipments")


@pytest.fixture
def repo(specs: SpecFolder) -> SpecFolder:
    """Return a git repository's specs: tag v1 (the base mesh), v2 (compatible changes)."""
    git("init", "-q", "-b", "main")
    write_base_mesh(specs)
    commit("v1: the base mesh", "v1")
    specs.product(
        metadata={"version": "1.1.0"},
        spec={
            "description": "Daily orders, one row per order and day.",
            "consumers": ORDERS_CONSUMERS,
            "schema": [*SCHEMA, {"name": "channel", "type": "string"}],
        },
    )
    commit("v2: compatible changes", "v2")
    return specs


def make_breaking_changes(specs: SpecFolder) -> None:
    """Edit the working tree: break orders-daily, drop shipments-daily, add refunds-daily."""
    renamed = {**SCHEMA[1], "name": "client_id"}
    narrowed = {**SCHEMA[3], "type": "decimal(18,2)"}
    specs.product(
        metadata={"version": "1.2.0"},
        spec={
            "description": "Daily orders, one row per order and day.",
            "consumers": ORDERS_CONSUMERS,
            "schema": [
                SCHEMA[0],
                renamed,
                SCHEMA[2],
                narrowed,
                {"name": "channel", "type": "string"},
            ],
            "sla": {"available_by": "09:00"},
            "quality": {"custom_checks": ["revenue_usd >= 0", "order_id <> ''"]},
        },
    )
    (specs.root / "shipments" / "shipments_daily.yaml").unlink()
    specs.product("refunds-daily", "payments", inputs=["payments-daily"])


@pytest.mark.parametrize(
    ("output_format", "golden_file"),
    [("text", "impact.txt"), ("markdown", "impact.md"), ("json", "impact.json")],
)
def test_breaking_changes_exit_1_in_every_format(
    runner: CliRunner,
    repo: SpecFolder,
    golden: Callable[[str, str], None],
    output_format: str,
    golden_file: str,
) -> None:
    make_breaking_changes(repo)
    result = runner.invoke(app, ["impact", "--base", "v2", "--format", output_format])
    assert result.exit_code == 1, result.output
    golden(golden_file, result.stdout)


def test_json_names_every_affected_team_and_product(runner: CliRunner, repo: SpecFolder) -> None:
    make_breaking_changes(repo)
    result = runner.invoke(app, ["impact", "--base", "v2", "--format", "json"])
    report = json.loads(result.stdout)
    orders = next(p for p in report["products"] if p["name"] == "orders-daily")
    assert [c["team"] for c in orders["affected"]["consumers"]] == ["finance", "ml-platform"]
    assert [
        (p["name"], p["domain"], p["owner"], p["steward"], p["via"], p["depth"])
        for p in orders["affected"]["downstream"]
    ] == [
        ("payments-daily", "payments", "payments-team", "priya@company.com", "orders-daily", 1),
        ("revenue-daily", "finance", "finance-analytics", "omar@company.com", "payments-daily", 2),
    ]
    assert orders["version"] == {
        "old": "1.1.0",
        "new": "1.2.0",
        "check": "not_bumped",
        "expected": "2.0.0",
    }
    assert report["summary"] == {
        "products_changed": 3,
        "products_breaking": 2,
        "breaking_changes": 4,
        "compatible_changes": 3,
        "missing_major_bumps": 1,
    }


def test_allow_breaking_exits_0(runner: CliRunner, repo: SpecFolder) -> None:
    make_breaking_changes(repo)
    result = runner.invoke(app, ["impact", "--base", "v2", "--allow-breaking"])
    assert result.exit_code == 0
    assert result.stdout.endswith("\n4 breaking changes, accepted with --allow-breaking.\n")


def test_compatible_changes_exit_0(runner: CliRunner, repo: SpecFolder) -> None:
    result = runner.invoke(app, ["impact", "--base", "v1"])
    assert (result.exit_code, result.stdout) == (
        0,
        "mesh impact: specs at v1 -> working tree\n"
        "1 product changed: 0 breaking changes, 3 compatible changes.\n"
        "\n"
        "orders-daily (orders) COMPATIBLE\n"
        "  owner orders-team, steward jane@company.com\n"
        "  compatible  metadata.version: version changes from 1.0.0 to 1.1.0\n"
        "  compatible  spec.description: the description changes\n"
        "  compatible  spec.schema.channel: column 'channel' (string) is added\n"
        "\n"
        "No breaking changes.\n",
    )


def test_no_change_since_head(runner: CliRunner, repo: SpecFolder) -> None:
    result = runner.invoke(app, ["impact", "--base", "HEAD", "--format", "markdown"])
    assert (result.exit_code, result.stdout) == (
        0,
        "<!-- mesh-impact -->\n"
        "## Data product impact: no breaking changes\n"
        "\n"
        "Specs at `HEAD` compared with this change. No product changed.\n"
        "\n"
        "**No breaking changes.**\n",
    )


def test_an_unknown_ref_is_a_usage_error(runner: CliRunner, repo: SpecFolder) -> None:
    result = runner.invoke(app, ["impact", "--base", "v9"])
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        "error: unknown git ref 'v9'; give a branch, tag or commit (e.g. 'main', 'HEAD~1').\n",
    )


def test_a_missing_base_is_a_usage_error(runner: CliRunner, repo: SpecFolder) -> None:
    result = runner.invoke(app, ["impact"])
    assert result.exit_code == 2
    assert "Missing option '--base'" in result.stderr


def test_outside_a_git_repository(runner: CliRunner, specs: SpecFolder) -> None:
    write_base_mesh(specs)
    result = runner.invoke(app, ["impact", "--base", "main"])
    assert (result.exit_code, result.stderr) == (
        2,
        "error: 'specs' is not inside a git repository.\n",
    )


def test_specs_that_did_not_load_at_the_base(runner: CliRunner, repo: SpecFolder) -> None:
    repo.write("orders/broken.yaml", "apiVersion: dataproduct/v1\nkind: DataProdukt\n")
    commit("a broken spec", "broken")
    (repo.root / "orders" / "broken.yaml").unlink()
    result = runner.invoke(app, ["impact", "--base", "broken"])
    assert (result.exit_code, result.stderr) == (
        2,
        "error: the specs at 'broken' do not load:\n"
        "1 spec problem:\n"
        "broken:specs/orders/broken.yaml:2:1: kind: expected 'DataProduct' or 'MeshPolicy', "
        "got 'DataProdukt'. Did you mean 'DataProduct'?\n",
    )


def test_specs_that_do_not_load_now(runner: CliRunner, repo: SpecFolder) -> None:
    repo.write("orders/broken.yaml", "apiVersion: dataproduct/v1\nkind: DataProdukt\n")
    result = runner.invoke(app, ["impact", "--base", "v2"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: the specs in the working tree do not load:\n")
    assert "specs/orders/broken.yaml:2:1: kind:" in result.stderr


def test_a_specs_folder_that_is_new_since_the_base(runner: CliRunner, repo: SpecFolder) -> None:
    git("mv", "specs", "contracts")
    commit("rename the specs folder", "moved")
    result = runner.invoke(
        app, ["impact", "--base", "v2", "--specs", "contracts", "--format", "json"]
    )
    report = json.loads(result.stdout)
    assert (result.exit_code, report["summary"]["products_changed"]) == (0, 4)
    assert {p["status"] for p in report["products"]} == {"added"}


def test_run_from_a_subfolder_with_an_absolute_specs_path(
    runner: CliRunner, repo: SpecFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_breaking_changes(repo)
    specs_path = Path.cwd() / "specs"
    monkeypatch.chdir(specs_path / "orders")
    result = runner.invoke(app, ["impact", "--base", "v2", "--specs", str(specs_path)])
    assert result.exit_code == 1
    assert "orders-daily (orders) BREAKING" in result.stdout
