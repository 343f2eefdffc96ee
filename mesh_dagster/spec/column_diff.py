"""Changes to a product's columns: removed, renamed, added, retyped, nullability and PII."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mesh_dagster.spec.diff_types import SpecChange
from mesh_dagster.spec.models import ColumnSpec, DataProduct

_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")
# Integer digits a decimal needs to hold every value of an integer type.
_INTEGER_DIGITS = {"integer": 10, "bigint": 19}
_WIDER: dict[str, frozenset[str]] = {"integer": frozenset({"bigint", "double"})}


def _decimal(column_type: str) -> tuple[int, int] | None:
    match = _DECIMAL.match(column_type)
    return (int(match.group(1)), int(match.group(2))) if match else None


def type_widens(old: str, new: str) -> bool:
    """Return whether every value of column type ``old`` is exactly a value of ``new``.

    integer widens to bigint and double; a decimal widens to one with at least as many
    integer digits and as many decimal places; integer and bigint widen to a decimal with
    enough integer digits. Anything else (bigint -> double loses precision) does not.
    """
    if old == new or new in _WIDER.get(old, frozenset()):
        return True
    target = _decimal(new)
    if target is None:
        return False
    precision, scale = target
    source = _decimal(old)
    if source is not None:
        return scale >= source[1] and precision - scale >= source[0] - source[1]
    digits = _INTEGER_DIGITS.get(old)
    return digits is not None and precision - scale >= digits


def _renames(removed: list[ColumnSpec], added: list[ColumnSpec]) -> dict[str, ColumnSpec]:
    """Return removed column name -> the added column of the same type taken as its new name."""
    pairs: dict[str, ColumnSpec] = {}
    taken: set[str] = set()
    for old in removed:
        for new in added:
            if new.name not in taken and new.type == old.type:
                pairs[old.name] = new
                taken.add(new.name)
                break
    return pairs


def _handling(column: ColumnSpec) -> str:
    return column.pii_handling or "none"


def _column_changes(old: ColumnSpec, new: ColumnSpec) -> Iterator[SpecChange]:
    field = f"spec.schema.{old.name}"
    if old.type != new.type:
        widens = type_widens(old.type, new.type)
        reason = "which widens" if widens else "which does not widen"
        yield SpecChange(
            "column_type_changed",
            not widens,
            f"{field}.type",
            old.type,
            new.type,
            f"column '{old.name}' changes type from {old.type} to {new.type}, {reason}",
        )
    if old.nullable != new.nullable:
        message = (
            f"column '{old.name}' may now be null"
            if new.nullable
            else f"column '{old.name}' is now required to be non-null"
        )
        yield SpecChange(
            "column_nullable_changed",
            new.nullable,
            f"{field}.nullable",
            str(old.nullable).lower(),
            str(new.nullable).lower(),
            message,
        )
    if old.pii_handling != new.pii_handling:
        yield SpecChange(
            "column_pii_handling_changed",
            True,
            f"{field}.pii_handling",
            _handling(old),
            _handling(new),
            f"column '{old.name}' changes PII handling from {_handling(old)} to "
            f"{_handling(new)}, so its published values change",
        )
    if old.pii != new.pii:
        state = "marked as PII" if new.pii else "no longer marked as PII"
        yield SpecChange(
            "column_pii_changed",
            False,
            f"{field}.pii",
            str(old.pii).lower(),
            str(new.pii).lower(),
            f"column '{old.name}' is {state}",
        )
    if old.description != new.description:
        yield SpecChange(
            "column_description_changed",
            False,
            f"{field}.description",
            old.description,
            new.description,
            f"column '{old.name}' has a new description",
        )


def column_changes(old: DataProduct, new: DataProduct) -> Iterator[SpecChange]:
    """Yield the changes from ``old``'s columns to ``new``'s, in the old schema's order."""
    old_names = {column.name for column in old.spec.columns}
    new_names = {column.name for column in new.spec.columns}
    removed = [column for column in old.spec.columns if column.name not in new_names]
    added = [column for column in new.spec.columns if column.name not in old_names]
    renamed = _renames(removed, added)
    for column in old.spec.columns:
        field = f"spec.schema.{column.name}"
        if column.name in renamed:
            target = renamed[column.name]
            yield SpecChange(
                "column_renamed",
                True,
                field,
                column.name,
                target.name,
                f"column '{column.name}' is removed, apparently renamed to '{target.name}' "
                f"(added with the same type, {column.type})",
            )
        elif column.name not in new_names:
            yield SpecChange(
                "column_removed",
                True,
                field,
                column.name,
                None,
                f"column '{column.name}' ({column.type}) is removed",
            )
        else:
            new_column = new.column(column.name)
            assert new_column is not None
            yield from _column_changes(column, new_column)
    renamed_to = {column.name for column in renamed.values()}
    for column in added:
        if column.name not in renamed_to:
            yield SpecChange(
                "column_added",
                False,
                f"spec.schema.{column.name}",
                None,
                column.name,
                f"column '{column.name}' ({column.type}) is added",
            )
