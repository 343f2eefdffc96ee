"""The DuckDB connection checks run on: no files, no network, locked, in UTC."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import duckdb


@dataclass(frozen=True)
class EngineSettings:
    """Limits of the DuckDB engine that evaluates checks (None: DuckDB's default)."""

    threads: int | None = None
    memory_limit: str | None = None


class EngineLimits(Protocol):
    """Anything with DuckDB's thread and memory limits (EngineSettings, or the build's)."""

    @property
    def threads(self) -> int | None:
        """Return the number of DuckDB threads, or None for DuckDB's default."""

    @property
    def memory_limit(self) -> str | None:
        """Return DuckDB's memory limit (``"2GB"``), or None for DuckDB's default."""


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
