"""Read one spec file's text, bounded: regular files only, at most MAX_SPEC_BYTES, UTF-8."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

MAX_SPEC_BYTES = 1024 * 1024
"""The largest spec file read (1 MiB); a product's spec is a few kilobytes."""

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


class UnreadableSpecFile(Exception):
    """Raised when a spec file cannot be read; says where and why, in the user's words."""

    def __init__(self, message: str, hint: str | None = None, line: int = 1, column: int = 1):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.line = line
        self.column = column


def read_spec_text(path: Path) -> str:
    """Return the text of the spec file at ``path``; raise UnreadableSpecFile if it is not one.

    The file is checked (after following symbolic links) before it is opened, and again
    on the open descriptor: opening a FIFO would block, and reading a device such as
    ``/dev/zero`` would never end. O_NONBLOCK makes even a FIFO swapped in between the
    two checks open at once, so it is refused instead of waited on.
    """
    try:
        _require_regular(os.stat(path))
    except FileNotFoundError:
        if os.path.islink(path):
            raise UnreadableSpecFile(
                "cannot read file: it is a symbolic link to a file that does not exist.",
                "Fix or remove the link.",
            ) from None
        raise UnreadableSpecFile("cannot read file: it no longer exists.") from None
    except OSError as error:
        raise _os_problem(error) from None
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise _os_problem(error) from None
    with os.fdopen(descriptor, "rb") as file:
        _require_regular(os.fstat(file.fileno()))
        # One byte past the cap tells a file at the cap from one above it, even while
        # something keeps appending to it.
        data = file.read(MAX_SPEC_BYTES + 1)
    if len(data) > MAX_SPEC_BYTES:
        raise _too_large()
    return _decode(data)


def _require_regular(status: os.stat_result) -> None:
    for is_kind, kind in _KINDS:
        if is_kind(status.st_mode):
            hint = "Only regular files are read as specs."
            if kind == "a folder":
                hint = "Rename it: every file or folder named *.yaml or *.yml is read as a spec."
            raise UnreadableSpecFile(f"cannot read file: it is {kind}, not a regular file.", hint)
    if not stat.S_ISREG(status.st_mode):
        raise UnreadableSpecFile(
            "cannot read file: it is not a regular file.", "Only regular files are read as specs."
        )
    if status.st_size > MAX_SPEC_BYTES:
        raise _too_large()


def _too_large() -> UnreadableSpecFile:
    return UnreadableSpecFile(
        "cannot read file: it is larger than 1 MiB, the limit for a spec file.",
        "A product's spec is a few kilobytes; put each product in its own file.",
    )


def _os_problem(error: OSError) -> UnreadableSpecFile:
    if error.errno == errno.ELOOP:
        return UnreadableSpecFile(
            "cannot read file: its symbolic links form a loop.", "Fix or remove the link."
        )
    reason = error.strerror or type(error).__name__
    return UnreadableSpecFile(f"cannot read file: {reason[:1].lower()}{reason[1:]}.")


def _decode(data: bytes) -> str:
    """Return ``data`` as UTF-8 text; the first byte that is not UTF-8 is located."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        line = data.count(b"\n", 0, error.start) + 1
        column = len(data[line_start : error.start].decode("utf-8", errors="replace")) + 1
        raise UnreadableSpecFile(
            "cannot read file: it is not UTF-8 text.",
            "Save it as UTF-8 (a spec is text, never a binary file).",
            line,
            column,
        ) from None
