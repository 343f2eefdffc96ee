"""Where a product's table lives: local warehouse folder or real ``s3://`` URIs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from mesh_dagster.spec.locations import LocationError, parse_location, shown

StorageMode = Literal["local", "s3"]
LocationReason = Literal["invalid", "outside_warehouse"]


class UnsafeLocationError(RuntimeError):
    """Raised before any read or write when a location is invalid or leaves the warehouse.

    Terminal, like a missing bucket: retrying cannot help, so ``transient`` is False.
    """

    transient = False

    def __init__(self, message: str, *, reason: LocationReason) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class StorageSettings:
    """How output locations resolve, and the options delta-rs needs to reach them."""

    mode: StorageMode = "local"
    warehouse: Path = Path("warehouse")
    s3_endpoint: str | None = None
    s3_region: str | None = None
    extra_options: dict[str, str] = field(default_factory=dict)


def resolve_location(location: str, settings: StorageSettings, *, confined: bool = True) -> str:
    """Return the URI the table at ``location`` is really read from and written to.

    Local mode maps ``s3://bucket/prefix`` to ``<warehouse>/bucket/prefix``; relative paths
    go under the warehouse in either mode; S3 mode keeps ``s3://`` URIs, normalized. A
    ``confined`` location (every product's table) on the local file system must resolve,
    symbolic links and all, strictly inside the warehouse; an external source need not.

    Raises UnsafeLocationError for an invalid location or one outside the warehouse: the
    spec was validated, but this is checked again at the moment of reading or writing.
    """
    try:
        parsed = parse_location(location, prefix=not confined)
    except LocationError as error:
        raise UnsafeLocationError(f"invalid location: {error}", reason="invalid") from None
    if parsed.kind == "s3" and settings.mode == "s3":
        return parsed.text
    if parsed.shares_warehouse:
        path = (settings.warehouse / Path(*parsed.parts)).resolve()
    else:
        path = Path("/", *parsed.parts)
    if confined:
        path = path.resolve()
        _check_inside(path, settings.warehouse.resolve(), location)
    return str(path)


def _check_inside(path: Path, warehouse: Path, location: str) -> None:
    if warehouse in path.parents:
        return
    raise UnsafeLocationError(
        f"the location {shown(location)} resolves to {path}, outside the warehouse "
        f"{warehouse}; a table on the local file system must lie strictly inside the "
        "warehouse. Nothing was read or written.",
        reason="outside_warehouse",
    )


def storage_options(uri: str, settings: StorageSettings) -> dict[str, str]:
    """Return delta-rs storage options for ``uri`` (empty for local paths).

    Credentials are never put here: delta-rs resolves the standard AWS chain itself
    (environment, profile, web identity, container and instance roles), also when the
    endpoint is overridden, so no secret passes through our code or logs.

    Concurrent writers rely on S3 conditional puts: each commit is created with
    ``If-None-Match: *``, so of two writers of the same table version one loses, re-reads
    the log and retries. This is delta-rs 1.x's default (object_store's
    ``conditional_put=etag``); it is pinned here so an environment variable cannot turn
    it off. There is no DynamoDB lock in delta-rs 1.x, and ``AWS_S3_ALLOW_UNSAFE_RENAME``
    must never be set.
    """
    if not uri.startswith("s3://"):
        return {}
    options = {"conditional_put": "etag", "AWS_FORCE_CREDENTIAL_LOAD": "true"}
    if settings.s3_endpoint:
        options["AWS_ENDPOINT_URL"] = settings.s3_endpoint
        if settings.s3_endpoint.startswith("http://"):
            options["AWS_ALLOW_HTTP"] = "true"
    if settings.s3_region:
        options["AWS_REGION"] = settings.s3_region
    options.update(settings.extra_options)
    return options
