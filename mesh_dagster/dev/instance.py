"""The Dagster home of `mesh dev`: created with the local instance settings when missing."""

from __future__ import annotations

from pathlib import Path

# The same settings as deploy/dagster.local.yaml (a test keeps the two equal): SQLite with
# one consolidated event log, which the alert and scorecard readers query across runs.
LOCAL_INSTANCE_YAML = """\
# Written by `mesh dev` (same settings as deploy/dagster.local.yaml): SQLite under this folder.
telemetry:
  enabled: false
event_log_storage:
  module: dagster._core.storage.event_log
  class: ConsolidatedSqliteEventLogStorage
  config:
    base_dir:
      env: DAGSTER_HOME
"""


def prepare_dagster_home(home: Path) -> str | None:
    """Create ``home`` and its ``dagster.yaml`` if missing; return a notice when it wrote one."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if config.exists():
        return None
    config.write_text(LOCAL_INSTANCE_YAML)
    return f"wrote the local instance settings to {config}"
