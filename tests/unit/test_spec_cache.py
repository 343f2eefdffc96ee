"""The spec cache: a warm load redoes no per-file work, and never lets an invalid spec load."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from spec_folder import SpecFolder

from mesh_dagster.spec import loader, sql_binding
from mesh_dagster.spec.cache import cache_directory, open_spec_cache

DAILY = "specs/orders/orders_daily.yaml"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return an empty cache folder that ``load_mesh`` uses."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("MESH_CACHE_DIR", str(folder))
    monkeypatch.delenv("MESH_CACHE", raising=False)
    return folder


def entries(folder: Path) -> list[Path]:
    """Return the cache's entry files."""
    return sorted(path for path in folder.rglob("*") if path.is_file())


def two_products(specs: SpecFolder) -> None:
    """Write the example policy, order-events, and orders-daily reading order-events."""
    specs.policy()
    specs.product("order-events")
    specs.product("orders-daily", inputs=["order-events"])


def forbid_per_file_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make YAML parsing, the product rules and SQL binding fail the test if they run."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("per-file work ran although the cache holds it")

    monkeypatch.setattr(loader, "parse_yaml", refuse)
    monkeypatch.setattr(loader, "product_rule_violations", refuse)
    monkeypatch.setattr(sql_binding, "binding_violations", refuse)


def test_a_warm_load_redoes_no_per_file_work_and_gives_the_same_mesh(
    specs: SpecFolder, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    two_products(specs)
    cold = specs.load()
    # Per file: its parse; per product: its rules and its binding.
    assert len(entries(cache_dir)) == 3 + 2 + 2
    forbid_per_file_work(monkeypatch)
    warm = specs.load()
    assert warm.products == cold.products
    assert warm.policy == cold.policy
    assert warm.files == cold.files
    assert warm.sources == cold.sources


def test_an_edited_file_is_validated_again(specs: SpecFolder, cache_dir: Path) -> None:
    two_products(specs)
    specs.load()
    specs.product(
        "orders-daily", inputs=["order-events"], spec={"quality": {"custom_checks": ["revenu > 0"]}}
    )
    assert specs.problems() == [
        f"{DAILY}:45:7: spec.quality.custom_checks[0]: invalid check: unknown column 'revenu'; "
        "it must be declared in spec.schema. Did you mean 'revenue_usd'?"
    ]
    two_products(specs)  # back to the valid text: served from the cache again
    assert sorted(specs.load().products) == ["order-events", "orders-daily"]


def test_a_changed_input_schema_binds_the_reader_again(specs: SpecFolder, cache_dir: Path) -> None:
    two_products(specs)
    specs.load()
    columns = [
        {"name": "order_id", "type": "string", "nullable": False},
        {"name": "customer_id", "type": "string", "pii": True, "pii_handling": "hashed"},
        {"name": "order_date", "type": "date", "nullable": False},
        {"name": "amount", "type": "double"},
    ]
    specs.product(
        "order-events", spec={"schema": columns, "quality": {"custom_checks": ["amount >= 0"]}}
    )
    assert specs.problems() == [
        f"{DAILY}:26:5: spec.transform.sql: the transform does not give the column "
        "'revenue_usd', which spec.schema declares. It gives: order_id, customer_id, "
        "order_date, amount.",
        f"{DAILY}:26:5: spec.transform.sql: the transform gives the column 'amount', which "
        "spec.schema does not declare. Declare it in spec.schema, or leave it out of the SELECT.",
    ]


def test_a_removed_input_is_reported_although_its_reader_is_cached(
    specs: SpecFolder, cache_dir: Path
) -> None:
    two_products(specs)
    specs.load()
    (specs.root / "orders" / "order_events.yaml").unlink()
    assert specs.problems() == [
        f"{DAILY}:24:5: spec.inputs[0].product: unknown product 'order-events'; an input "
        "must name a product of the mesh."
    ]


def test_a_changed_policy_judges_every_product_again(specs: SpecFolder, cache_dir: Path) -> None:
    two_products(specs)
    specs.load()
    specs.policy(rules={"steward_email_domains": ["example.org"]})
    assert specs.problems() == [
        f"{path}:7:3: metadata.steward: the mesh policy requires a steward address at "
        "@example.org; got 'jane@company.com'."
        for path in ("specs/orders/order_events.yaml", DAILY)
    ]


def test_problems_name_the_file_as_seen_from_where_mesh_runs(
    specs: SpecFolder, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs.product("orders-daily", metadata={"owner": "Orders Team"})
    shown = specs.problems()
    assert shown == [
        f"{DAILY}:6:3: metadata.owner: expected a kebab-case name of lowercase letters, "
        "digits and '-', such as 'orders-daily', got 'Orders Team'."
    ]
    monkeypatch.chdir(specs.root)
    assert SpecFolder(Path(".")).problems() == [shown[0].replace("specs/", "", 1)]


def test_corrupt_or_foreign_entries_are_ignored_and_rewritten(
    specs: SpecFolder, cache_dir: Path
) -> None:
    two_products(specs)
    specs.product("order-events", metadata={"owner": "Orders Team"})
    expected = specs.problems()
    stored = entries(cache_dir)
    damaged = [b"", b"not an entry", stored[0].read_bytes()[:-3]]
    for index, path in enumerate(stored):
        if index < len(damaged):
            path.write_bytes(damaged[index])
        else:  # intact checksum, but not what the loader stored there
            payload = pickle.dumps((path.parent.name + path.name, ["the wrong things"]))
            path.write_bytes(hashlib.sha256(payload).digest() + payload)
    assert specs.problems() == expected
    cache = open_spec_cache()
    assert cache is not None
    rewritten = {path: path.read_bytes() for path in entries(cache_dir)}
    assert set(rewritten) == set(stored)
    assert all(len(blob) > 40 for blob in rewritten.values())
    assert specs.problems() == expected


def test_no_entry_makes_an_invalid_spec_load(specs: SpecFolder, cache_dir: Path) -> None:
    two_products(specs)
    specs.load()
    specs.product(
        "orders-daily", inputs=["order-events"], spec={"transform": {"sql": "select 1 as x"}}
    )
    first = specs.problems()
    assert first == [
        f"{DAILY}:26:5: spec.transform.sql: the transform does not give the columns 'order_id', "
        "'customer_id', 'order_date', 'revenue_usd', which spec.schema declares. It gives: x.",
        f"{DAILY}:26:5: spec.transform.sql: the transform gives the column 'x', which "
        "spec.schema does not declare. Declare it in spec.schema, or leave it out of the SELECT.",
    ]
    assert specs.problems() == first  # the stored verdict is the same verdict


def test_mesh_cache_0_turns_the_cache_off(
    specs: SpecFolder, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MESH_CACHE", "0")
    two_products(specs)
    specs.load()
    assert not cache_dir.exists()


def test_a_folder_others_can_write_to_turns_the_cache_off(
    cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache_dir.mkdir(mode=0o700)
    cache_dir.chmod(0o777)
    with caplog.at_level(logging.WARNING, logger="mesh_dagster.spec.cache"):
        assert open_spec_cache() is None
    assert caplog.messages == [
        f"The spec cache is off: {cache_dir} must belong to you and be writable by you alone "
        "(chmod 700 it, or set MESH_CACHE_DIR to another folder)."
    ]


def test_an_entry_others_can_write_to_is_not_read(cache_dir: Path) -> None:
    cache = open_spec_cache()
    assert cache is not None
    key = cache.key("test", "value")
    cache.put(key, ["stored"])
    assert cache.get(key, list) == ["stored"]
    (cache_dir / key[:2] / key[2:]).chmod(0o666)
    assert cache.get(key, list) is None


def test_where_the_cache_lives(tmp_path: Path) -> None:
    home = str(tmp_path)
    assert cache_directory({"MESH_CACHE_DIR": "/c", "DAGSTER_HOME": home}) == Path("/c")
    assert cache_directory({"DAGSTER_HOME": home}) == tmp_path / ".mesh_cache"
    assert cache_directory({"XDG_CACHE_HOME": "/x"}) == Path("/x/mesh-dagster")
    assert cache_directory({}) == Path.home() / ".cache" / "mesh-dagster"
    # A DAGSTER_HOME that does not exist yet is not created by the cache.
    missing = {"DAGSTER_HOME": str(tmp_path / "nowhere"), "XDG_CACHE_HOME": "/x"}
    assert cache_directory(missing) == Path("/x/mesh-dagster")


LOAD = """\
import sys
from mesh_dagster.spec import load_mesh
print(len(load_mesh(sys.argv[1]).products))
"""


def test_concurrent_loads_share_one_cache(specs: SpecFolder, cache_dir: Path) -> None:
    """Loaders started together all get the mesh; entries are whole, no temporary is left."""
    specs.policy()
    for index in range(12):
        specs.product(f"product-{index:02d}", domain=f"d{index % 3}")
    environment = {**os.environ, "MESH_CACHE_DIR": str(cache_dir)}
    started = [
        subprocess.Popen(
            [sys.executable, "-c", LOAD, str(specs.root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
        )
        for _ in range(3)
    ]
    outputs = []
    for process in started:
        try:
            outputs.append(process.communicate(timeout=120))
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert outputs == [("12\n", "")] * 3
    assert len(entries(cache_dir)) == 13 + 12 + 12
    assert not [path for path in entries(cache_dir) if path.name.startswith(".tmp-")]
