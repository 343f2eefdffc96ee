"""The DuckDB sandbox that transforms and checks run in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb


@dataclass(frozen=True)
class EngineSettings:
    """Limits of the DuckDB engine that runs transforms and checks."""

    threads: int | None = None
    memory_limit: str | None = None


def open_sandbox(settings: EngineSettings) -> duckdb.DuckDBPyConnection:
    """Return a DuckDB connection that cannot touch files or the network, in UTC."""
    config: dict[str, Any] = {"enable_external_access": False}
    if settings.threads:
        config["threads"] = settings.threads
    if settings.memory_limit:
        config["memory_limit"] = settings.memory_limit
    connection = duckdb.connect(config=config)
    connection.execute("SET TimeZone = 'UTC'")
    return connection
