"""Names of custom checks: given, or derived from their SQL; stable and Dagster-valid."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Collection, Sequence

from mesh_dagster.spec.models import CustomCheck

MAX_NAME_LENGTH = 63
_HASH_LENGTH = 8
_NOT_NAME = re.compile(r"[^a-z0-9]+")


class CheckPlanError(ValueError):
    """The quality rules of a product cannot be planned; the message says why."""


def sql_hash(sql: str) -> str:
    """Return a short hash of ``sql`` that ignores how it is spaced."""
    return hashlib.sha256(" ".join(sql.split()).encode("utf-8")).hexdigest()[:_HASH_LENGTH]


def _with_hash(base: str, sql: str) -> str:
    room = MAX_NAME_LENGTH - _HASH_LENGTH - 1
    return f"{base[:room].rstrip('_')}_{sql_hash(sql)}"


def derived_name(sql: str) -> str:
    """Return ``check_<slug of sql>``, cut to 63 characters with a hash suffix if longer."""
    slug = _NOT_NAME.sub("_", sql.lower()).strip("_")
    base = f"check_{slug}" if slug else "check"
    return base if len(base) <= MAX_NAME_LENGTH else _with_hash(base, sql)


def name_custom_checks(checks: Sequence[CustomCheck], taken: Collection[str]) -> list[str]:
    """Return the name of each custom check, in order, none of them in ``taken``.

    A derived name that two checks (or a given name) would share gets the hash of its SQL,
    so the name depends on the check's own SQL and not on its position; only checks with
    the same SQL are told apart by a counter.
    """
    given = [check.name for check in checks if check.name is not None]
    for name, count in Counter(given).items():
        if count > 1:
            raise CheckPlanError(f"two custom checks are named '{name}'; names must be unique.")
        if name in taken:
            raise CheckPlanError(
                f"the custom check name '{name}' is the name of a built-in check; "
                "choose another name."
            )
    derived = {index: derived_name(check.sql) for index, check in enumerate(checks)}
    counts = Counter(derived[index] for index, check in enumerate(checks) if check.name is None)
    blocked = set(taken) | set(given)
    names: list[str] = []
    used = set(blocked)
    for index, check in enumerate(checks):
        if check.name is not None:
            names.append(check.name)
            continue
        name = derived[index]
        if counts[name] > 1 or name in blocked:
            name = _with_hash(name, check.sql)
        unique, number = name, 2
        while unique in used:
            suffix = f"_{number}"
            unique = f"{name[: MAX_NAME_LENGTH - len(suffix)]}{suffix}"
            number += 1
        used.add(unique)
        names.append(unique)
    return names
