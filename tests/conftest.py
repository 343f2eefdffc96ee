"""Shared fixtures: a specs folder in a temporary directory, filled from a valid base spec."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from spec_folder import SpecFolder

# Fixtures for real local servers live in tests/fixtures/, one module per server.
pytest_plugins = [
    "fixtures.s3",
    "fixtures.glue",
    "fixtures.postgres",
    "fixtures.receivers",
    "fixtures.dagster_env",
    "fixtures.browser",
]


@pytest.fixture(scope="session", autouse=True)
def private_spec_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep the spec cache of the test session in a folder of its own, not the user's.

    Set in the environment, so the ``mesh`` and Dagster processes the tests start share it.
    """
    folder = tmp_path_factory.mktemp("mesh_cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MESH_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture
def specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SpecFolder]:
    """Return an empty ``specs/`` folder; the test runs in its parent, so paths are short.

    ``specs.product(...)`` writes the valid base spec of ``spec_folder.product_data`` with
    overrides, ``specs.policy(...)`` the example policy, ``specs.problems()`` the lines a
    user would see.
    """
    monkeypatch.chdir(tmp_path)
    root = Path("specs")
    root.mkdir()
    yield SpecFolder(root)
