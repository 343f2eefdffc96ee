"""Registering a published product in the AWS Glue Data Catalog, and spotting drift.

Order of use after a successful publish (the Delta commit is made first, so a failure
here never leaves the table half-written; the next run registers again):

1. ``fetch_table`` reads the current Glue table (None if absent);
2. ``detect_drift`` compares it with the spec and with what the platform last registered;
3. ``register_table`` creates the database and table if missing, or updates the table to
   match the spec (nothing is sent when it already does).
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ReadTimeoutError,
)

from mesh_dagster.io.catalog_table import (
    FINGERPRINT_PARAMETER,
    catalog_target,
    expected_table,
    read_table,
    table_differences,
    table_input,
)
from mesh_dagster.io.errors import ServiceError
from mesh_dagster.spec.models import DataProduct

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient
    from mypy_boto3_glue.type_defs import TableTypeDef

_TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "InternalServiceException",
        "ConcurrentModificationException",
        "OperationTimeoutException",
        "ServiceUnavailableException",
        "RequestTimeout",
    }
)
_CREDENTIAL_CODES = frozenset(
    {"UnrecognizedClientException", "InvalidClientTokenId", "ExpiredTokenException"}
)


class CatalogError(ServiceError):
    """Raised when the Glue Data Catalog cannot be read or updated."""


@dataclass(frozen=True)
class CatalogDrift:
    """How the Glue table differs from the spec, and whether that came from outside."""

    table: str
    registered: bool
    changed_outside: bool
    differences: tuple[str, ...]

    @property
    def drifted(self) -> bool:
        """Return whether the table was changed outside the platform away from the spec."""
        return self.changed_outside and bool(self.differences)

    def describe(self) -> str:
        """Return one sentence for the check result."""
        if not self.registered:
            return f"{self.table} is not registered yet; it is created from the spec."
        if self.drifted:
            return (
                f"{self.table} was changed outside the platform ({len(self.differences)} "
                "difference(s) from the spec); it is made to match the spec again."
            )
        if self.differences:
            return f"{self.table} is updated to the changed spec ({len(self.differences)})."
        return f"{self.table} matches the spec."


@dataclass(frozen=True)
class Registration:
    """What ``register_table`` did."""

    table: str
    action: Literal["created", "updated", "unchanged"]
    changes: tuple[str, ...]


def build_glue_client(
    endpoint_url: str | None = None, region_name: str | None = None, *, max_attempts: int = 3
) -> GlueClient:
    """Return a Glue client using the standard AWS credential chain.

    ``endpoint_url`` overrides the AWS endpoint (tests point it at moto through
    ``MESH_GLUE_ENDPOINT``); ``region_name`` defaults to the chain's (``AWS_REGION``).
    Raises CatalogError when no region is configured.
    """
    config = Config(
        retries={"max_attempts": max_attempts, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
    )
    try:
        return boto3.session.Session().client(
            "glue", endpoint_url=endpoint_url, region_name=region_name, config=config
        )
    except NoRegionError as error:
        raise CatalogError(
            "cannot reach the Glue Data Catalog: no AWS region is configured. "
            "Set AWS_REGION (or AWS_DEFAULT_REGION, or a region in the AWS profile).",
            reason="missing_region",
            transient=False,
        ) from error


def _catalog_error(error: Exception, table: str, action: str) -> CatalogError:
    prefix = f"could not {action} {table} in the Glue Data Catalog"
    retry = "The Delta table itself is published; registration is retried on the next run."
    if isinstance(error, NoCredentialsError):
        return CatalogError(
            f"{prefix}: no AWS credentials were found. Set AWS_ACCESS_KEY_ID and "
            f"AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an IAM role. {retry}",
            reason="missing_credentials",
            transient=False,
        )
    if isinstance(
        error,
        EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError | ConnectionClosedError,
    ):
        return CatalogError(
            f"{prefix}: the Glue endpoint could not be reached. {retry}",
            reason="unreachable",
            transient=True,
        )
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "Unknown")
        if code in _CREDENTIAL_CODES:
            reason, transient = "invalid_credentials", False
        elif code in _TRANSIENT_CODES:
            reason, transient = "server_error", True
        elif code.startswith("AccessDenied"):
            reason, transient = "access_denied", False
        else:
            reason, transient = "rejected", False
        return CatalogError(f"{prefix} ({code}). {retry}", reason=reason, transient=transient)
    return CatalogError(
        f"{prefix}: {type(error).__name__}. {retry}", reason="other", transient=True
    )


def _target_name(product: DataProduct) -> tuple[str, str]:
    target = catalog_target(product)
    if target is None:
        raise ValueError(f"product '{product.name}' has no Glue catalog entry in spec.output")
    return target


def fetch_table(product: DataProduct, glue_client: GlueClient) -> TableTypeDef | None:
    """Return the product's Glue table as ``GetTable`` gives it, or None if absent.

    Raises CatalogError when Glue cannot be asked.
    """
    database, name = _target_name(product)
    try:
        return glue_client.get_table(DatabaseName=database, Name=name)["Table"]
    except glue_client.exceptions.EntityNotFoundException:
        return None
    except (BotoCoreError, ClientError) as error:
        raise _catalog_error(error, f"{database}.{name}", "read") from error


def detect_drift(
    product: DataProduct, glue_table: TableTypeDef | None, uri: str | None = None
) -> CatalogDrift:
    """Return how ``glue_table`` differs from the product's spec (pure).

    A table is *changed outside* the platform when its managed parts no longer match the
    fingerprint recorded at the last registration (or it has none: someone else created
    it). Differences without such a change are the platform's own pending update (the
    spec changed), not drift. ``uri`` is where the data is (default: the spec's location).
    """
    spec = expected_table(product, uri or product.spec.output.location.rstrip("/"))
    if glue_table is None:
        return CatalogDrift(spec.qualified_name, False, False, ())
    glue = read_table(glue_table)
    recorded = glue_table.get("Parameters", {}).get(FINGERPRINT_PARAMETER)
    return CatalogDrift(
        table=spec.qualified_name,
        registered=True,
        changed_outside=recorded != glue.fingerprint(),
        differences=tuple(table_differences(glue, spec)),
    )


def _ensure_database(glue_client: GlueClient, database: str) -> None:
    try:
        glue_client.get_database(Name=database)
        return
    except glue_client.exceptions.EntityNotFoundException:
        pass
    # A concurrent registration may create it first.
    with suppress(glue_client.exceptions.AlreadyExistsException):
        glue_client.create_database(
            DatabaseInput={
                "Name": database,
                "Description": "Data products published by the mesh-dagster platform.",
            }
        )


def register_table(product: DataProduct, uri: str, glue_client: GlueClient) -> Registration:
    """Make the product's Glue table match the spec, its data at ``uri``; say what was done.

    Creates the database and the table when missing, else updates the table (keeping
    parameters other tools set). Idempotent: when the table already matches, nothing is
    sent. Call it only after the Delta commit succeeded. Raises CatalogError (with
    ``transient``) when Glue fails; the publish stands and the next run registers again.
    """
    if not uri.startswith("s3://"):
        raise ValueError(
            f"Glue registers S3 tables only, not {uri}: register in S3 mode (MESH_STORAGE_MODE=s3)"
        )
    spec = expected_table(product, uri)
    table = spec.qualified_name
    try:
        _ensure_database(glue_client, spec.database)
        current = fetch_table(product, glue_client)
        if current is None:
            try:
                glue_client.create_table(DatabaseName=spec.database, TableInput=table_input(spec))
                return Registration(table, "created", ())
            except glue_client.exceptions.AlreadyExistsException:
                current = fetch_table(product, glue_client)
                assert current is not None
        changes = tuple(table_differences(read_table(current), spec))
        recorded = current.get("Parameters", {}).get(FINGERPRINT_PARAMETER)
        if not changes and recorded == spec.fingerprint():
            return Registration(table, "unchanged", ())
        glue_client.update_table(
            DatabaseName=spec.database, TableInput=table_input(spec, existing=current)
        )
        return Registration(table, "updated", changes)
    except CatalogError:
        raise
    except (BotoCoreError, ClientError) as error:
        raise _catalog_error(error, table, "register") from error
