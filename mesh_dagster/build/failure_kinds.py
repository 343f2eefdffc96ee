"""What a failed build stands for: its kind, and whether trying again may help.

Transient failures (network, throttling, 5xx, time-outs of a service, a concurrent commit)
may pass on the next attempt; terminal ones (a missing input, a refused schema change, a
failing transform or check, rejected credentials, a blocked publish) need a person, so
retrying them only delays the alert. An error nothing here knows is terminal: it is a bug,
and its traceback is kept for whoever fixes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from deltalake.exceptions import CommitFailedError

from mesh_dagster.build.pipeline import InputMissingError
from mesh_dagster.build.transform import TransformError
from mesh_dagster.checks.engine import CheckRefusedError
from mesh_dagster.checks.names import CheckPlanError
from mesh_dagster.io.delta import SchemaChangeRefusedError
from mesh_dagster.io.errors import ServiceError, StorageError
from mesh_dagster.io.pii import PiiKeyMissingError


@dataclass(frozen=True)
class BuildFailure:
    """A build's failure as the platform reports it."""

    kind: str
    transient: bool
    message: str
    expected: bool = True
    """False for an error nothing here knows (a bug): its traceback is worth keeping."""


_TERMINAL_KINDS: tuple[tuple[type[Exception], str], ...] = (
    (InputMissingError, "missing_input"),
    (SchemaChangeRefusedError, "schema_change_refused"),
    (TransformError, "transform_failed"),
    (CheckRefusedError, "check_refused"),
    (CheckPlanError, "check_refused"),
    (PiiKeyMissingError, "missing_secret"),
)


def classify_failure(error: Exception, product: str) -> BuildFailure:
    """Return what ``error``, raised while building ``product``, stands for."""
    if isinstance(error, ServiceError):
        kind = "storage" if isinstance(error, StorageError) else "catalog"
        return BuildFailure(f"{kind}_{error.reason}", error.transient, str(error))
    for error_type, kind in _TERMINAL_KINDS:
        if isinstance(error, error_type):
            return BuildFailure(kind, False, str(error))
    if isinstance(error, CommitFailedError):
        return BuildFailure(
            "concurrent_commit",
            True,
            f"another writer kept committing to the table of '{product}' first; nothing was "
            "published, and the build can be retried.",
        )
    if isinstance(error, (TimeoutError, ConnectionError)):
        return BuildFailure(
            "network",
            True,
            f"the build of '{product}' lost its connection to a service "
            f"({type(error).__name__}); nothing was published, and it can be retried.",
        )
    if type(error).__module__.startswith("mesh_dagster."):
        # The platform's own refusals are sentences meant for the user.
        return BuildFailure("refused", False, str(error))
    return BuildFailure(
        "unexpected",
        False,
        f"the build of '{product}' stopped on an unexpected {type(error).__name__}; "
        "the step's log holds the traceback. It is not retried.",
        expected=False,
    )
