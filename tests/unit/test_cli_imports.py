"""`mesh` commands import only what they use: the spec commands never import Dagster.

Each command runs in a fresh interpreter (the test process has imported everything);
the script reports the modules present after the command finished.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("dagster", "pyarrow", "pandas", "deltalake", "boto3", "duckdb", "sqlglot")
RUN = """\
import json, sys
from mesh_dagster.cli.main import app
try:
    app(sys.argv[2:], prog_name="mesh")
except SystemExit as done:
    code = done.code or 0
heavy = [name for name in {heavy!r} if name in sys.modules]
with open(sys.argv[1], "w") as out:
    json.dump({{"code": code, "heavy": heavy}}, out)
"""


def run_mesh(tmp_path: Path, *arguments: str, cwd: Path = ROOT) -> tuple[int, list[str]]:
    """Run `mesh ARGUMENTS` in a fresh interpreter; return its exit code and heavy modules."""
    report = tmp_path / "report.json"
    environment = {**os.environ, "MESH_CACHE_DIR": str(tmp_path / "cache")}
    process = subprocess.Popen(
        [sys.executable, "-c", RUN.format(heavy=HEAVY), str(report), *arguments],
        cwd=cwd,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, errors = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, errors
    found = json.loads(report.read_text())
    return found["code"], found["heavy"]


@pytest.fixture
def specs_copy(tmp_path: Path) -> Path:
    """Return a copy of the example specs (commands that write must not touch the repo)."""
    return Path(shutil.copytree(ROOT / "specs", tmp_path / "specs"))


def test_validate_binds_sql_in_duckdb_cold_and_imports_neither_warm(
    tmp_path: Path, specs_copy: Path
) -> None:
    # Cold: SQL is parsed (sqlglot) and bound (DuckDB); nothing else heavy.
    assert run_mesh(tmp_path, "validate", str(specs_copy)) == (0, ["duckdb", "sqlglot"])
    # Warm: every file's verdict comes from the spec cache.
    assert run_mesh(tmp_path, "validate", str(specs_copy)) == (0, [])


def test_new_imports_no_dagster(tmp_path: Path, specs_copy: Path) -> None:
    arguments = ("new", "refunds-daily", "--domain", "orders", "--dir", "specs")
    code, heavy = run_mesh(tmp_path, *arguments, cwd=tmp_path)
    assert (code, heavy) == (0, ["duckdb", "sqlglot"])
    assert (specs_copy / "orders" / "refunds_daily.yaml").is_file()


def test_schema_imports_nothing_heavy(tmp_path: Path) -> None:
    assert run_mesh(tmp_path, "schema") == (0, [])
    assert run_mesh(tmp_path, "schema", "--markdown") == (0, [])


def test_docs_imports_no_dagster(tmp_path: Path, specs_copy: Path) -> None:
    site = tmp_path / "site"
    arguments = ("docs", "--specs", str(specs_copy), "--out", str(site))
    assert run_mesh(tmp_path, *arguments) == (0, ["duckdb", "sqlglot"])
    assert (site / "index.html").is_file()


def test_impact_imports_no_dagster(tmp_path: Path) -> None:
    code, heavy = run_mesh(tmp_path, "impact", "--base", "HEAD", "--specs", "specs")
    assert code in (0, 1)  # 1 when someone's uncommitted spec edit is breaking
    assert "dagster" not in heavy
    assert set(heavy) <= {"duckdb", "sqlglot"}
