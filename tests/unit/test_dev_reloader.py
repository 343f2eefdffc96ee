"""`mesh dev` without Dagster: the served snapshots, the change reports, the reload decisions."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
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
from mesh_dagster.spec.mesh import Mesh

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


INVALID = (
    "specs/orders/orders_daily.yaml changed: the specs are invalid; the UI keeps the last "
    "valid definitions.\n1 spec problem:\nspecs/orders/orders_daily.yaml:"
)
ALIAS_BOMB = "".join(
    f"{name}: &{name} [{','.join([f'*{previous}'] * 10 if previous else ['lol'] * 10)}]\n"
    for previous, name in zip(["", *"abcdefghi"], "abcdefghij", strict=True)
)


def _text(text: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(text)


def _sparse(path: Path) -> None:
    with path.open("wb") as file:
        file.truncate(2 * 1024 * 1024)  # 2 MiB that are never written or read


HOSTILE_FILES: list[tuple[Callable[[Path], None], str]] = [
    (
        _text("a:\n" + "".join(f"{'  ' * (level + 1)}k:\n" for level in range(500))),
        "65:129: YAML nested deeper than 64 levels. A spec needs a few levels; look for a "
        "runaway bracket or indentation.",
    ),
    (
        _text("a: " + "[" * 5000 + "]" * 5000),
        "1:1003: YAML nested deeper than 64 levels. A spec needs a few levels; look for a "
        "runaway bracket or indentation.",
    ),
    (
        _text(ALIAS_BOMB),
        "5:29: e: the YAML has more than 100,000 values once its aliases are expanded. Each "
        "use of an alias ('*name') counts every value it repeats; a spec needs a few hundred.",
    ),
    (
        _text("kind: !!python/name:os.system\n"),
        "1:7: kind: YAML tags are not supported ('!!python/name:os.system'). Write the plain "
        "value; quote it if it starts with '!'.",
    ),
    (
        _text("base: &base {kind: DataProduct}\nspec:\n  <<: *base\n"),
        "3:3: spec: YAML merge keys ('<<') are not supported. Write the fields out in full (an "
        "alias '*name' may repeat a whole value); quote '<<' to mean the text.",
    ),
    (
        os.mkfifo,
        "1:1: cannot read file: it is a named pipe (FIFO), not a regular file. Only regular "
        "files are read as specs.",
    ),
    (
        lambda path: path.symlink_to("/dev/zero"),
        "1:1: cannot read file: it is a device, not a regular file. Only regular files are "
        "read as specs.",
    ),
    (
        _sparse,
        "1:1: cannot read file: it is larger than 1 MiB, the limit for a spec file. A "
        "product's spec is a few kilobytes; put each product in its own file.",
    ),
    (
        lambda path: path.write_bytes(b"apiVersion: \x89PNG\r\n\x1a\n\x00\x00"),
        "1:13: cannot read file: it is not UTF-8 text. Save it as UTF-8 (a spec is text, "
        "never a binary file).",
    ),
]


def test_mesh_dev_survives_every_hostile_file_then_reloads_the_fix(
    started: tuple[SpecsReloader, list[str], ServedSpecs],
    specs: SpecFolder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reloader, reports, served = started
    webserver = FakeWebserver(served)
    monkeypatch.setattr(reloader_module, "reload_location", webserver)
    before = reloader.mesh
    path = specs.root / "orders" / "orders_daily.yaml"
    changed = [(Change.modified, str(path.absolute()))]
    for make, _ in HOSTILE_FILES:
        path.unlink()
        make(path)
        assert reloader.on_change(changed) is False
        assert served.target() == served.root / "specs.1"
    assert reports == [INVALID + problem for _, problem in HOSTILE_FILES]
    assert webserver.calls == []
    assert reloader.mesh is before
    assert [snapshot.name for snapshot in served.snapshots()] == ["specs.1"]

    path.unlink()
    specs.product(spec={"description": "Fixed."})
    assert reloader.on_change(changed) is True
    assert reports[-1] == (
        "specs/orders/orders_daily.yaml changed: reloaded 1 product in 1 domain "
        "(changed orders-daily)."
    )
    assert webserver.calls == ["specs.2"]
    assert reloader.mesh is not None
    assert reloader.mesh.product("orders-daily").spec.description == "Fixed."


def test_a_link_to_a_device_is_named_by_the_link(
    started: tuple[SpecsReloader, list[str], ServedSpecs], specs: SpecFolder
) -> None:
    reloader, reports, _ = started
    link = specs.root / "zero.yaml"
    link.symlink_to("/dev/zero")
    assert reloader.on_change([(Change.added, str(link.absolute()))]) is False
    assert reports[0].startswith("specs/zero.yaml added: the specs are invalid;")


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (
            RecursionError("maximum recursion depth exceeded"),
            "RecursionError: maximum recursion depth exceeded",
        ),
        (MemoryError(), "MemoryError"),
        (OSError(28, "No space left on device"), "OSError: [Errno 28] No space left on device"),
        (ValueError("bad\x1b[2J\nsecond line"), "ValueError: bad\\x1b[2J"),
    ],
)
def test_any_error_while_loading_is_reported_and_the_next_change_reloads(
    started: tuple[SpecsReloader, list[str], ServedSpecs],
    specs: SpecFolder,
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
    shown: str,
) -> None:
    reloader, reports, served = started
    webserver = FakeWebserver(served)
    monkeypatch.setattr(reloader_module, "reload_location", webserver)
    real_load = reloader_module.load_mesh
    failures = [error]

    def load_once_badly(path: Path) -> Mesh:
        if failures:
            raise failures.pop()
        return real_load(path)

    monkeypatch.setattr(reloader_module, "load_mesh", load_once_badly)
    path = specs.product(spec={"description": "Changed."})
    changed = [(Change.modified, str(path.absolute()))]
    assert reloader.on_change(changed) is False
    assert reports == [
        f"specs/orders/orders_daily.yaml changed: loading the specs failed ({shown}); the UI "
        "keeps the last valid definitions."
    ]
    assert [snapshot.name for snapshot in served.snapshots()] == ["specs.1"]
    assert reloader.on_change(changed) is True
    assert webserver.calls == ["specs.2"]  # the failed copy was removed


def test_a_copy_that_fails_is_reported_and_nothing_is_served(
    started: tuple[SpecsReloader, list[str], ServedSpecs],
    specs: SpecFolder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reloader, reports, served = started

    def full_disk(self: ServedSpecs, source: Path) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ServedSpecs, "stage", full_disk)
    assert reloader.on_change() is False
    assert reports == [
        "specs: loading the specs failed (OSError: [Errno 28] No space left on device); the UI "
        "keeps the last valid definitions."
    ]
    assert served.target() == served.root / "specs.1"


def test_the_served_copy_links_what_it_must_not_copy(specs: SpecFolder, tmp_path: Path) -> None:
    specs.product()
    os.mkfifo(specs.root / "pipe.yaml")
    (specs.root / "zero.yaml").symlink_to("/dev/zero")
    (specs.root / "linked").symlink_to("orders", target_is_directory=True)
    (specs.root / ".hidden.yaml").write_text("x")
    snapshot = ServedSpecs(tmp_path / "served").stage(specs.root)
    assert sorted(path.name for path in snapshot.iterdir()) == [
        "linked",
        "orders",
        "pipe.yaml",
        "zero.yaml",
    ]
    assert not (snapshot / "orders" / "orders_daily.yaml").is_symlink()
    for name in ("pipe.yaml", "zero.yaml", "linked"):
        assert os.readlink(snapshot / name) == str((specs.root / name).absolute())


def test_the_watcher_starts_again_after_watching_fails(
    started: tuple[SpecsReloader, list[str], ServedSpecs],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reloader, reports, _ = started
    stop, ready = threading.Event(), threading.Event()
    ready.set()
    seen: list[object] = []

    def flaky_watch(*args: object, **kwargs: object) -> Iterator[set[tuple[Change, str]]]:
        if not seen:
            seen.append("failed")
            raise FileNotFoundError(2, "No such file or directory")
        yield {(Change.modified, "specs/orders/orders_daily.yaml")}
        stop.set()

    monkeypatch.setattr(reloader_module, "watch", flaky_watch)
    monkeypatch.setattr(reloader, "on_change", lambda changes: seen.append(changes) or True)
    reloader_module.watch_specs(reloader, stop, ready, retry_after=0.0)
    assert seen == ["failed", {(Change.modified, "specs/orders/orders_daily.yaml")}]
    assert reports == [
        "watching specs failed (FileNotFoundError: [Errno 2] No such file or directory); "
        "trying again in 0 s."
    ]
