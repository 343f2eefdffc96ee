"""Writing GitHub-flavoured Markdown safely: escaped text, code spans, tables."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_\[\]<|~#])")


def md_escape(text: str) -> str:
    """Return ``text`` on one line with Markdown and HTML syntax escaped."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def md_code(text: str | None) -> str:
    """Return ``text`` as an inline code span safe inside a table cell (empty for None)."""
    if text is None:
        return ""
    value = " ".join(text.split()).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Return the lines of a table; cells are Markdown already escaped."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines
