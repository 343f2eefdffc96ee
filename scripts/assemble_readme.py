"""Assemble README.md from its sections in docs/README-*.md.

Usage: `.venv/bin/python scripts/assemble_readme.py` (from the repository root). Edit the
sections, not README.md: tests/unit/test_readme_assembly.py fails when the two drift apart.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORDER = (
    "head", "tour", "dagster", "spec-and-cli", "example-mesh", "checks", "cli-check-sla",
    "alerts", "scorecards", "governance", "odcs", "production", "airflow", "benchmarks",
    "development",
)  # fmt: skip
_LEADING_COMMENT = re.compile(r"\A\s*<!--.*?-->\s*", re.S)


def assemble(root: Path = ROOT) -> str:
    """Return README.md's text: the sections in order, without their leading comments."""
    parts = []
    for name in ORDER:
        text = (root / "docs" / f"README-{name}.md").read_text(encoding="utf-8")
        parts.append(_LEADING_COMMENT.sub("", text).strip() + "\n")
    return "\n".join(parts)


if __name__ == "__main__":
    (ROOT / "README.md").write_text(assemble(), encoding="utf-8")
    sys.exit(0)
