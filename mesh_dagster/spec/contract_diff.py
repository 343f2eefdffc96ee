"""Changes to one product's contract: identity, schema, grain, partitioning, SLA, quality."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from mesh_dagster.spec.column_diff import column_changes
from mesh_dagster.spec.diff_types import (
    SpecChange,
    show_duration,
    show_hours,
    show_share,
    show_time,
)
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import CustomCheck, DataProduct, PartitioningSpec
from mesh_dagster.spec.usage_diff import usage_changes

# Days on which deadlines in different timezones are compared: one in winter, one in summer,
# so a timezone change counts as later if it is later on either side of a DST switch.
_REFERENCE_DAYS = (date(2026, 1, 15), date(2026, 7, 15))


@dataclass(frozen=True)
class ProductPair:
    """A product at the base and in the new mesh, with the meshes that give its defaults."""

    old_mesh: Mesh
    new_mesh: Mesh
    old: DataProduct
    new: DataProduct


def _change(
    kind: str, breaking: bool, field: str, old: str | None, new: str | None, message: str
) -> SpecChange:
    return SpecChange(kind, breaking, field, old, new, message)


def _identity_changes(pair: ProductPair) -> Iterator[SpecChange]:
    old, new = pair.old.metadata, pair.new.metadata
    if old.name != new.name:
        yield _change(
            "product_renamed",
            True,
            "metadata.name",
            old.name,
            new.name,
            f"product '{old.name}' is removed, apparently renamed to '{new.name}' "
            "(added with the same domain and columns)",
        )
    if old.domain != new.domain:
        yield _change(
            "domain_changed",
            True,
            "metadata.domain",
            old.domain,
            new.domain,
            f"the asset key changes from {old.domain}/{old.name} to {new.domain}/{new.name}",
        )
    for field in ("owner", "steward", "version"):
        before, after = getattr(old, field), getattr(new, field)
        if before != after:
            yield _change(
                f"{field}_changed",
                False,
                f"metadata.{field}",
                before,
                after,
                f"{field} changes from {before or 'none'} to {after or 'none'}",
            )
    if old.tags != new.tags:
        changed = sorted(
            key for key in set(old.tags) | set(new.tags) if old.tags.get(key) != new.tags.get(key)
        )
        yield _change(
            "tags_changed", False, "metadata.tags", None, None, f"tags change: {', '.join(changed)}"
        )
    if pair.old.spec.description != pair.new.spec.description:
        yield _change(
            "description_changed",
            False,
            "spec.description",
            None,
            None,
            "the description changes",
        )


def _show_partitioning(partitioning: PartitioningSpec | None) -> str:
    if partitioning is None:
        return "none"
    return f"by {partitioning.by} on {partitioning.column} from {partitioning.start.isoformat()}"


def _partitioning_changes(pair: ProductPair) -> Iterator[SpecChange]:
    old, new = pair.old.spec, pair.new.spec
    if set(old.grain) != set(new.grain):
        yield _change(
            "grain_changed",
            True,
            "spec.grain",
            ", ".join(old.grain) or "none",
            ", ".join(new.grain) or "none",
            "the grain (the columns identifying one row) changes",
        )
    before, after = old.partitioning, new.partitioning
    if before != after:
        earlier_start = (
            before is not None
            and after is not None
            and (before.by, before.column) == (after.by, after.column)
            and after.start < before.start
        )
        message = (
            "partitioning starts earlier, so more periods are published"
            if earlier_start
            else "partitioning changes, so periods no longer map to the same partitions"
        )
        yield _change(
            "partitioning_changed",
            not earlier_start,
            "spec.partitioning",
            _show_partitioning(before),
            _show_partitioning(after),
            message,
        )
    old_zone, new_zone = pair.old_mesh.timezone_of(pair.old), pair.new_mesh.timezone_of(pair.new)
    if old_zone != new_zone:
        partitioned = before is not None and after is not None
        yield _change(
            "timezone_changed",
            partitioned,
            "spec.schedule.timezone",
            old_zone,
            new_zone,
            "the schedule's timezone changes, so every period's bounds move"
            if partitioned
            else "the schedule's timezone changes",
        )
    if (old.schedule and old.schedule.cron) != (new.schedule and new.schedule.cron):
        yield _change(
            "schedule_changed",
            False,
            "spec.schedule.cron",
            old.schedule.cron if old.schedule else "none",
            new.schedule.cron if new.schedule else "none",
            "the build schedule changes (the SLA is the commitment to consumers)",
        )


def _deadline_later(pair: ProductPair) -> bool | None:
    """Return whether the `available_by` deadline moves later (None: it does not move)."""
    old_sla, new_sla = pair.old.spec.sla, pair.new.spec.sla
    assert old_sla and new_sla and old_sla.available_by and new_sla.available_by
    old_zone = pair.old_mesh.sla_timezone_of(pair.old)
    new_zone = pair.new_mesh.sla_timezone_of(pair.new)
    moves: list[float] = []
    for day in _REFERENCE_DAYS:
        before = datetime.combine(day, old_sla.available_by, ZoneInfo(old_zone))
        after = datetime.combine(day, new_sla.available_by, ZoneInfo(new_zone))
        moves.append((after - before).total_seconds())
    if all(move == 0 for move in moves):
        return None
    return any(move > 0 for move in moves)


def _show_deadline(pair: ProductPair, old_side: bool) -> str:
    product = pair.old if old_side else pair.new
    mesh = pair.old_mesh if old_side else pair.new_mesh
    sla = product.spec.sla
    assert sla is not None
    if sla.available_by is not None:
        return f"available by {show_time(sla.available_by)} {mesh.sla_timezone_of(product)}"
    assert sla.within is not None
    return f"within {show_duration(sla.within)}"


def _sla_changes(pair: ProductPair) -> Iterator[SpecChange]:
    old, new = pair.old.spec.sla, pair.new.spec.sla
    if old is None and new is None:
        return
    if old is None or new is None:
        added = old is None
        shown = _show_deadline(pair, old_side=not added)
        yield _change(
            "sla_added" if added else "sla_removed",
            not added,
            "spec.sla",
            None if added else shown,
            shown if added else None,
            f"an SLA is now promised ({shown})" if added else f"the SLA ({shown}) is dropped",
        )
        return
    before, after = _show_deadline(pair, True), _show_deadline(pair, False)
    later: bool | None
    if old.available_by is not None and new.available_by is not None:
        later = _deadline_later(pair)
    elif old.within is not None and new.within is not None:
        later = None if old.within == new.within else new.within > old.within
    else:
        later = True  # available_by <-> within cannot be compared: assume the worse
    if later is not None:
        yield _change(
            "sla_deadline_changed",
            later,
            "spec.sla.within" if new.within else "spec.sla.available_by",
            before,
            after,
            f"the SLA deadline moves {'later' if later else 'earlier'}: {before} -> {after}",
        )
    old_target = pair.old_mesh.availability_target_of(pair.old)
    new_target = pair.new_mesh.availability_target_of(pair.new)
    if old_target != new_target:
        lower = new_target is None or (old_target is not None and new_target < old_target)
        before_target = "none" if old_target is None else show_share(old_target)
        after_target = "none" if new_target is None else show_share(new_target)
        yield _change(
            "sla_target_changed",
            lower,
            "spec.sla.availability_target",
            before_target,
            after_target,
            f"the availability target is {'lowered' if lower else 'raised'}: "
            f"{before_target} -> {after_target}",
        )


def _show_check(check: CustomCheck) -> str:
    return check.name or check.sql


def _pair_checks(
    old: list[CustomCheck], new: list[CustomCheck]
) -> tuple[list[tuple[CustomCheck, CustomCheck]], list[CustomCheck], list[CustomCheck]]:
    """Return matched (old, new) checks, then the removed and the added ones.

    Named checks match by name, then the rest by their SQL.
    """
    pairs: list[tuple[CustomCheck, CustomCheck]] = []
    unmatched = list(new)
    removed: list[CustomCheck] = []
    for check in old:
        match = next((c for c in unmatched if check.name and c.name == check.name), None)
        match = match or next((c for c in unmatched if c.sql == check.sql), None)
        if match is None:
            removed.append(check)
        else:
            pairs.append((check, match))
            unmatched.remove(match)
    return pairs, removed, unmatched


def _check_changes(pair: ProductPair) -> Iterator[SpecChange]:
    field = "spec.quality.custom_checks"
    old, new = pair.old.spec.quality.custom_checks, pair.new.spec.quality.custom_checks
    matched, removed, added = _pair_checks(old, new)
    for before, after in matched:
        shown = _show_check(before)
        if before.sql != after.sql:
            yield _change(
                "quality_check_changed",
                True,
                field,
                before.sql,
                after.sql,
                f"check '{shown}' changes its rule; it may be looser than before",
            )
        if before.severity != after.severity:
            looser = after.severity == "warn"
            yield _change(
                "quality_check_severity_changed",
                looser,
                field,
                before.severity,
                after.severity,
                f"check '{shown}' {'no longer' if looser else 'now'} blocks publishing",
            )
        if before.description != after.description:
            yield _change(
                "quality_check_description_changed",
                False,
                field,
                before.description,
                after.description,
                f"check '{shown}' has a new description",
            )
    for check in removed:
        yield _change(
            "quality_check_removed",
            True,
            field,
            check.sql,
            None,
            f"check '{_show_check(check)}' is removed; consumers lose its guarantee",
        )
    for check in added:
        yield _change(
            "quality_check_added",
            False,
            field,
            None,
            check.sql,
            f"check '{_show_check(check)}' is added",
        )


def _freshness_message(before: str, after: str, looser: bool) -> str:
    if before == "none":
        return f"a freshness window of {after} hours is set"
    if after == "none":
        return f"the freshness window of {before} hours is dropped"
    return f"the freshness window {'widens' if looser else 'narrows'}: {before} -> {after} hours"


def _quality_changes(pair: ProductPair) -> Iterator[SpecChange]:
    old, new = pair.old.spec.quality, pair.new.spec.quality
    if old.completeness_threshold != new.completeness_threshold:
        lower = new.completeness_threshold < old.completeness_threshold
        before, after = (
            show_share(old.completeness_threshold),
            show_share(new.completeness_threshold),
        )
        yield _change(
            "quality_completeness_changed",
            lower,
            "spec.quality.completeness_threshold",
            before,
            after,
            f"the completeness threshold is {'lowered' if lower else 'raised'}: "
            f"{before} -> {after}",
        )
    if old.freshness_sla_hours != new.freshness_sla_hours:
        looser = new.freshness_sla_hours is None or (
            old.freshness_sla_hours is not None
            and new.freshness_sla_hours > old.freshness_sla_hours
        )
        before = "none" if old.freshness_sla_hours is None else show_hours(old.freshness_sla_hours)
        after = "none" if new.freshness_sla_hours is None else show_hours(new.freshness_sla_hours)
        yield _change(
            "quality_freshness_changed",
            looser,
            "spec.quality.freshness_sla_hours",
            before,
            after,
            _freshness_message(before, after, looser),
        )
    if old.allow_empty != new.allow_empty:
        yield _change(
            "quality_allow_empty_changed",
            new.allow_empty,
            "spec.quality.allow_empty",
            str(old.allow_empty).lower(),
            str(new.allow_empty).lower(),
            "an empty period may now be published"
            if new.allow_empty
            else "an empty period is no longer published",
        )
    yield from _check_changes(pair)


def product_changes(pair: ProductPair) -> Iterator[SpecChange]:
    """Yield every change from ``pair.old`` to ``pair.new``, grouped by area in spec order."""
    yield from _identity_changes(pair)
    yield from column_changes(pair.old, pair.new)
    yield from _partitioning_changes(pair)
    yield from _sla_changes(pair)
    yield from _quality_changes(pair)
    yield from usage_changes(pair.old, pair.new)
