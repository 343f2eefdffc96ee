"""Parsers for the small value languages of a spec: types, times, durations, targets."""

from __future__ import annotations

import functools
import re
from datetime import datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, available_timezones

from annotated_types import Gt, Le
from croniter import CroniterBadDateError, croniter
from pydantic import StringConstraints

from mesh_dagster.spec.errors import HintedValueError, did_you_mean

SIMPLE_TYPES = ("string", "integer", "bigint", "double", "boolean", "date", "timestamp")
_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")
CLOCK = r"^([01]\d|2[0-3]):([0-5]\d)$"
DURATION = r"^(\d+)(m|h)$"
WAIT = r"^(\d+(?:\.\d+)?)(s|m)$"
PERCENT = r"^\s*\d+(\.\d+)?\s*%\s*$"
_CLOCK = re.compile(CLOCK)
_CRON_FIELDS = (
    ("minute", "0-59"),
    ("hour", "0-23"),
    ("day-of-month", "1-31"),
    ("month", "1-12 or jan-dec"),
    ("day-of-week", "0-6 or sun-sat"),
)
_DURATION = re.compile(DURATION)

# Patterns of string fields; they also go into the JSON Schema, so editors check them.
KEBAB_NAME = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
COLUMN_NAME = r"^[a-z_][a-z0-9_]*$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
SEMVER = r"^\d+\.\d+\.\d+$"
PYTHON_REFERENCE = r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$"
CHECK_NAME = r"^[A-Za-z0-9_]{1,63}$"

PATTERN_EXPECTATIONS: dict[str, str] = {
    KEBAB_NAME: "a kebab-case name of lowercase letters, digits and '-', such as 'orders-daily'",
    COLUMN_NAME: "a lowercase column name of letters, digits and '_', such as 'order_id'",
    EMAIL: "an e-mail address such as 'jane.smith@company.com'",
    SEMVER: "a version 'MAJOR.MINOR.PATCH' such as '1.2.0'",
    PYTHON_REFERENCE: "'module:function', such as 'mesh_demo.orders:build_orders'",
    CHECK_NAME: "a name of letters, digits and '_', at most 63 characters",
}
"""What each pattern means, in words, for error messages."""

# What a spec author writes for values that are parsed into richer types; these go into
# the JSON Schema (``json_schema_input_type``), so an editor accepts exactly these forms.
ClockText = Annotated[str, StringConstraints(pattern=CLOCK)]
DurationText = Annotated[str, StringConstraints(pattern=DURATION)]
PercentText = Annotated[str, StringConstraints(pattern=PERCENT)]
ShareInput = Annotated[float, Gt(0), Le(1)] | PercentText
COLUMN_TYPE_EXAMPLES = [*SIMPLE_TYPES, "decimal(18,2)"]


def parse_column_type(text: str) -> str:
    """Return the normalised column type, or raise ValueError naming what is allowed."""
    normalised = text.strip().lower()
    if normalised in SIMPLE_TYPES:
        return normalised
    match = _DECIMAL.match(normalised)
    if match:
        precision, scale = int(match.group(1)), int(match.group(2))
        if not 1 <= precision <= 38 or scale > precision:
            raise ValueError(
                f"decimal precision must be 1-38 and scale at most the precision, got '{text}'"
            )
        return f"decimal({precision},{scale})"
    allowed = ", ".join(SIMPLE_TYPES) + " or decimal(p,s)"
    raise HintedValueError(
        f"unknown column type '{text}'; expected {allowed}", did_you_mean(normalised, SIMPLE_TYPES)
    )


def _shown(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def parse_clock_time(value: Any) -> time:
    """Return ``"HH:MM"`` as a time, or raise ValueError."""
    if isinstance(value, time):
        return value
    match = _CLOCK.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"expected a time of day as 'HH:MM' (24-hour), got {_shown(value)}")
    return time(int(match.group(1)), int(match.group(2)))


def parse_duration(value: Any) -> timedelta:
    """Return a duration such as ``30m`` or ``2h``, or raise ValueError."""
    if isinstance(value, timedelta):
        return value
    match = _DURATION.match(value.strip()) if isinstance(value, str) else None
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"expected a positive duration such as '30m' or '2h', got {_shown(value)}")
    amount = int(match.group(1))
    return timedelta(minutes=amount) if match.group(2) == "m" else timedelta(hours=amount)


def parse_share(value: Any) -> float:
    """Return a share in (0, 1] from ``99.9%`` or ``0.999``, or raise ValueError."""
    expected = "expected a share such as '99.9%' or 0.999"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{expected}, got {str(value).lower()}")
    if isinstance(value, str):
        text = value.strip()
        try:
            share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise ValueError(f"{expected}, got '{value}'") from None
    else:
        share = float(value)
    if not 0 < share <= 1:
        as_percent = not isinstance(value, str) and share <= 100
        hint = f"Did you mean '{value:g}%'?" if as_percent else None
        raise HintedValueError(f"{expected} (above 0, at most 100%), got {_shown(value)}", hint)
    return round(share, 12)  # 99.9 / 100 is 0.9990000000000001 in binary floating point


def check_cron(expression: str) -> str:
    """Return the cron expression if it parses, or raise ValueError."""
    return _check_cron(expression)


# croniter takes about 0.5 ms to judge an expression and a mesh repeats a few crons in
# every spec: each distinct one is judged once per process (errors are never cached).
@functools.lru_cache(maxsize=1024)
def _check_cron(expression: str) -> str:
    fields = expression.split()
    example = "For example '0 6 * * *' runs every day at 06:00."
    if len(fields) != 5:
        raise HintedValueError(
            f"invalid cron expression '{expression}'; expected 5 fields "
            f"(minute hour day-of-month month day-of-week), got {len(fields)}",
            example,
        )
    if not croniter.is_valid(expression):
        for index, (name, allowed) in enumerate(_CRON_FIELDS):
            alone = ["*"] * 5
            alone[index] = fields[index]
            if not croniter.is_valid(" ".join(alone)):
                raise HintedValueError(
                    f"invalid cron expression '{expression}'; its {name} field "
                    f"'{fields[index]}' is not valid (allowed: {allowed})",
                    example,
                )
        raise HintedValueError(f"invalid cron expression '{expression}'", example)
    try:
        croniter(expression, datetime(2000, 1, 1)).get_next(datetime)
    except CroniterBadDateError:
        raise HintedValueError(
            f"the cron expression '{expression}' never fires (no such date)", example
        ) from None
    return expression


def check_timezone(name: str) -> str:
    """Return the IANA timezone name if it exists, or raise ValueError."""
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # OSError: a name too long for a file name
        raise HintedValueError(
            f"unknown timezone '{name}'; expected an IANA name such as 'UTC' or 'Europe/Berlin'",
            did_you_mean(name, available_timezones()),
        ) from None
    return name
