"""`mesh init` and the one Dagster home of every command: created once, never clobbered.

Also the instance checks behind it: a home a command cannot use is refused with what to do.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mesh_dagster.cli.main import app
from mesh_dagster.dev.instance import (
    LOCAL_INSTANCE_YAML,
    InstanceSetupError,
    dagster_home,
    open_instance,
)

REPO = Path(__file__).resolve().parents[2]
SHARDED_DEFAULT = "telemetry:\n  enabled: false\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return an empty project folder, the current directory, with no DAGSTER_HOME set."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return tmp_path


def test_init_creates_the_project_local_home_once(runner: CliRunner, project: Path) -> None:
    home = project / ".dagster_home"
    result = runner.invoke(app, ["init"])
    assert (result.exit_code, result.output) == (
        0,
        "Created .dagster_home/dagster.yaml: the local Dagster instance (SQLite, one event "
        "log).\nmesh commands run in this folder use it; for Dagster's own commands:\n"
        f"  export DAGSTER_HOME={home}\n",
    )
    settings = home / "dagster.yaml"
    assert settings.read_text() == LOCAL_INSTANCE_YAML
    deploy = yaml.safe_load((REPO / "deploy" / "dagster.local.yaml").read_text())
    assert yaml.safe_load(settings.read_text()) == deploy
    again = runner.invoke(app, ["init"])
    assert (again.exit_code, again.output.splitlines()[0]) == (
        0,
        ".dagster_home/dagster.yaml already holds the local instance settings; nothing to change.",
    )
    assert settings.read_text() == LOCAL_INSTANCE_YAML


def test_other_settings_are_kept_unless_forced(runner: CliRunner, project: Path) -> None:
    home = project / ".dagster_home"
    home.mkdir()
    settings = home / "dagster.yaml"
    settings.write_text(SHARDED_DEFAULT)
    result = runner.invoke(app, ["init"])
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        "error: .dagster_home/dagster.yaml holds other settings; it was left as it is. Run "
        "`mesh init --force` to replace it (the old file is kept as dagster.yaml.bak).\n",
    )
    assert settings.read_text() == SHARDED_DEFAULT
    forced = runner.invoke(app, ["init", "--force"])
    assert (forced.exit_code, forced.output.splitlines()[0]) == (
        0,
        "Replaced .dagster_home/dagster.yaml with the local instance settings (the old file "
        "is .dagster_home/dagster.yaml.bak).",
    )
    assert settings.read_text() == LOCAL_INSTANCE_YAML
    assert (home / "dagster.yaml.bak").read_text() == SHARDED_DEFAULT


def test_init_follows_dagster_home_when_it_is_set(
    runner: CliRunner, project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("instances") / "mesh"
    result = CliRunner(env={"DAGSTER_HOME": str(elsewhere)}).invoke(app, ["init"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == (
        f"Created {elsewhere}/dagster.yaml: the local Dagster instance (SQLite, one event log)."
    )
    assert (elsewhere / "dagster.yaml").read_text() == LOCAL_INSTANCE_YAML
    assert not (project / ".dagster_home").exists()


def test_the_home_rule(tmp_path: Path) -> None:
    assert dagster_home({}, tmp_path) == tmp_path / ".dagster_home"
    assert dagster_home({"DAGSTER_HOME": "instance"}, tmp_path) == tmp_path / "instance"
    assert dagster_home({"DAGSTER_HOME": "/srv/dagster"}, tmp_path) == Path("/srv/dagster")


def test_init_imports_no_dagster(project: Path) -> None:
    script = (
        "import json, sys\n"
        "from mesh_dagster.cli.main import app\n"
        "try:\n    app(['init'], prog_name='mesh')\n"
        "except SystemExit as done:\n    code = done.code or 0\n"
        "print(json.dumps([code, 'dagster' in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=project,
        env={k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(done.stdout.splitlines()[-1]) == [0, False]


def test_an_initialized_home_opens_for_builds(project: Path, runner: CliRunner) -> None:
    runner.invoke(app, ["init"])
    home = project / ".dagster_home"
    with open_instance(home, runs_builds=True) as instance:
        assert type(instance.event_log_storage).__name__ == "ConsolidatedSqliteEventLogStorage"
    assert "DAGSTER_HOME" not in os.environ  # restored as it was


def test_dagsters_default_settings_are_refused_for_builds(project: Path) -> None:
    home = project / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(SHARDED_DEFAULT)
    with pytest.raises(InstanceSetupError) as refused, open_instance(home, runs_builds=True):
        pass
    assert str(refused.value) == (
        f"{home}: this instance's event log is run-sharded SQLite; mesh needs a consolidated "
        "event log: run `mesh init --force` in the project folder (it writes the settings of "
        "deploy/dagster.local.yaml to $DAGSTER_HOME/dagster.yaml)"
    )
    with open_instance(home) as instance:  # readers can still read it
        assert instance.get_runs() == []


def test_settings_that_do_not_load_are_refused_with_what_to_do(project: Path) -> None:
    home = project / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "run_storage:\n  module: no_such_module\n  class: NoStorage\n  config: {}\n"
    )
    with pytest.raises(InstanceSetupError) as refused, open_instance(home):
        pass
    assert str(refused.value) == (
        f"the Dagster instance in {home} does not load (Couldn't import module "
        "no_such_module when attempting to load the configurable class no_such_module.NoStorage): "
        f"fix {home}/dagster.yaml, or run `mesh init --force` to use the local settings."
    )


def test_mesh_dev_refuses_an_instance_the_alert_sensor_cannot_read(
    runner: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args: object) -> None:
        raise AssertionError("mesh dev started Dagster on an instance it should refuse")

    monkeypatch.setattr("mesh_dagster.dev.server.start_dagster", never)
    shutil.copytree(REPO / "specs", project / "specs")
    home = project / ".dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(SHARDED_DEFAULT)
    result = runner.invoke(app, ["dev", "--port", "0"])
    assert (result.exit_code, result.stderr) == (
        2,
        f"mesh dev: {home}: this instance's event log is run-sharded SQLite; mesh needs a "
        "consolidated event log: run `mesh init --force` in the project folder (it writes the "
        "settings of deploy/dagster.local.yaml to $DAGSTER_HOME/dagster.yaml)\n",
    )
