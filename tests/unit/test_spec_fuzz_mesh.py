"""Seeded mutations of the whole example mesh: located problems, never a traceback or a hang.

Each round copies the example mesh, puts hostile values (the shapes of issue 13: deep SQL,
comments, unknown functions, escaping or shared locations, odd YAML) at random field paths
of random specs, and loads it. Loading must either succeed or raise SpecError whose every
problem names a file of the mesh, a line and a column, and reads as a sentence.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from mesh_dagster.spec import SpecError, load_mesh

EXAMPLE_SPECS = Path(__file__).resolve().parents[2] / "specs"

HOSTILE_VALUES: list[Any] = [
    "(" * 200 + "1" + ")" * 200,
    "amount > 0 -- note\nor true",
    "contains(status, 'x') and ends_with(status, 'y')",
    "read_csv('/etc/passwd') is not null",
    "* is not null",
    "E'\\x00' is not null",
    "select * from (order_events)",
    "with recursive t(n) as (select 1 union all select n+1 from t) select n from t",
    "s3://data-platform/products/orders/../../../../../escaped/",
    "s3://data-platform/products/orders/orders_daily",
    "s3://data-platform/products/orders/orders_daily/nested/",
    "",
    ".",
    "file:///etc",
    "http://example.com/x",
    "gs://bucket/x",
    "\x1b[31mred",
    "bob.secret@example.com",
    "9" * 5000,
    -1,
    1e308,
    None,
    True,
    [],
    {},
    {"<<": {"a": 1}},
    [[[[[[[[[[[["deep"]]]]]]]]]]]],
    "2026-02-30",
    "Europe/" + "x" * 300,
    "not_a_column > 0",
    "count(*) > 0 and amount > 0",
    "sum(amount) over () > 0",
]


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Return every field path of ``data`` (mapping keys and list indexes)."""
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


def _mutate(root: Path, rng: random.Random) -> None:
    files = sorted(root.rglob("*.yaml"))
    for _ in range(rng.randint(1, 4)):
        file = rng.choice(files)
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        paths = _paths(data)
        _set(data, rng.choice(paths), rng.choice(HOSTILE_VALUES))
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        if rng.random() < 0.2:  # and sometimes the text itself
            at = rng.randint(0, len(text))
            text = (
                text[:at]
                + rng.choice(["\t", "&a ", "*a", "!Ref ", "<<: ", "[", "\x00"])
                + text[at:]
            )
        file.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("seed", range(3))
def test_mutated_meshes_give_located_problems_never_a_traceback(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    reported = 0
    for round_ in range(20):
        root = tmp_path / f"round{round_}"
        shutil.copytree(EXAMPLE_SPECS, root)
        _mutate(root, rng)
        files = {str(path) for path in root.rglob("*.yaml")}
        try:
            load_mesh(root)
        except SpecError as error:
            reported += 1
            for problem in error.problems:
                assert problem.file in files, problem
                assert problem.line >= 1 and problem.column >= 1, problem
                assert problem.message.rstrip().endswith((".", "?", ")")), problem
                assert "Traceback" not in problem.message
    assert reported > 10  # the mutations do break the mesh
