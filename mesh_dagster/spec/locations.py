"""Locations of tables and sources: parsed, checked and normalized before any comparison.

A location is ``s3://bucket/prefix/...`` or a local path. It is accepted only in a form
where "the same folder" and "a folder inside another" can be decided from the text: no
``.`` or ``..`` segments, no empty segments, no control characters; one trailing slash is
ignored. Everything here is pure: no file system, no network.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Literal

from mesh_dagster.spec.errors import HintedValueError

LocationKind = Literal["s3", "local"]

EXPECTED = "'s3://bucket/prefix/' or a local path"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_BUCKET_CHARACTERS = re.compile(r"^[a-z0-9.-]+$")
_BUCKET_RULE = (
    "Bucket names are 3 to 63 lower-case letters, digits, '.' and '-', and begin and end "
    "with a letter or a digit."
)
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


class LocationError(HintedValueError):
    """Raised when a text is not an acceptable location; the message says what is expected."""


@dataclass(frozen=True)
class Location:
    """A checked location: its kind and its folder names from the root down.

    For ``s3`` the first part is the bucket; a local path is ``absolute`` or relative.
    """

    kind: LocationKind
    parts: tuple[str, ...]
    absolute: bool = False

    @property
    def text(self) -> str:
        """Return the normalized text: ``s3://bucket/a/b``, ``/a/b`` or ``a/b``."""
        joined = "/".join(self.parts)
        if self.kind == "s3":
            return f"s3://{joined}"
        return f"/{joined}" if self.absolute else joined

    @property
    def shares_warehouse(self) -> bool:
        """Return whether the location lies in the local warehouse in local mode.

        Local mode maps ``s3://bucket/key`` to ``<warehouse>/bucket/key`` and relative paths
        to ``<warehouse>/<path>``, so those two kinds can name the same folder.
        """
        return self.kind == "s3" or not self.absolute

    def contains(self, other: Location) -> bool:
        """Return whether ``other`` is this location or lies inside it (segment by segment)."""
        return (self.kind, self.absolute) == (other.kind, other.absolute) and other.parts[
            : len(self.parts)
        ] == self.parts

    def __str__(self) -> str:
        return self.text


def shown(text: str) -> str:
    """Return ``text`` quoted for a message, with control characters escaped."""
    return "'" + "".join(c if c.isprintable() else repr(c)[1:-1] for c in text) + "'"


def parse_location(text: str, *, prefix: bool = False) -> Location:
    """Return the location ``text`` stands for; raise LocationError saying what is wrong.

    ``prefix`` accepts a bare bucket (``s3://bucket/``), as a policy prefix may be one; a
    table's location needs a folder inside its bucket.
    """
    if any(not c.isprintable() for c in text):
        raise LocationError(
            f"a location cannot contain control characters; got {shown(text)}.",
            f"Expected {EXPECTED}.",
        )
    if text != text.strip():
        raise LocationError(
            f"a location cannot begin or end with spaces; got {shown(text)}.",
            f"Write {shown(text.strip())}.",
        )
    if not text:
        raise LocationError(f"expected {EXPECTED}, got ''.")
    scheme = _SCHEME.match(text)
    if scheme is None:
        return _parse_local(text)
    name = scheme.group(1)
    if name == "s3" and text.startswith("s3://"):
        return _parse_s3(text, prefix)
    if name.lower() in ("s3", "s3a", "s3n"):
        raise LocationError(
            f"expected {EXPECTED}, got {shown(text)}.", "S3 locations begin with 's3://'."
        )
    hint = "Write the path itself, without 'file://'." if name.lower() == "file" else None
    raise LocationError(
        f"unsupported scheme '{name}:' in {shown(text)}; expected {EXPECTED}.",
        hint or "Only 's3://' URIs and local paths are supported.",
    )


def _segments(text: str, body: str) -> tuple[tuple[str, ...], bool]:
    """Return the folder names in ``body`` (trailing slash dropped), and whether any were
    ``.`` or empty; raise LocationError for a ``..`` segment."""
    parts = body.removesuffix("/").split("/") if body else []
    if ".." in parts:
        raise LocationError(
            f"'..' segments are not allowed in a location; got {shown(text)}.",
            "Name the folder directly: '..' could reach outside the folders it seems to name.",
        )
    kept = tuple(part for part in parts if part not in ("", "."))
    return kept, len(kept) < len(parts)


def _unnormalized(text: str, body: str, kept: tuple[str, ...]) -> LocationError:
    """Return the error for ``.`` or empty segments, suggesting the location without them."""
    which = "'.' segments" if "." in body.split("/") else "empty segments ('//')"
    head = text[: len(text) - len(body)]
    fixed = head + "/".join(kept) + "/" * body.endswith("/")
    return LocationError(
        f"{which} are not allowed in a location; got {shown(text)}.",
        f"Write {shown(fixed)}." if kept else None,
    )


def _parse_local(text: str) -> Location:
    absolute = text.startswith("/")
    body = text[1:] if absolute else text
    kept, dropped = _segments(text, body)
    if not kept:
        raise LocationError(
            f"{shown(text)} names no folder; expected {EXPECTED} to a folder of its own."
        )
    if dropped:
        raise _unnormalized(text, body, kept)
    return Location("local", kept, absolute)


def _parse_s3(text: str, prefix: bool) -> Location:
    body = text.removeprefix("s3://")
    bucket, _, key = body.partition("/")
    if not bucket:
        raise LocationError(f"{shown(text)} names no bucket; expected 's3://bucket/prefix/'.")
    problem = bucket_problem(bucket)
    if problem:
        raise LocationError(
            f"'{bucket}' is not a valid S3 bucket name: {problem}; got {shown(text)}.",
            _BUCKET_RULE,
        )
    kept, dropped = _segments(text, key)
    if dropped:
        raise _unnormalized(text, key, kept)
    if not kept and not prefix:
        raise LocationError(
            f"{shown(text)} names a bucket but no prefix; expected 's3://bucket/prefix/'.",
            f"A table needs a folder of its own in the bucket, e.g. 's3://{bucket}/<table>/'.",
        )
    return Location("s3", (bucket, *kept))


def bucket_problem(bucket: str) -> str | None:
    """Return why ``bucket`` breaks S3's naming rules, or None if it follows them."""
    if not 3 <= len(bucket) <= 63:
        noun = "character" if len(bucket) == 1 else "characters"
        return f"it has {len(bucket)} {noun}, not 3 to 63"
    if not _BUCKET_CHARACTERS.match(bucket):
        return "it may hold only lower-case letters, digits, '.' and '-'"
    if not (bucket[0].isalnum() and bucket[-1].isalnum()):
        return "it must begin and end with a letter or a digit"
    if ".." in bucket:
        return "it may not hold two periods in a row"
    try:
        ipaddress.IPv4Address(bucket)
    except ValueError:
        pass
    else:
        return "it may not look like an IP address"
    reserved = [p for p in _RESERVED_PREFIXES if bucket.startswith(p)]
    reserved += [s for s in _RESERVED_SUFFIXES if bucket.endswith(s)]
    if reserved:
        return f"'{reserved[0]}' is reserved by AWS"
    return None


def check_location(text: str) -> str:
    """Return ``text`` unchanged if it is an acceptable table location; raise LocationError."""
    parse_location(text)
    return text


def check_prefix(text: str) -> str:
    """Return ``text`` unchanged if it is an acceptable location prefix; raise LocationError.

    Also used for sources: data read, never written, may be a whole bucket.
    """
    parse_location(text, prefix=True)
    return text
