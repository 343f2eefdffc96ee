"""Failures of the services a publish talks to, split into terminal and transient.

A terminal failure (missing bucket, missing or rejected credentials, access denied) needs a
person to fix something; retrying cannot help. A transient one (endpoint unreachable, time
out, server error, throttling) may pass on the next attempt.
"""

from __future__ import annotations

import re
from typing import Literal

StorageReason = Literal[
    "missing_bucket",
    "missing_credentials",
    "invalid_credentials",
    "access_denied",
    "unreachable",
    "server_error",
]


class ServiceError(RuntimeError):
    """Raised when an external service (object store, catalog) refuses or fails a request."""

    def __init__(self, message: str, *, reason: str, transient: bool) -> None:
        super().__init__(message)
        self.reason = reason
        self.transient = transient


class StorageError(ServiceError):
    """Raised when the object store behind a table cannot be used; nothing was committed."""


# Markers in delta-rs / object_store error texts, most specific first.
_STORAGE_MARKERS: tuple[tuple[StorageReason, tuple[str, ...]], ...] = (
    ("missing_bucket", ("NoSuchBucket", "bucket does not exist")),
    (
        "missing_credentials",
        (
            "no credentials found in chain",
            "Missing AccessKeyId",
            "Missing SecretAccessKey",
            "169.254.169.254",
            "/latest/api/token",
        ),
    ),
    (
        "invalid_credentials",
        ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"),
    ),
    ("access_denied", ("AccessDenied", "lacked the necessary privileges", "403 Forbidden")),
    (
        "unreachable",
        (
            "tcp connect error",
            "Connection refused",
            "error sending request",
            "dns error",
            "timed out",
            "Connection reset",
        ),
    ),
    (
        "server_error",
        (
            "500 Internal Server Error",
            "502 Bad Gateway",
            "503 Service",
            "504 Gateway Timeout",
            "429 Too Many Requests",
            "SlowDown",
            "<Code>InternalError</Code>",
            "<Code>ServiceUnavailable</Code>",
            "<Code>RequestTimeout</Code>",
        ),
    ),
)
_TRANSIENT: frozenset[StorageReason] = frozenset({"unreachable", "server_error"})
_S3_CODE = re.compile(r"<Code>([A-Za-z]+)</Code>")


def _bucket_of(uri: str) -> str:
    return uri.removeprefix("s3://").split("/", 1)[0]


def _describe(reason: StorageReason, uri: str, endpoint: str | None, code: str | None) -> str:
    where = f"the S3 endpoint {endpoint}" if endpoint else "S3"
    said = f" ({code})" if code else ""
    if reason == "missing_bucket":
        return (
            f"cannot use {uri}: the bucket '{_bucket_of(uri)}' does not exist at {where}. "
            "Create the bucket, or correct spec.output.location."
        )
    if reason == "missing_credentials":
        return (
            f"cannot use {uri}: no AWS credentials were found. Set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an IAM role."
        )
    if reason == "invalid_credentials":
        return (
            f"cannot use {uri}: {where} rejected the AWS credentials{said}. "
            "Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the role in use)."
        )
    if reason == "access_denied":
        return (
            f"cannot use {uri}: access denied{said}. The credentials in use need read, write "
            f"and list permissions on s3://{_bucket_of(uri)}/."
        )
    if reason == "unreachable":
        return (
            f"cannot reach {where} for {uri}. Nothing was published; this is usually "
            "temporary, so the run can be retried. Check MESH_S3_ENDPOINT if it persists."
        )
    return (
        f"{where} failed while publishing {uri}{said}. Nothing was published; "
        "the run can be retried."
    )


def classify_storage_error(
    error: BaseException, uri: str, endpoint: str | None
) -> StorageError | None:
    """Return the storage failure ``error`` stands for, or None if it is not one we know.

    The message is ours: the library's text is kept only as the cause, never repeated, so
    request details do not end up in check metadata or alerts.
    """
    text = str(error)
    for reason, markers in _STORAGE_MARKERS:
        if any(marker in text for marker in markers):
            match = _S3_CODE.search(text)
            message = _describe(reason, uri, endpoint, match.group(1) if match else None)
            return StorageError(message, reason=reason, transient=reason in _TRANSIENT)
    return None


class DataValueError(RuntimeError):
    """Raised when a library fails on the data; the message never holds a row value."""


# What each library error class says happened, in words; the library's own text is never
# shown because it can quote row values (DuckDB, Arrow and delta-rs all do).
_LIBRARY_ERROR_WORDS: tuple[tuple[str, str], ...] = (
    ("ConversionException", "a value could not be converted"),
    ("OutOfRangeException", "a value was out of range"),
    ("InvalidInputException", "a value was not valid input"),
    ("ConstraintException", "a value broke a constraint"),
    ("OutOfMemoryException", "DuckDB ran out of memory"),
    ("ArrowInvalid", "a value could not be converted"),
    ("ArrowTypeError", "a value had the wrong type"),
    ("ArrowNotImplementedError", "a type cannot be converted"),
    ("SchemaMismatchError", "the data does not match the table's schema"),
    ("DeltaProtocolError", "the table refused the rows (a constraint or invariant)"),
    ("CommitFailedError", "the commit was refused"),
    ("DeltaError", "the Delta table refused the write"),
)
# Raised before any row is read: the text names SQL, never data, so it may be shown.
_SQL_ERRORS = ("ParserException", "BinderException", "CatalogException")
_COLUMN_MARKERS = (
    re.compile(r"when casting from source column ([A-Za-z_][A-Za-z0-9_]{0,62})\b"),
    re.compile(r"Conversion failed for column ([A-Za-z_][A-Za-z0-9_]{0,62}) with type"),
)


def error_column(error: BaseException) -> str | None:
    """Return the column a library names in ``error`` (DuckDB casts, Arrow from pandas)."""
    text = str(error)
    for marker in _COLUMN_MARKERS:
        match = marker.search(text)
        if match:
            return match.group(1)
    return None


def describe_library_error(error: BaseException, column: str | None = None) -> str:
    """Return ``error`` as its class, the column where known, and what happened: no values.

    ``ConversionException in column 'signup_date' (a value could not be converted; row
    values are not shown)``. SQL errors raised before any row is read (parser, binder,
    catalog) keep their first line, which names only the SQL.
    """
    name = type(error).__name__
    if name in _SQL_ERRORS:
        first = str(error).splitlines()[0] if str(error) else ""
        return f"{name} ({first})" if first else name
    column = column or error_column(error)
    where = f" in column '{column}'" if column else ""
    names = [kind.__name__ for kind in type(error).__mro__]
    words = next((words for kind, words in _LIBRARY_ERROR_WORDS if kind in names), None)
    said = f"{words}; row values are not shown" if words else "row values are not shown"
    return f"{name}{where} ({said})"
