"""The ``mesh`` resource: storage mode, PII key and engine limits, from config or environment."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Literal

from dagster import ConfigurableResource, DagsterInstance, EnvVar
from pydantic import Field

from mesh_dagster.build.pipeline import BuildSettings
from mesh_dagster.checks.engine import EngineSettings
from mesh_dagster.io.locations import StorageSettings

DEV_KEY_FILE = "mesh_pii_dev.key"
PII_KEY_MIN_BYTES = 32
"""The shortest PII hashing key production accepts (HMAC-SHA256 wants a 32-byte secret)."""


SPILL_FOLDER = "mesh_spill"
"""The default temp directory of DuckDB (in the Dagster home, else the system's temp)."""
MEMORY_SHARE = 0.5
"""The default DuckDB memory limit: this share of the machine's physical memory."""


def default_memory_limit() -> str | None:
    """Return half the machine's physical memory in DuckDB's units (None: unknown)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None
    return f"{max(1, int(total * MEMORY_SHARE) // 2**20)}MiB"


class PiiKeyError(RuntimeError):
    """Raised when PII must be hashed and no key can be found."""


class MeshResource(ConfigurableResource):  # type: ignore[type-arg]
    """Runtime settings of mesh builds; secrets are read from the environment by name."""

    storage_mode: Literal["local", "s3"] = Field(
        default="local", description="`local`: every location under `warehouse`; `s3`: real URIs."
    )
    warehouse: str = Field(default="warehouse", description="Local warehouse folder.")
    s3_endpoint: str | None = Field(default=None, description="S3 endpoint override.")
    s3_region: str | None = Field(default=None, description="AWS region of the bucket.")
    glue_endpoint: str | None = Field(
        default=None, description="Glue API endpoint override (tests, private endpoints)."
    )
    pii_key_env: str = Field(
        default="MESH_PII_KEY", description="Environment variable holding the PII hashing key."
    )
    duckdb_threads: int | None = Field(default=None, description="DuckDB threads per build.")
    duckdb_memory_limit: str | None = Field(
        default=None,
        description="DuckDB memory limit (e.g. `4GB`); default: half the machine's memory.",
    )
    duckdb_temp_directory: str | None = Field(
        default=None,
        description=(
            "Where DuckDB spills what exceeds its memory limit; default: `mesh_spill` in the "
            "Dagster home, else in the system's temporary folder."
        ),
    )

    @property
    def production(self) -> bool:
        """Return whether this is production (S3) mode, where nothing is generated."""
        return self.storage_mode == "s3"

    def storage(self) -> StorageSettings:
        """Return the storage settings."""
        return StorageSettings(
            mode=self.storage_mode,
            warehouse=Path(self.warehouse),
            s3_endpoint=self.s3_endpoint,
            s3_region=self.s3_region,
        )

    def engine(self, dagster_home: Path | None = None) -> EngineSettings:
        """Return the DuckDB limits of transforms and checks, defaults filled in."""
        spill = self.duckdb_temp_directory or str(
            (dagster_home or Path(tempfile.gettempdir())) / SPILL_FOLDER
        )
        memory = self.duckdb_memory_limit or default_memory_limit()
        return EngineSettings(self.duckdb_threads, memory, spill)

    def production_pii_key(self) -> bytes | None:
        """Return the production PII key from the environment, None when it is not set.

        Raises PiiKeyError when the key is shorter than PII_KEY_MIN_BYTES; the message gives
        its length, never the key.
        """
        value = os.environ.get(self.pii_key_env)
        if not value:
            return None
        key = value.encode("utf-8")
        if len(key) < PII_KEY_MIN_BYTES:
            raise PiiKeyError(
                f"the PII hashing key in {self.pii_key_env} is {len(key)} bytes long; production "
                f"needs at least {PII_KEY_MIN_BYTES} bytes. Set {self.pii_key_env} to a long "
                "random secret, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`."
            )
        return key

    def pii_key(self, dagster_home: Path | None) -> tuple[bytes | None, str | None]:
        """Return the PII key (None in production when unset), and a notice if one was made.

        Production never generates a key: a product that hashes a column then fails on its
        own (io.pii), and products that hash nothing still build.
        """
        if self.production:
            return self.production_pii_key(), None
        value = os.environ.get(self.pii_key_env)
        if value:
            return value.encode("utf-8"), None
        if dagster_home is None:
            raise PiiKeyError(missing_key_message(self.pii_key_env))
        path = dagster_home / DEV_KEY_FILE
        if path.exists():
            return path.read_bytes().strip(), None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
        return path.read_bytes().strip(), (
            f"generated a development PII key in {path}; set {self.pii_key_env} in production"
        )

    def build_settings(self, instance: DagsterInstance | None) -> tuple[BuildSettings, str | None]:
        """Return the settings of a build, and a notice to log if any."""
        home = Path(instance.root_directory) if instance and instance.root_directory else None
        key, notice = self.pii_key(home)
        settings = BuildSettings(self.storage(), self.engine(home), key, self.pii_key_env)
        return settings, notice


def missing_key_message(env: str) -> str:
    """Return the error of a missing PII hashing key kept in the variable ``env``."""
    return (
        f"the PII hashing key is missing: set the environment variable {env} "
        f"(a long random secret of at least {PII_KEY_MIN_BYTES} bytes)."
    )


def mesh_resource_from_env() -> MeshResource:
    """Return the resource configured by ``MESH_*`` environment variables (local default)."""
    mode = os.environ.get("MESH_STORAGE_MODE", "local")
    if mode not in ("local", "s3"):
        raise ValueError(f"MESH_STORAGE_MODE must be 'local' or 's3', got '{mode}'")
    return MeshResource(
        storage_mode=mode,  # type: ignore[arg-type]
        warehouse=os.environ.get("MESH_WAREHOUSE", "warehouse"),
        s3_endpoint=os.environ.get("MESH_S3_ENDPOINT") or None,
        s3_region=os.environ.get("AWS_REGION") or None,
        glue_endpoint=os.environ.get("MESH_GLUE_ENDPOINT") or None,
    )


__all__ = [
    "PII_KEY_MIN_BYTES",
    "EnvVar",
    "MeshResource",
    "PiiKeyError",
    "mesh_resource_from_env",
    "missing_key_message",
]
