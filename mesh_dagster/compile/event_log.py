"""Which event logs mesh reads across runs, and the refusal where it cannot.

Dagster's plain default (no storage in ``dagster.yaml``) keeps one SQLite file per run:
asset events and check results are mirrored into an index file, but the other run events
(failed steps) and their ids are per run, so nothing can follow them across runs with one
cursor. Its storage also serializes every connection behind one lock.
"""

from __future__ import annotations

from dagster import DagsterInstance
from dagster._core.storage.event_log.base import EventLogStorage

SHARDED_MESSAGE = (
    "this instance's event log is run-sharded SQLite; mesh needs a consolidated event log: "
    "run `mesh init --force` in the project folder (it writes the settings of "
    "deploy/dagster.local.yaml to $DAGSTER_HOME/dagster.yaml)"
)


class ShardedEventLogError(Exception):
    """The instance keeps its event log in one SQLite file per run."""

    def __init__(self) -> None:
        super().__init__(SHARDED_MESSAGE)


def is_run_sharded(storage: EventLogStorage) -> bool:
    """Return whether ``storage`` keeps run events in one database per run."""
    return storage.is_run_sharded


def require_cross_run_event_log(instance: DagsterInstance) -> None:
    """Raise ShardedEventLogError at once when the instance's event log is run-sharded."""
    if is_run_sharded(instance.event_log_storage):
        raise ShardedEventLogError()
