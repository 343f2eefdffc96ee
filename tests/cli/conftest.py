"""Fixtures of the CLI tests: a runner, golden files, and a specs folder with problems."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from spec_folder import DELETE, SpecFolder
from typer.testing import CliRunner

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def runner() -> CliRunner:
    """Return a runner for `mesh` commands, with a fixed terminal width."""
    return CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"})


GoldenCheck = Callable[[str, str], None]


@pytest.fixture
def golden() -> GoldenCheck:
    """Return a check of output against ``tests/cli/golden/<name>``.

    ``MESH_UPDATE_GOLDEN=1`` rewrites the golden files instead (review the diff).
    """

    def check(name: str, output: str) -> None:
        path = GOLDEN / name
        if os.environ.get("MESH_UPDATE_GOLDEN") == "1":
            path.write_text(output, encoding="utf-8")
        assert output == path.read_text(encoding="utf-8")

    return check


@pytest.fixture
def bad_specs(specs: SpecFolder) -> SpecFolder:
    """Return a specs folder with problems in three files and one valid product."""
    specs.policy()
    specs.product("order-events", spec={"transform": DELETE, "inputs": DELETE})
    specs.product(
        inputs=["order-events"],
        spec={"schema": {2: {"nullabel": False}}, "schedule": {"timezone": "Europe/Berln"}},
    )
    specs.product(
        "payments-daily",
        "payments",
        inputs=["order-event"],
        metadata={"steward": "jane@gmail.com"},
        spec={"quality": {"custom_checks": ["getenv('HOME') <> order_id"]}},
    )
    specs.write("shipments/notes.yaml", "owner: [shipments\n")
    return specs
