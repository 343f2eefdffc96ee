"""What an import used of a contract, and the report of every field it had no mapping for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mesh_dagster.spec.errors import FieldPath, format_path

# Why a field has no mapping, by its key (the last named part of its path).
_REASONS = {
    "authoritativeDefinitions": "links to definitions elsewhere; mesh keeps none",
    "businessName": "mesh has one name per column",
    "businessImpact": "mesh ranks rules by severity only",
    "contractCreatedTs": "mesh dates a contract by its version",
    "criticalDataElement": "mesh has no critical-element flag",
    "dataGranularityDescription": "the grain is read from primaryKey",
    "dimension": "mesh does not group rules by dimension",
    "encryptedName": "mesh encrypts no column (PII is hashed, masked or redacted)",
    "id": "mesh identifies products, columns and rules by name",
    "examples": "mesh keeps no example values",
    "logicalTypeOptions": "mesh does not enforce length, range or format options",
    "method": "mesh does not group rules by method",
    "price": "mesh has no pricing",
    "relationships": "mesh records relationships as inputs between products only",
    "roles": "access roles are granted outside mesh",
    "schedule": "mesh checks every period when it is built",
    "scheduler": "mesh checks every period when it is built",
    "semanticType": "mesh has no semantic types",
    "support": "alert channels are named in the policy (mesh.alertChannels)",
    "synonyms": "mesh has no synonyms",
    "tags": "mesh has no tags here",
    "tenant": "mesh has no tenants",
    "transformDescription": "mesh describes how data is computed in mesh.transform",
    "transformLogic": "mesh describes how data is computed in mesh.transform",
    "transformSourceObjects": "mesh lists upstream data in mesh.inputs",
    "unit": "not needed by this rule",
    "usage": "mesh keeps one description (description.purpose)",
    "limitations": "mesh keeps one description (description.purpose)",
    "context": "mesh keeps no instructions for assistants",
    "deprecated": "mesh has no deprecation flag",
    "partitionKeyPosition": "mesh partitions by one column",
    "primaryKeyPosition": "the column is not part of the grain",
    "physicalType": "the table kind is always a Delta table",
    "physicalName": "the table is named by the glue server's catalog table",
}


@dataclass(frozen=True, order=True)
class Unmapped:
    """One field of a contract that had no mapping: its ODCS path and why."""

    path: FieldPath
    reason: str

    def __str__(self) -> str:
        return f"{format_path(self.path)}: {self.reason}"


@dataclass
class Usage:
    """The ODCS paths an import read, and the reasons it gives for others it left."""

    used: set[FieldPath] = field(default_factory=set)
    notes: dict[FieldPath, str] = field(default_factory=dict)

    def use(self, *paths: FieldPath) -> None:
        """Record that ``paths`` (and everything under them) were mapped."""
        self.used.update(paths)

    def leave(self, path: FieldPath, reason: str) -> None:
        """Record why ``path`` (and everything under it) is not mapped."""
        self.notes[path] = reason

    def covers(self, path: FieldPath) -> bool:
        """Return whether ``path`` or one of its parents was mapped or explained."""
        return any(
            path[:end] in self.used or path[:end] in self.notes for end in range(1, 1 + len(path))
        )


def unmapped_fields(data: dict[str, Any], usage: Usage) -> list[Unmapped]:
    """Return every field of ``data`` the import did not map, with the reason, by path.

    A field none of whose parts was read is reported once, as a whole.
    """
    found = [Unmapped(path, reason) for path, reason in usage.notes.items()]
    touched = usage.used | set(usage.notes)

    def walk(value: Any, path: FieldPath) -> None:
        if path and usage.covers(path):
            return
        if path and not any(seen[: len(path)] == path for seen in touched):
            key = next(part for part in reversed(path) if isinstance(part, str))
            found.append(Unmapped(path, _REASONS.get(key, "mesh has no field for it")))
            return
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*path, str(key)))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*path, index))

    walk(data, ())
    return sorted(set(found), key=lambda item: (tuple(map(str, item.path)), item.reason))
