"""The specs Dagster is given: a copy of the last valid specs folder, swapped atomically.

Dagster never reads the author's ``specs/`` directly. Every process that loads the code
location (the code server, each run worker, the daemon's ticks) reads ``<root>/specs``, a
symbolic link to a copy of the last folder that validated. A half-written or broken file
in ``specs/`` therefore never reaches a run: the last good definitions keep running.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from mesh_dagster.spec.spec_file import MAX_SPEC_BYTES

_SNAPSHOT = re.compile(r"^specs\.(\d+)$")


@dataclass(frozen=True)
class ServedSpecs:
    """The folder holding the snapshots and the ``specs`` link to the current one."""

    root: Path

    @property
    def current(self) -> Path:
        """Return the path the code location loads (a link to the current snapshot)."""
        return self.root / "specs"

    def snapshots(self) -> list[Path]:
        """Return the snapshot folders, oldest first."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.iterdir():
            number = _number(path.name)
            if number is not None and path.is_dir() and not path.is_symlink():
                found.append((number, path))
        return [path for _, path in sorted(found)]

    def target(self) -> Path | None:
        """Return the snapshot the link points to, or None before the first publish."""
        if not self.current.is_symlink():
            return None
        return self.root / os.readlink(self.current)

    def stage(self, source: Path) -> Path:
        """Copy ``source`` into a new snapshot (not served yet) and return it."""
        self.root.mkdir(parents=True, exist_ok=True)
        numbers = [_number(path.name) or 0 for path in self.snapshots()]
        snapshot = self.root / f"specs.{max(numbers, default=0) + 1}"
        try:
            _copy_tree(source, snapshot)
        except BaseException:
            shutil.rmtree(snapshot, ignore_errors=True)
            raise
        return snapshot

    def serve(self, snapshot: Path) -> Path | None:
        """Point the link at ``snapshot``; return the snapshot served before, if any."""
        previous = self.target()
        self._point_to(snapshot)
        return previous

    def publish(self, source: Path) -> Path | None:
        """Stage a copy of ``source`` and serve it; return the snapshot served before."""
        return self.serve(self.stage(source))

    def discard(self, snapshot: Path) -> None:
        """Delete a staged snapshot that will not be served."""
        if snapshot != self.target():
            shutil.rmtree(snapshot, ignore_errors=True)

    def prune(self, keep: int = 2) -> None:
        """Delete old snapshots, keeping the current one and the ``keep`` newest."""
        current = self.target()
        for snapshot in self.snapshots()[:-keep]:
            if snapshot != current:
                shutil.rmtree(snapshot, ignore_errors=True)

    def _point_to(self, snapshot: Path) -> None:
        # A new link renamed over the old one: readers see the old or the new, never none.
        link = self.root / "specs.link"
        if link.is_symlink():
            link.unlink()
        link.symlink_to(snapshot.name, target_is_directory=True)
        os.replace(link, self.current)


def _copy_tree(source: Path, target: Path) -> None:
    """Copy the folder ``source`` to ``target``, leaving out hidden files and folders.

    Only regular files up to the spec size limit are copied; anything else (a FIFO, a
    device, a broken link, a linked folder, a file too large) becomes a link to the
    original. Copying a FIFO would block and copying ``/dev/zero`` would fill the disk;
    the link keeps the thing in the snapshot, so validating the snapshot reports it just
    as validating the author's folder does.
    """
    target.mkdir()
    for folder, folders, names in os.walk(source):
        here = target / Path(folder).relative_to(source)
        kept = []
        for name in folders:
            if name.startswith("."):
                continue
            path = Path(folder) / name
            if path.is_symlink():
                _link(path, here / name)
            else:
                (here / name).mkdir()
                kept.append(name)
        folders[:] = kept
        for name in names:
            if not name.startswith("."):
                _copy_file(Path(folder) / name, here / name)


def _copy_file(source: Path, target: Path) -> None:
    """Copy a regular file of at most MAX_SPEC_BYTES; link to anything else."""
    try:
        # Checked before opening: opening a FIFO waits for a writer, a device may act.
        if not stat.S_ISREG(os.stat(source).st_mode):
            raise OSError("not a regular file")
        descriptor = os.open(source, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        _link(source, target)
        return
    with os.fdopen(descriptor, "rb") as file:
        status = os.fstat(file.fileno())  # again: it may have been swapped since
        small = stat.S_ISREG(status.st_mode) and status.st_size <= MAX_SPEC_BYTES
        data = file.read(MAX_SPEC_BYTES + 1) if small else b""
    if not small or len(data) > MAX_SPEC_BYTES:
        _link(source, target)
        return
    target.write_bytes(data)


def _link(source: Path, target: Path) -> None:
    target.symlink_to(os.path.abspath(source))


def _number(name: str) -> int | None:
    match = _SNAPSHOT.match(name)
    return int(match.group(1)) if match else None
