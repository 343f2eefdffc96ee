"""Build settings on Airflow: storage, engine limits and the PII key, from the environment.

The same variables as on Dagster (``MESH_STORAGE_MODE``, ``MESH_WAREHOUSE``,
``MESH_S3_ENDPOINT``, ``AWS_REGION``, ``MESH_PII_KEY``). In local mode a development PII
key is generated once into ``$AIRFLOW_HOME`` when none is set; production never generates.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path

from mesh_dagster.build.pipeline import BuildSettings
from mesh_dagster.checks.engine import EngineSettings
from mesh_dagster.io.locations import StorageSettings

PII_KEY_ENV = "MESH_PII_KEY"
PII_KEY_MIN_BYTES = 32
DEV_KEY_FILE = "mesh_pii_dev.key"


class SettingsError(RuntimeError):
    """Raised when the environment cannot give a build what it needs (a sentence)."""


def storage_from_env(environ: Mapping[str, str]) -> StorageSettings:
    """Return where tables live: ``MESH_STORAGE_MODE`` (local or s3) and ``MESH_WAREHOUSE``."""
    mode = environ.get("MESH_STORAGE_MODE", "local")
    if mode not in ("local", "s3"):
        raise SettingsError(f"MESH_STORAGE_MODE must be 'local' or 's3', got '{mode}'.")
    return StorageSettings(
        mode="s3" if mode == "s3" else "local",
        warehouse=Path(environ.get("MESH_WAREHOUSE", "warehouse")).absolute(),
        s3_endpoint=environ.get("MESH_S3_ENDPOINT") or None,
        s3_region=environ.get("AWS_REGION") or None,
    )


def airflow_home(environ: Mapping[str, str]) -> Path:
    """Return ``$AIRFLOW_HOME`` (Airflow's default ``~/airflow`` when unset)."""
    return Path(environ.get("AIRFLOW_HOME") or Path.home() / "airflow")


def pii_key_from_env(
    environ: Mapping[str, str], production: bool, home: Path
) -> tuple[bytes | None, str | None]:
    """Return the PII key and a notice when one was generated (local mode only)."""
    value = environ.get(PII_KEY_ENV)
    if value:
        key = value.encode("utf-8")
        if production and len(key) < PII_KEY_MIN_BYTES:
            raise SettingsError(
                f"the PII hashing key in {PII_KEY_ENV} is {len(key)} bytes long; production "
                f"needs at least {PII_KEY_MIN_BYTES} bytes."
            )
        return key, None
    if production:
        return None, None
    path = home / DEV_KEY_FILE
    if path.exists():
        return path.read_bytes().strip(), None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_hex(32))
    path.chmod(0o600)
    notice = f"generated a development PII key in {path}; set {PII_KEY_ENV} in production"
    return path.read_bytes().strip(), notice


def build_settings_from_env(environ: Mapping[str, str]) -> tuple[BuildSettings, str | None]:
    """Return a build's settings from the environment, and a notice to log if any."""
    storage = storage_from_env(environ)
    home = airflow_home(environ)
    key, notice = pii_key_from_env(environ, storage.mode == "s3", home)
    threads = environ.get("MESH_DUCKDB_THREADS")
    engine = EngineSettings(
        threads=int(threads) if threads else None,
        memory_limit=environ.get("MESH_DUCKDB_MEMORY_LIMIT") or None,
        temp_directory=environ.get("MESH_DUCKDB_TEMP_DIRECTORY")
        or str(Path(tempfile.gettempdir()) / "mesh_spill"),
    )
    return BuildSettings(storage, engine, key, PII_KEY_ENV), notice
