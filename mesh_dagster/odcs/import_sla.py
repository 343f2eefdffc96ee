"""ODCS `slaProperties` -> the SLA, freshness and period of a mesh product."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mesh_dagster.odcs.report import Usage
from mesh_dagster.spec.errors import FieldPath

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2})?\s*(Z|[+-]\d{2}:?\d{2})?$")
_HOURS = {
    "h": 1.0, "hr": 1.0, "hrs": 1.0, "hour": 1.0, "hours": 1.0,
    "m": 1 / 60, "min": 1 / 60, "mins": 1 / 60, "minute": 1 / 60, "minutes": 1 / 60,
    "d": 24.0, "day": 24.0, "days": 24.0,
}  # fmt: skip
_PERIODS = {
    ("h", 1): "hour", ("hour", 1): "hour", ("hours", 1): "hour",
    ("d", 1): "day", ("day", 1): "day", ("days", 1): "day",
    ("w", 1): "week", ("week", 1): "week", ("d", 7): "week",
    ("month", 1): "month", ("months", 1): "month", ("mo", 1): "month",
}  # fmt: skip
_UNUSED = {
    "retention": "mesh keeps every published period (no retention)",
    "generalAvailability": "mesh has no lifecycle dates",
    "endOfSupport": "mesh has no lifecycle dates",
    "endOfLife": "mesh has no lifecycle dates",
    "throughput": "mesh does not measure throughput",
    "errorRate": "mesh measures quality as the share of passed error rules",
    "timeToDetect": "mesh alerts at the deadline",
    "timeToNotify": "mesh notifies as soon as an incident opens",
    "timeToRepair": "mesh measures time to recover in the scorecard",
}


@dataclass
class SlaImport:
    """What a contract's SLA properties say, with where each came from."""

    available_by: tuple[str, FieldPath] | None = None
    timezone: tuple[str, FieldPath] | None = None
    freshness_hours: tuple[float, FieldPath] | None = None
    target: tuple[float, FieldPath] | None = None
    period: tuple[str, FieldPath] | None = None
    problems: list[tuple[FieldPath, str]] = field(default_factory=list)


def _offset_zone(offset: str | None) -> str | None:
    """Return an IANA zone for a fixed UTC offset (`-08:00` -> `Etc/GMT+8`), if whole hours."""
    if offset is None:
        return None
    if offset in ("Z", "+00:00", "-00:00", "+0000"):
        return "UTC"
    digits = offset.replace(":", "")
    hours, minutes = int(digits[1:3]), int(digits[3:5])
    if minutes:
        return None
    sign = "-" if offset[0] == "+" else "+"  # the Etc zones count the other way
    return f"Etc/GMT{sign}{hours}"


def _custom(item: dict[str, Any], name: str) -> tuple[Any, int] | None:
    for index, prop in enumerate(item.get("customProperties") or []):
        if isinstance(prop, dict) and prop.get("property") == name:
            return prop.get("value"), index
    return None


def _time_of_availability(
    item: dict[str, Any], path: FieldPath, found: SlaImport, usage: Usage
) -> None:
    match = _CLOCK.match(str(item.get("value", "")).strip())
    if match is None or int(match[1]) > 23:
        found.problems.append(((*path, "value"), "expected a time of day such as '07:00'."))
        return
    clock = f"{int(match[1]):02d}:{match[2]}"
    if found.available_by is not None and found.available_by[0] <= clock:
        usage.leave(path, f"mesh keeps one deadline, the earliest ({found.available_by[0]})")
        return
    if found.available_by is not None:
        usage.leave(found.available_by[1], f"mesh keeps one deadline, the earliest ({clock})")
    found.available_by = (clock, path)
    usage.use(path)
    zone = _custom(item, "mesh.timezone")
    if zone is not None and isinstance(zone[0], str):
        found.timezone = (zone[0], (*path, "customProperties", zone[1], "value"))
    elif match[3] is not None:
        name = _offset_zone(match[3])
        if name is None:
            reason = "mesh reads deadlines in a timezone; this offset is not a whole hour"
            found.problems.append(((*path, "value"), reason))
        else:
            found.timezone = (name, (*path, "value"))


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().rstrip("%"))
        except ValueError:
            return None
    return None


def import_sla(items: Any, usage: Usage) -> SlaImport:
    """Read a contract's `slaProperties`; what mesh has no use for is noted in ``usage``."""
    found = SlaImport()
    if not isinstance(items, list):
        return found
    for index, item in enumerate(items):
        path: FieldPath = ("slaProperties", index)
        if not isinstance(item, dict):
            continue
        prop = str(item.get("property", ""))
        unit = str(item.get("unit", "")).strip().lower()
        number = _number(item.get("value"))
        if prop in ("timeOfAvailability", "toa"):
            _time_of_availability(item, path, found, usage)
        elif prop in ("latency", "ly", "freshness") and number is not None and unit in _HOURS:
            found.freshness_hours = (round(number * _HOURS[unit], 10), (*path, "value"))
            usage.use(path)
        elif prop in ("availability", "av") and number is not None:
            percent = unit in ("percent", "%") or str(item.get("value")).endswith("%") or number > 1
            found.target = (round(number / 100 if percent else number, 10), (*path, "value"))
            usage.use(path)
        elif prop in ("frequency", "fy") and number is not None and (unit, int(number)) in _PERIODS:
            found.period = (_PERIODS[(unit, int(number))], path)
        elif prop in _UNUSED:
            usage.leave(path, _UNUSED[prop])
        else:
            usage.leave(path, f"mesh cannot read the SLA property '{prop}' with this value or unit")
    return found
