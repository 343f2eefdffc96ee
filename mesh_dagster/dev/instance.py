"""The Dagster home every `mesh` command uses, its local settings, and the checks on opening it.

One rule finds the home: ``$DAGSTER_HOME`` when set, else ``.dagster_home`` in the current
folder (where `mesh init`, `mesh dev` and scripts/run.sh put it). Commands that read the
instance (`mesh scorecard`, `mesh sla status`) need it to exist; commands that run builds
(`mesh dev`, `mesh backfill`) create it with the local settings and refuse an instance whose
event log the alert sensor cannot read across runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from dagster import DagsterInstance

HOME_VARIABLE = "DAGSTER_HOME"
DEFAULT_HOME = ".dagster_home"
SETTINGS_FILE = "dagster.yaml"

# The same settings as deploy/dagster.local.yaml (a test keeps the two equal): SQLite with
# one consolidated event log, which the alert and scorecard readers query across runs.
# Shipped as text in the package so an installed plugin can write it without the repo.
LOCAL_INSTANCE_YAML = """\
# Written by `mesh init` (same settings as deploy/dagster.local.yaml): SQLite under this
# folder, with one event log for all runs, which mesh's alert sensor reads across runs.
telemetry:
  enabled: false
event_log_storage:
  module: dagster._core.storage.event_log
  class: ConsolidatedSqliteEventLogStorage
  config:
    base_dir:
      env: DAGSTER_HOME
"""


class InstanceSetupError(Exception):
    """The Dagster home is missing or holds settings this command cannot use."""


def dagster_home(environ: Mapping[str, str], cwd: Path) -> Path:
    """Return the Dagster home: ``$DAGSTER_HOME`` when set, else ``cwd/.dagster_home``."""
    chosen = environ.get(HOME_VARIABLE)
    return (cwd / chosen if chosen else cwd / DEFAULT_HOME).resolve()


def shown(home: Path, cwd: Path) -> str:
    """Return ``home`` relative to ``cwd`` when inside it (``.dagster_home``), else absolute."""
    try:
        return home.relative_to(cwd.resolve()).as_posix()
    except ValueError:
        return str(home)


class InitOutcome(StrEnum):
    """What `mesh init` did to the home's ``dagster.yaml``."""

    created = "created"
    unchanged = "unchanged"
    different = "different"
    replaced = "replaced"


@dataclass(frozen=True)
class InitResult:
    """The outcome and the file it concerns (and the backup of a replaced file)."""

    outcome: InitOutcome
    settings: Path
    backup: Path | None = None


def _same_settings(text: str) -> bool:
    try:
        return bool(yaml.safe_load(text) == yaml.safe_load(LOCAL_INSTANCE_YAML))
    except yaml.YAMLError:
        return False


def init_dagster_home(home: Path, *, force: bool = False) -> InitResult:
    """Create ``home`` with the local settings; never replace other settings unless ``force``.

    A replaced file is kept next to it as ``dagster.yaml.bak``.
    """
    home.mkdir(parents=True, exist_ok=True)
    settings = home / SETTINGS_FILE
    if not settings.exists():
        settings.write_text(LOCAL_INSTANCE_YAML, encoding="utf-8")
        return InitResult(InitOutcome.created, settings)
    if _same_settings(settings.read_text(encoding="utf-8", errors="replace")):
        return InitResult(InitOutcome.unchanged, settings)
    if not force:
        return InitResult(InitOutcome.different, settings)
    backup = settings.with_name(SETTINGS_FILE + ".bak")
    settings.replace(backup)
    settings.write_text(LOCAL_INSTANCE_YAML, encoding="utf-8")
    return InitResult(InitOutcome.replaced, settings, backup)


def prepare_dagster_home(home: Path) -> str | None:
    """Create ``home`` and its ``dagster.yaml`` if missing; return a notice when it wrote one."""
    result = init_dagster_home(home)
    if result.outcome is not InitOutcome.created:
        return None
    return f"wrote the local instance settings to {result.settings}"


def require_existing_home(home: Path, environ: Mapping[str, str], cwd: Path) -> None:
    """Raise InstanceSetupError, saying what to do, when ``home`` is not a folder."""
    if home.is_dir():
        return
    if environ.get(HOME_VARIABLE):
        raise InstanceSetupError(
            f"no Dagster instance at {home}: DAGSTER_HOME names a folder that does not exist. "
            "Set it to the instance's folder, or run `mesh init` to create one there."
        )
    raise InstanceSetupError(
        f"no Dagster instance: DAGSTER_HOME is not set and there is no {DEFAULT_HOME} in "
        f"{cwd}. Run `mesh init` in the project folder, or set DAGSTER_HOME to the "
        "instance's folder."
    )


def _first_sentence(error: Exception) -> str:
    text = " ".join(str(error).split()).removeprefix("Failure condition: ")
    text = text or type(error).__name__
    return text.split(". ")[0].rstrip(".")


@contextmanager
def open_instance(home: Path, *, runs_builds: bool = False) -> Iterator[DagsterInstance]:
    """Yield the instance in ``home``; InstanceSetupError when it cannot be used.

    ``runs_builds``: the command records runs, so the instance must keep an event log
    the alert sensor reads across runs (not Dagster's run-sharded SQLite default).
    """
    # Imported here: Dagster takes seconds to load, and other commands do without it.
    from dagster import DagsterInstance

    from mesh_dagster.compile.event_log import ShardedEventLogError, require_cross_run_event_log

    saved = os.environ.get(HOME_VARIABLE)
    # The settings may read $DAGSTER_HOME (base_dir: {env: DAGSTER_HOME}) while loading.
    os.environ[HOME_VARIABLE] = str(home)
    try:
        try:
            instance = DagsterInstance.from_config(str(home))
        except Exception as error:  # any foreign setting: a module, a variable, bad YAML
            raise InstanceSetupError(
                f"the Dagster instance in {home} does not load ({_first_sentence(error)}): "
                f"fix {home / SETTINGS_FILE}, or run `mesh init --force` to use the local "
                "settings."
            ) from None
        with instance:
            if runs_builds:
                try:
                    require_cross_run_event_log(instance)
                except ShardedEventLogError as error:
                    raise InstanceSetupError(f"{home}: {error}") from None
            yield instance
    finally:
        if saved is None:
            os.environ.pop(HOME_VARIABLE, None)
        else:
            os.environ[HOME_VARIABLE] = saved


@contextmanager
def open_home_instance(environ: Mapping[str, str], cwd: Path) -> Iterator[DagsterInstance]:
    """Yield the instance of the Dagster home, for reading; InstanceSetupError if none."""
    home = dagster_home(environ, cwd)
    require_existing_home(home, environ, cwd)
    with open_instance(home) as instance:
        yield instance
