"""Changes to where a product is published, how it is built and who relies on it."""

from __future__ import annotations

from collections.abc import Iterator

from mesh_dagster.spec.diff_types import SpecChange
from mesh_dagster.spec.models import ConsumerSpec, DataProduct, InputSpec, OutputSpec


def _show_input(item: InputSpec) -> str:
    if item.product is not None:
        return f"product {item.product}"
    assert item.source is not None
    return f"source {item.source.name}"


def _output_changes(old: OutputSpec, new: OutputSpec) -> Iterator[SpecChange]:
    for field in ("format", "location", "catalog", "database", "table"):
        before, after = getattr(old, field), getattr(new, field)
        if before == after:
            continue
        added_catalog = field == "catalog" and before is None
        message = (
            f"the table is now registered in the {after} catalog"
            if added_catalog
            else f"output {field} changes from {before or 'none'} to {after or 'none'}; "
            "readers of the table must follow it"
        )
        yield SpecChange(
            "output_changed", not added_catalog, f"spec.output.{field}", before, after, message
        )


def _consumer_changes(old: list[ConsumerSpec], new: list[ConsumerSpec]) -> Iterator[SpecChange]:
    before = {consumer.team: consumer for consumer in old}
    after = {consumer.team: consumer for consumer in new}
    for team in sorted(set(before) | set(after)):
        if before.get(team) == after.get(team):
            continue
        if team not in after:
            state, old_value, new_value = "no longer listed", team, None
        elif team not in before:
            state, old_value, new_value = "added", None, team
        else:
            state, old_value, new_value = "changed", team, team
        yield SpecChange(
            "consumers_changed",
            False,
            "spec.consumers",
            old_value,
            new_value,
            f"consumer '{team}' {state}",
        )


def usage_changes(old: DataProduct, new: DataProduct) -> Iterator[SpecChange]:
    """Yield changes of output, inputs, transform, consumers and alerts, all but output internal."""
    yield from _output_changes(old.spec.output, new.spec.output)
    old_inputs = [_show_input(item) for item in old.spec.inputs]
    new_inputs = [_show_input(item) for item in new.spec.inputs]
    if old.spec.inputs != new.spec.inputs:
        gone = [item for item in old_inputs if item not in new_inputs]
        came = [item for item in new_inputs if item not in old_inputs]
        parts = [f"+ {item}" for item in came] + [f"- {item}" for item in gone]
        yield SpecChange(
            "inputs_changed",
            False,
            "spec.inputs",
            ", ".join(old_inputs) or "none",
            ", ".join(new_inputs) or "none",
            f"inputs change ({'; '.join(parts) or 'options'})",
        )
    if old.spec.transform != new.spec.transform:
        yield SpecChange(
            "transform_changed", False, "spec.transform", None, None, "the transform changes"
        )
    yield from _consumer_changes(old.spec.consumers, new.spec.consumers)
    if old.spec.alerts != new.spec.alerts:
        yield SpecChange(
            "alerts_changed",
            False,
            "spec.alerts.channels",
            ", ".join(old.spec.alerts.channels) or "none",
            ", ".join(new.spec.alerts.channels) or "none",
            "the product's extra alert channels change",
        )
