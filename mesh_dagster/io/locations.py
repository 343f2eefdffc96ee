"""Where a product's table lives: local warehouse folder or real ``s3://`` URIs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

StorageMode = Literal["local", "s3"]


@dataclass(frozen=True)
class StorageSettings:
    """How output locations resolve, and the options delta-rs needs to reach them."""

    mode: StorageMode = "local"
    warehouse: Path = Path("warehouse")
    s3_endpoint: str | None = None
    s3_region: str | None = None
    extra_options: dict[str, str] = field(default_factory=dict)


def resolve_location(location: str, settings: StorageSettings) -> str:
    """Return the URI the table is really written to.

    Local mode maps ``s3://bucket/prefix`` to ``<warehouse>/bucket/prefix`` and relative
    paths under the warehouse; S3 mode keeps ``s3://`` URIs as they are.
    """
    location = location.rstrip("/")
    if location.startswith("s3://"):
        if settings.mode == "s3":
            return location
        return str((settings.warehouse / location.removeprefix("s3://")).resolve())
    path = Path(location)
    return str(path if path.is_absolute() else (settings.warehouse / path).resolve())


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
