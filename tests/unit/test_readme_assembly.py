"""README.md is assembled from docs/README-*.md; it must not drift from its sections."""

from __future__ import annotations

import importlib.util
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
