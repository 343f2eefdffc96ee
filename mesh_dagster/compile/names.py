"""Deterministic mapping of spec names onto Dagster's naming rules.

- group names and job names: ``[A-Za-z0-9_]``; every other character becomes ``_``;
- tag keys and values: at most 63 characters of ``[A-Za-z0-9_.-]``; other characters
  become ``_``, and a value cut to fit ends in ``-`` plus 8 hex characters of its SHA-256,
  so two long values never collide.
"""

from __future__ import annotations

import hashlib
import re

_NOT_NAME = re.compile(r"[^A-Za-z0-9_]")
_NOT_TAG = re.compile(r"[^A-Za-z0-9_.-]")
TAG_LIMIT = 63


def dagster_name(text: str) -> str:
    """Return ``text`` as a valid Dagster group, job or check name (``a-b`` -> ``a_b``)."""
    return _NOT_NAME.sub("_", text)


def short_hash(text: str, length: int = 8) -> str:
    """Return the first ``length`` hex characters of the SHA-256 of ``text``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def tag_text(text: str) -> str:
    """Return ``text`` as a valid tag key part or strict tag value (at most 63 characters)."""
    clean = _NOT_TAG.sub("_", text)
    if len(clean) <= TAG_LIMIT:
        return clean
    return clean[: TAG_LIMIT - 9] + "-" + short_hash(text)
