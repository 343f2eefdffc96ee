"""`mesh dev` without Dagster: the served snapshots, the change reports, the reload decisions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from spec_folder import SpecFolder
from watchfiles import Change

from mesh_dagster.dev import reloader as reloader_module
from mesh_dagster.dev.instance import LOCAL_INSTANCE_YAML, prepare_dagster_home
from mesh_dagster.dev.reloader import SpecsReloader, describe_changes, describe_mesh, is_spec_file
from mesh_dagster.dev.served_specs import ServedSpecs
from mesh_dagster.dev.webserver import LocationState, ReloadError

REPO = Path(__file__).resolve().parents[2]


def test_publish_copies_the_folder_and_swaps_the_link(tmp_path: Path) -> None:
    source = tmp_path / "specs"
    (source / "orders").mkdir(parents=True)
    (source / "orders" / "a.yaml").write_text("one")
    (source / ".a.yaml.swp").write_text("editor state")
    served = ServedSpecs(tmp_path / "served")
    assert served.target() is None

    assert served.publish(source) is None
    first = tmp_path / "served" / "specs.1"
    assert served.current.is_symlink() and served.target() == first
    assert (served.current / "orders" / "a.yaml").read_text() == "one"
    assert not (first / ".a.yaml.swp").exists()

    (source / "orders" / "a.yaml").write_text("two")
    assert served.publish(source) == first
    assert (served.current / "orders" / "a.yaml").read_text() == "two"
    assert (first / "orders" / "a.yaml").read_text() == "one"

    served.serve(first)
    assert (served.current / "orders" / "a.yaml").read_text() == "one"
    assert os.readlink(served.current) == "specs.1"  # relative: the home can move


def test_prune_keeps_the_current_snapshot_and_the_newest(tmp_path: Path) -> None:
    source = tmp_path / "specs"
    source.mkdir()
    served = ServedSpecs(tmp_path / "served")
    for _ in range(4):
        served.publish(source)
    served.serve(tmp_path / "served" / "specs.1")
    served.prune(keep=2)
    assert [path.name for path in served.snapshots()] == ["specs.1", "specs.3", "specs.4"]
    assert served.target() == tmp_path / "served" / "specs.1"


def test_change_reports_say_what_happened_to_each_file(specs: SpecFolder, tmp_path: Path) -> None:
    kept = specs.product().resolve()
    new = specs.product("payments-daily", "payments").resolve()
    gone = (Path("specs") / "shipments" / "old.yaml").resolve()
    assert describe_changes([new, kept, gone], known={kept, gone}) == (
        "specs/orders/orders_daily.yaml changed, specs/payments/payments_daily.yaml added, "
        "specs/shipments/old.yaml removed"
    )


def test_mesh_reports_count_products_and_name_the_differences(specs: SpecFolder) -> None:
    specs.product()
    specs.product("payments-daily", "payments")
    before = specs.load()
    assert describe_mesh(before) == "2 products in 2 domains"
    specs.product(spec={"description": "Another text."})
    (specs.root / "payments" / "payments_daily.yaml").unlink()
    specs.product("shipments-daily", "shipments")
    after = specs.load()
    assert describe_mesh(after, before) == (
        "2 products in 2 domains (added shipments-daily; removed payments-daily; "
        "changed orders-daily)"
    )
    assert describe_mesh(after, after) == "2 products in 2 domains"


@pytest.mark.parametrize(
    ("path", "watched"),
    [
        ("specs/orders/a.yaml", True),
        ("specs/orders/a.yml", True),
        ("specs/orders/.a.yaml.swp", False),
        ("specs/orders/.#a.yaml", False),
        ("specs/orders/a.yaml~", False),
        ("specs/README.md", False),
    ],
)
def test_only_spec_files_are_watched(path: str, watched: bool) -> None:
    assert is_spec_file(Change.modified, path) is watched


class FakeWebserver:
    """Stands in for reload_location: records the served specs at each call, may fail."""

    def __init__(self, served: ServedSpecs, failures: int = 0) -> None:
        self.served = served
        self.failures = failures
        self.calls: list[str | None] = []

    def __call__(self, base_url: str, location: str, timeout: float = 120.0) -> LocationState:
        target = self.served.target()
        self.calls.append(target.name if target else None)
        if self.failures:
            self.failures -= 1
            raise ReloadError("code location 'mesh' failed to load:\nImportError: boom")
        return LocationState(location, True)


@pytest.fixture
def started(specs: SpecFolder, tmp_path: Path) -> tuple[SpecsReloader, list[str], ServedSpecs]:
    """Return a reloader serving a one-product mesh, and the list of what it reported."""
    specs.product()
    served = ServedSpecs(tmp_path / "home" / "mesh_dev")
    reports: list[str] = []
    reloader = SpecsReloader(specs.root, served, "http://127.0.0.1:1", "mesh", reports.append)
    reloader.publish_initial(specs.load())
    return reloader, reports, served


def test_a_valid_change_is_served_then_reloaded(
    started: tuple[SpecsReloader, list[str], ServedSpecs],
    specs: SpecFolder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reloader, reports, served = started
    webserver = FakeWebserver(served)
    monkeypatch.setattr(reloader_module, "reload_location", webserver)
    path = specs.product("payments-daily", "payments")
    assert reloader.on_change([(Change.added, str(path.resolve()))]) is True
    assert webserver.calls == ["specs.2"]
    assert reports == [
        "specs/payments/payments_daily.yaml added: reloaded 2 products in 2 domains "
        "(added payments-daily)."
    ]
    assert reloader.mesh is not None and set(reloader.mesh.products) == {
        "orders-daily",
        "payments-daily",
    }


def test_an_invalid_change_is_reported_and_nothing_is_served(
    started: tuple[SpecsReloader, list[str], ServedSpecs],
    specs: SpecFolder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reloader, reports, served = started
    webserver = FakeWebserver(served)
    monkeypatch.setattr(reloader_module, "reload_location", webserver)
    path = specs.product(metadata={"stewart": "x@company.com"})
    assert reloader.on_change([(Change.modified, str(path.resolve()))]) is False
    assert webserver.calls == []
    assert served.target() == served.root / "specs.1"
    assert [path.name for path in served.snapshots()] == ["specs.1"]  # the staged copy is gone
    assert reports == [
        "specs/orders/orders_daily.yaml changed: the specs are invalid; the UI keeps the last "
        "valid definitions.\n"
        "1 spec problem:\n"
        "specs/orders/orders_daily.yaml:8:3: metadata.stewart: unknown field. "
        "Did you mean 'steward'?"
    ]


def test_a_reload_that_fails_serves_the_previous_snapshot_again(
    started: tuple[SpecsReloader, list[str], ServedSpecs],
    specs: SpecFolder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reloader, reports, served = started
    webserver = FakeWebserver(served, failures=1)
    monkeypatch.setattr(reloader_module, "reload_location", webserver)
    before = reloader.mesh
    path = specs.product("payments-daily", "payments")
    assert reloader.on_change([(Change.added, str(path.resolve()))]) is False
    assert webserver.calls == ["specs.2", "specs.1"]
    assert served.target() == served.root / "specs.1"
    assert reloader.mesh is before
    assert reports == [
        "the reload failed; serving the last valid definitions again.\n"
        "code location 'mesh' failed to load:\nImportError: boom"
    ]


def test_the_local_instance_settings_are_those_of_deploy(tmp_path: Path) -> None:
    deploy = yaml.safe_load((REPO / "deploy" / "dagster.local.yaml").read_text())
    assert yaml.safe_load(LOCAL_INSTANCE_YAML) == deploy
    home = tmp_path / "home"
    assert prepare_dagster_home(home) == f"wrote the local instance settings to {home}/dagster.yaml"
    assert prepare_dagster_home(home) is None  # an existing dagster.yaml is never touched
