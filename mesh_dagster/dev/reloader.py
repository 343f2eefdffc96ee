"""Turn changes under ``specs/`` into reloads of the running code location, valid ones only."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from watchfiles import Change, watch

from mesh_dagster.dev.served_specs import ServedSpecs
from mesh_dagster.dev.webserver import reload_location
from mesh_dagster.spec.errors import SpecError
from mesh_dagster.spec.loader import display_path, load_mesh, spec_files
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.printable import printable


def absolute(path: Path) -> Path:
    """Return ``path`` made absolute through its folder's links, not its own.

    A changed spec that is a link (to ``/dev/zero``, to nothing) is named by the link.
    """
    return path.parent.resolve() / path.name


def is_spec_file(change: Change, path: str) -> bool:
    """Return whether a changed path is a spec file (what ``load_mesh`` reads)."""
    name = Path(path).name
    return name.endswith((".yaml", ".yml")) and not name.startswith(".")


def describe_changes(paths: Iterable[Path], known: set[Path]) -> str:
    """Return the changed files as one phrase: ``specs/a.yaml added, specs/b.yaml changed``.

    Editors save by renaming a new file over the old one, so the verb comes from what is
    on disk now and what was there at the last check (``known``), not from the events.
    """
    words = []
    for path in sorted(set(paths)):
        if not path.exists():
            verb = "removed"
        elif path in known:
            verb = "changed"
        else:
            verb = "added"
        words.append(f"{display_path(path)} {verb}")
    return ", ".join(words)


def describe_failure(error: BaseException) -> str:
    """Return an unexpected error as one short line: ``RecursionError: maximum ...``."""
    text = str(error).strip().splitlines()
    first = text[0][:200] if text else ""
    return f"{type(error).__name__}: {printable(first)}" if first else type(error).__name__


def describe_mesh(mesh: Mesh, before: Mesh | None = None) -> str:
    """Return ``8 products in 4 domains (added x; removed y; changed z)``."""
    count = len(mesh.products)
    domains = len(mesh.domains())
    text = f"{count} product{'s' * (count != 1)} in {domains} domain{'s' * (domains != 1)}"
    if before is None:
        return text
    old, new = set(before.products), set(mesh.products)
    changed = sorted(name for name in old & new if before.products[name] != mesh.products[name])
    parts = [
        f"{verb} {', '.join(names)}"
        for verb, names in (
            ("added", sorted(new - old)),
            ("removed", sorted(old - new)),
            ("changed", changed),
        )
        if names
    ]
    return f"{text} ({'; '.join(parts)})" if parts else text


@dataclass
class SpecsReloader:
    """Validates the author's specs and, when valid, serves and reloads them."""

    specs: Path
    served: ServedSpecs
    base_url: str
    location: str
    report: Callable[[str], None]
    mesh: Mesh | None = field(default=None)
    known: set[Path] = field(default_factory=set)

    def _take_stock(self) -> set[Path]:
        before, self.known = self.known, {absolute(path) for path in spec_files(self.specs)}
        return before

    def publish_initial(self, mesh: Mesh) -> None:
        """Serve the specs (already validated as ``mesh``) before Dagster starts."""
        self._take_stock()
        self.mesh = mesh
        self.served.publish(self.specs)
        self.served.prune()

    def on_change(self, changes: Iterable[tuple[Change, str]] = ()) -> bool:
        """Validate the specs; if valid, serve and reload them. Return whether it reloaded.

        Never raises for what the specs folder holds: whatever goes wrong (a file that
        breaks the loader, a copy that fails) is reported, and the last valid definitions
        stay served, so the watcher keeps going.
        """
        what = display_path(self.specs)
        try:
            known = self._take_stock()
            changed = (absolute(Path(path)) for _, path in changes)
            what = describe_changes(changed, known) or what
            return self._validate_and_serve(what)
        except Exception as error:  # `mesh dev` must outlive any input
            self.report(
                f"{what}: loading the specs failed ({describe_failure(error)}); "
                "the UI keeps the last valid definitions."
            )
            return False

    def _validate_and_serve(self, what: str) -> bool:
        # Validate the copy that would be served, so an edit made while copying can never
        # slip through unvalidated; problems are reported with the author's file names.
        staged = self.served.stage(self.specs)
        try:
            mesh = load_mesh(staged)
        except SpecError:
            self.served.discard(staged)
            self._report_problems(what)
            return False
        except BaseException:
            self.served.discard(staged)
            raise
        previous = self.served.serve(staged)
        try:
            reload_location(self.base_url, self.location)
        except Exception as error:  # any failed reload rolls back
            self._roll_back(previous, error)
            return False
        self.report(f"{what}: reloaded {describe_mesh(mesh, self.mesh)}.")
        self.mesh = mesh
        self.served.prune()
        return True

    def _report_problems(self, what: str) -> None:
        try:
            load_mesh(self.specs)
        except SpecError as error:
            self.report(
                f"{what}: the specs are invalid; the UI keeps the last valid definitions.\n{error}"
            )
        # Valid by now: the folder changed after the copy, and that change comes next.

    def _roll_back(self, previous: Path | None, error: Exception) -> None:
        """Serve the previous snapshot again after a reload that did not load."""
        self.report(f"the reload failed; serving the last valid definitions again.\n{error}")
        if previous is None:
            return
        self.served.serve(previous)
        try:
            reload_location(self.base_url, self.location)
        except Exception as again:  # reported; the watcher goes on
            self.report(f"reloading the last valid definitions failed too: {again}")


def watch_specs(
    reloader: SpecsReloader,
    stop: threading.Event,
    ready: threading.Event,
    retry_after: float = 1.0,
) -> None:
    """Call ``reloader.on_change`` for every batch of spec file changes until ``stop`` is set.

    Watching starts at once; changes made while Dagster starts are held until ``ready``
    is set (the webserver can reload), then handled as one batch. If watching itself
    fails (the folder was removed, say), that is reported and watching starts again.
    """
    while not stop.is_set():
        try:
            _watch(reloader, stop, ready)
        except Exception as error:  # the watcher must outlive any input
            reloader.report(
                f"watching {display_path(reloader.specs)} failed ({describe_failure(error)}); "
                f"trying again in {retry_after:g} s."
            )
            stop.wait(retry_after)


def _watch(reloader: SpecsReloader, stop: threading.Event, ready: threading.Event) -> None:
    for changes in watch(
        reloader.specs,
        watch_filter=is_spec_file,
        stop_event=stop,
        debounce=500,
        step=100,
        rust_timeout=1000,
    ):
        while not ready.wait(0.2):
            if stop.is_set():
                return
        if stop.is_set():
            return
        reloader.on_change(changes)
