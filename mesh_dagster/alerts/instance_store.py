"""Keep an incident book in the Dagster instance's key-value cursor storage.

The one module of ``alerts`` that touches Dagster. A sensor cursor is written only when the
tick ends; this store writes at once, so ``deliver(..., checkpoint=store.save)`` records the
book before and after every send and only a crash during a send can repeat a notice.
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster import DagsterInstance

from mesh_dagster.alerts.book import IncidentBook

KEY_PREFIX = "mesh_dagster/alerts/"


@dataclass(frozen=True)
class InstanceBookStore:
    """An incident book stored under one key of the instance (one key per sensor)."""

    instance: DagsterInstance
    name: str

    @property
    def key(self) -> str:
        """Return the storage key."""
        return KEY_PREFIX + self.name

    def load(self) -> IncidentBook:
        """Return the stored book, or an empty one."""
        values = self.instance.run_storage.get_cursor_values({self.key})
        return IncidentBook.from_json(values.get(self.key))

    def save(self, book: IncidentBook) -> None:
        """Store ``book``, replacing what was stored."""
        self.instance.run_storage.set_cursor_values({self.key: book.to_json()})
