"""README.md is assembled from docs/README-*.md; it must not drift from its sections."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_is_the_assembly_of_its_sections() -> None:
    spec = importlib.util.spec_from_file_location("assemble", ROOT / "scripts/assemble_readme.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "README.md").read_text(encoding="utf-8") == module.assemble(ROOT), (
        "README.md is out of date: run .venv/bin/python scripts/assemble_readme.py"
    )


def test_the_checks_section_lists_exactly_the_allowed_functions() -> None:
    from mesh_dagster.spec.check_sql import CHECK_FUNCTIONS

    text = (ROOT / "docs" / "README-checks.md").read_text(encoding="utf-8")
    start = text.index("these functions are allowed:")
    end = text.index("Any other function is refused", start)
    listed = re.findall(r"`([a-z_]+)`", text[start:end])
    assert listed == sorted(CHECK_FUNCTIONS)
