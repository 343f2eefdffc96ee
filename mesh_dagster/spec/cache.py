"""A content-addressed cache of the per-file work of loading specs.

Loading a mesh re-reads every file; most of the time goes to work that depends on one
file alone: YAML parsing and model validation, the product's own rules (SQL parsed by
sqlglot) and DuckDB's binding of its SQL. This module keeps those results on disk, keyed
by everything they depend on, so that a reload redoes only what changed. Checks across
files (inputs, cycles, locations, duplicate names) always run.

Where: ``$MESH_CACHE_DIR``, else ``$DAGSTER_HOME/.mesh_cache`` (when that folder exists), else
``$XDG_CACHE_HOME/mesh-dagster`` (``~/.cache/mesh-dagster``). ``MESH_CACHE=0`` turns it
off. Entries are pickles, so they are read only from a folder that belongs to the user
and that nobody else can write to; a folder that does not qualify turns the cache off.
Each entry carries a checksum: a corrupt or unreadable entry is a miss and is rewritten.
Writes go to a temporary file renamed into place, so concurrent loaders (code servers,
run workers) never read half an entry.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from pydantic import BaseModel

    from mesh_dagster.spec.errors import SpecProblem
    from mesh_dagster.spec.models import DataProduct
    from mesh_dagster.spec.rules import RuleViolation
    from mesh_dagster.spec.yaml_source import SourceMap

CACHE_DIR_ENV = "MESH_CACHE_DIR"
CACHE_SWITCH_ENV = "MESH_CACHE"
_FORMAT = "mesh-spec-cache/1"
_OFF = {"0", "false", "no", "off"}
# Third-party code whose behaviour the cached results depend on: its installed files'
# identity is part of every key, so an upgrade invalidates the cache.
_LIBRARIES = ("pydantic", "pydantic_core", "yaml", "sqlglot", "duckdb")
_DIGEST = 32

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Verdict:
    """What a product breaks: its rule violations, or what DuckDB's binder refused."""

    violations: tuple[RuleViolation, ...]


@dataclass(frozen=True)
class ParsedFile:
    """What one spec file gave: its problems, its valid documents, what it declares."""

    problems: list[SpecProblem]
    documents: list[tuple[BaseModel, SourceMap]]
    declared_products: frozenset[str]
    declared_policy: bool


def cache_directory(environ: Mapping[str, str]) -> Path:
    """Return where the cache lives: MESH_CACHE_DIR, DAGSTER_HOME or the user cache dir.

    DAGSTER_HOME serves only when it exists: the cache never creates an instance's folder.
    """
    if environ.get(CACHE_DIR_ENV):
        return Path(environ[CACHE_DIR_ENV]).expanduser()
    home = Path(environ.get("DAGSTER_HOME", "")).expanduser()
    if environ.get("DAGSTER_HOME") and home.is_dir():
        return home / ".mesh_cache"
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mesh-dagster"


def _is_private(stat: os.stat_result) -> bool:
    """Return whether a folder or file belongs to this user and only they can write it."""
    return stat.st_uid == os.geteuid() and not stat.st_mode & 0o022


@cache
def code_fingerprint() -> str:
    """Return a digest of the code validation runs: this package and the libraries it uses.

    The package is hashed by content (an editable install keeps its version number while
    its code changes); a library by its installed files' identity (path, size, time).
    """
    digest = hashlib.sha256(f"{_FORMAT}\0{sys.version}".encode())
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    for name in _LIBRARIES:
        found = importlib.util.find_spec(name)
        origin = found.origin if found is not None else None
        if origin is None:
            digest.update(f"{name}: missing\0".encode())
            continue
        stat = os.stat(origin)
        digest.update(f"{name}: {origin} {stat.st_size} {stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()


class SpecCache:
    """Entries on disk, by key; every failure to read or write is a miss, never an error."""

    def __init__(self, directory: Path, fingerprint: str) -> None:
        self.directory = directory
        self.fingerprint = fingerprint

    def key(self, kind: str, *parts: str) -> str:
        """Return the key of an entry of ``kind`` that depends on ``parts`` and the code."""
        text = "\0".join((self.fingerprint, kind, *parts))
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / key[2:]

    def get(self, key: str, kind: type[T]) -> T | None:
        """Return the entry under ``key`` when it is intact and of ``kind``, else None."""
        try:
            with open(self._path(key), "rb") as file:
                if not _is_private(os.fstat(file.fileno())):
                    return None
                blob = file.read()
        except OSError:
            return None
        payload = blob[_DIGEST:]
        if hashlib.sha256(payload).digest() != blob[:_DIGEST]:
            return None
        try:
            stored_key, value = pickle.loads(payload)
        except Exception:  # a stale class or a damaged pickle: recompute
            return None
        # An entry names its own key: a file copied or moved to another key is no hit.
        return value if stored_key == key and isinstance(value, kind) else None

    def put(self, key: str, value: object) -> None:
        """Store ``value`` under ``key`` atomically; give up silently when it cannot."""
        path = self._path(key)
        try:
            payload = pickle.dumps((key, value), protocol=pickle.HIGHEST_PROTOCOL)
            path.parent.mkdir(mode=0o700, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(hashlib.sha256(payload).digest() + payload)
                os.replace(temporary, path)
            except BaseException:
                os.unlink(temporary)
                raise
        except (OSError, pickle.PicklingError):
            return


def open_spec_cache(environ: Mapping[str, str] | None = None) -> SpecCache | None:
    """Return the cache, or None when it is off or its folder is not the user's own."""
    environ = os.environ if environ is None else environ
    if environ.get(CACHE_SWITCH_ENV, "").strip().lower() in _OFF:
        return None
    directory = cache_directory(environ)
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        stat = directory.stat()
    except OSError:
        return None
    if not _is_private(stat):
        logger.warning(
            "The spec cache is off: %s must belong to you and be writable by you alone "
            "(chmod 700 it, or set %s to another folder).",
            directory,
            CACHE_DIR_ENV,
        )
        return None
    return SpecCache(directory, code_fingerprint())


def file_key(cache: SpecCache | None, file: str, text: str) -> str:
    """Return the key of a file's own work: its shown name and its text."""
    return cache.key("file", file, text) if cache is not None else ""


def remembered_violations(
    cache: SpecCache | None, key: str, judge: Callable[[], list[RuleViolation]]
) -> list[RuleViolation]:
    """Return the violations stored under ``key``, else judge them and store them."""
    if cache is None or not key:
        return judge()
    stored = cache.get(key, Verdict)
    if stored is not None:
        return list(stored.violations)
    found = judge()
    cache.put(key, Verdict(tuple(found)))
    return found


def _binding_key(
    cache: SpecCache, file: str, product: DataProduct, products: Mapping[str, DataProduct]
) -> str:
    """Return the key of a product's binding: its file, and its inputs' declared tables."""
    tables = []
    for item in product.spec.inputs:
        upstream = products.get(item.product) if item.product is not None else None
        columns = None if upstream is None else [(c.name, c.type) for c in upstream.spec.columns]
        tables.append(f"{item.product}={columns!r}")
    return cache.key("binding", file, *tables)


def cached_binding_problems(
    cache: SpecCache | None,
    products: Mapping[str, tuple[DataProduct, SourceMap]],
    problems: Sequence[SpecProblem],
    files: Mapping[str, str],
) -> list[SpecProblem]:
    """Return the located binding problems, binding only products the cache has not seen.

    ``files`` gives each product's file key. DuckDB is imported only when something is
    bound: a load served wholly from the cache never starts it.
    """
    if cache is None:
        from mesh_dagster.spec.sql_binding import binding_problems

        return binding_problems(products, problems)
    broken = {problem.file for problem in problems}
    bind = [name for name, (_, source) in sorted(products.items()) if source.file not in broken]
    models = {name: product for name, (product, _) in products.items()}
    keys = {name: _binding_key(cache, files.get(name, ""), models[name], models) for name in bind}
    found: dict[str, list[RuleViolation]] = {}
    missing = []
    for name in bind:
        stored = cache.get(keys[name], Verdict) if files.get(name) else None
        if stored is None:
            missing.append(name)
        else:
            found[name] = list(stored.violations)
    if missing:
        from mesh_dagster.spec.sql_binding import binding_violations

        fresh = binding_violations(models, missing)
        for name in missing:
            found[name] = fresh.get(name, [])
            if files.get(name):
                cache.put(keys[name], Verdict(tuple(found[name])))
    return [
        products[name][1].problem(violation.path, violation.message, violation.hint)
        for name in bind
        for violation in found[name]
    ]
