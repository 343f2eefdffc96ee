"""Parsers for the small value languages of a spec: types, times, durations, targets."""

from __future__ import annotations

import re
from datetime import time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from croniter import croniter

from mesh_dagster.spec.errors import did_you_mean

SIMPLE_TYPES = ("string", "integer", "bigint", "double", "boolean", "date", "timestamp")
_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_DURATION = re.compile(r"^(\d+)(m|h)$")
_KEBAB = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


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
    hint = did_you_mean(normalised, SIMPLE_TYPES)
    allowed = ", ".join(SIMPLE_TYPES) + ", decimal(p,s)"
    suffix = f" {hint}" if hint else ""
    raise ValueError(f"unknown column type '{text}'; expected one of {allowed}.{suffix}")


def parse_clock_time(text: str) -> time:
    """Return ``HH:MM`` as a time, or raise ValueError."""
    match = _CLOCK.match(text.strip())
    if not match:
        raise ValueError(f"expected a time of day as 'HH:MM' (24-hour), got '{text}'")
    return time(int(match.group(1)), int(match.group(2)))


def parse_duration(text: str) -> timedelta:
    """Return a duration such as ``30m`` or ``2h``, or raise ValueError."""
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"expected a positive duration such as '30m' or '2h', got '{text}'")
    amount = int(match.group(1))
    return timedelta(minutes=amount) if match.group(2) == "m" else timedelta(hours=amount)


def parse_share(value: float | int | str) -> float:
    """Return a share in (0, 1] from ``99.9%`` or ``0.999``, or raise ValueError."""
    if isinstance(value, str):
        text = value.strip()
        try:
            share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise ValueError(f"expected a share such as '99.9%' or 0.999, got '{value}'") from None
    else:
        share = float(value)
    if not 0 < share <= 1:
        raise ValueError(f"expected a share between 0 and 100%, got {value}")
    return share


def check_cron(expression: str) -> str:
    """Return the cron expression if it parses, or raise ValueError."""
    if not croniter.is_valid(expression) or len(expression.split()) != 5:
        raise ValueError(
            f"invalid cron expression '{expression}'; expected 5 fields "
            "'minute hour day-of-month month day-of-week', e.g. '0 6 * * *'"
        )
    return expression


def check_timezone(name: str) -> str:
    """Return the IANA timezone name if it exists, or raise ValueError."""
    try:
        ZoneInfo(name)
    except (KeyError, ValueError):
        hint = did_you_mean(name, available_timezones())
        suffix = f" {hint}" if hint else ""
        raise ValueError(
            f"unknown timezone '{name}'; expected an IANA name such as 'UTC' or "
            f"'Europe/Berlin'.{suffix}"
        ) from None
    return name


def check_kebab_name(name: str) -> str:
    """Return a kebab-case name, or raise ValueError."""
    if not _KEBAB.match(name):
        raise ValueError(f"expected a kebab-case name such as 'orders-daily', got '{name}'")
    return name


def check_column_name(name: str) -> str:
    """Return a column name (lowercase SQL identifier), or raise ValueError."""
    if not _IDENTIFIER.match(name):
        raise ValueError(
            f"expected a lowercase column name of letters, digits and '_', got '{name}'"
        )
    return name
