"""The DuckDB connection checks run on: no files, no network, locked, in UTC."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import duckdb


@dataclass(frozen=True)
class EngineSettings:
    """Limits of the DuckDB engine of transforms and checks (None: DuckDB's default)."""

    threads: int | None = None
    memory_limit: str | None = None
    temp_directory: str | None = None


class EngineLimits(Protocol):
    """Anything with DuckDB's thread and memory limits (EngineSettings, or the build's)."""

    @property
    def threads(self) -> int | None:
        """Return the number of DuckDB threads, or None for DuckDB's default."""

    @property
    def memory_limit(self) -> str | None:
        """Return DuckDB's memory limit (``"2GB"``), or None for DuckDB's default."""

    @property
    def temp_directory(self) -> str | None:
        """Return where DuckDB spills what exceeds its memory limit (None: its default)."""


class CheckRefusedError(RuntimeError):
    """A check's SQL tried something a check may never do; nothing was evaluated."""

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"check '{check}' was refused: {reason}")
        self.check = check
        self.reason = reason


REFUSED_ACCESS = "a check may not read files, reach the network or change data"
REFUSED_STATEMENT = "a check must be one SQL expression, not statements"
REFUSED_SYNTAX = "its SQL is not a valid expression"


def open_engine(settings: EngineLimits) -> duckdb.DuckDBPyConnection:
    """Return an in-memory DuckDB connection that cannot reach outside the process."""
    config: dict[str, Any] = {}
    if settings.threads is not None:
        config["threads"] = settings.threads
    if settings.memory_limit is not None:
        config["memory_limit"] = settings.memory_limit
    if settings.temp_directory is not None:
        config["temp_directory"] = settings.temp_directory
    connection = duckdb.connect(":memory:", config=config)
    # The order matters: the timezone needs the ICU extension, which cannot be loaded once
    # external access is off, and nothing can be changed once the configuration is locked.
    for statement in (
        "SET TimeZone = 'UTC'",
        "SET autoinstall_known_extensions = false",
        "SET autoload_known_extensions = false",
        "SET python_enable_replacements = false",
        "SET enable_external_access = false",
        "SET lock_configuration = true",
    ):
        connection.execute(statement)
    return connection


def ensure_one_select(connection: duckdb.DuckDBPyConnection, sql: str, check: str) -> None:
    """Raise CheckRefusedError unless ``sql`` is exactly one SELECT statement."""
    try:
        statements = connection.extract_statements(sql)
    except duckdb.ParserException:
        raise CheckRefusedError(check, REFUSED_SYNTAX) from None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise CheckRefusedError(check, REFUSED_STATEMENT)


@dataclass(frozen=True)
class TimeLimit:
    """How long the queries of one step may run, and the setting that says so."""

    seconds: float
    source: str = "the default query_timeout"


def format_duration(seconds: float) -> str:
    """Return ``seconds`` as ``15m``, ``1h 30m``, ``2m 5s`` or ``0.5s``."""
    if seconds < 60:
        return f"{seconds:g}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{secs}s" if secs else "",
    ]
    return " ".join(part for part in parts if part)


class QueryTimeoutError(RuntimeError):
    """Raised when a step's queries ran past its time limit and were interrupted."""

    def __init__(self, step: str, limit: TimeLimit, work: str) -> None:
        super().__init__(
            f"{step} was stopped after {format_duration(limit.seconds)} (its query_timeout, "
            f"from {limit.source}); raise spec.limits.query_timeout or make {work} cheaper."
        )
        self.step = step
        self.limit = limit


def _interrupt_when_late(
    connection: duckdb.DuckDBPyConnection,
    seconds: float,
    done: threading.Event,
    late: threading.Event,
) -> None:
    if done.wait(seconds):
        return
    late.set()
    # Repeated until the step ends: an interrupt that lands between two queries is lost.
    while not done.is_set():
        connection.interrupt()
        done.wait(0.05)


@contextmanager
def time_limit(
    connection: duckdb.DuckDBPyConnection, limit: TimeLimit | None, step: str, work: str
) -> Iterator[None]:
    """Interrupt the connection's queries once ``limit`` has passed since entering.

    Raises QueryTimeoutError (naming ``step`` and the limit) when a query was interrupted
    for being late; any other error passes through unchanged.
    """
    if limit is None:
        yield
        return
    done, late = threading.Event(), threading.Event()
    watcher = threading.Thread(
        target=_interrupt_when_late,
        args=(connection, limit.seconds, done, late),
        name="mesh-query-time-limit",
        daemon=True,
    )
    watcher.start()
    try:
        yield
    except duckdb.InterruptException:
        if late.is_set():
            raise QueryTimeoutError(step, limit, work) from None
        raise
    finally:
        done.set()
        watcher.join()
