"""Retries: the policy's `retries` setting, the step retry policy, and which failures retry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dagster import Backoff, Jitter, RetryPolicy
from deltalake.exceptions import CommitFailedError
from spec_folder import SpecFolder

from mesh_dagster.build.failure_kinds import BuildFailure, classify_failure
from mesh_dagster.build.pipeline import InputMissingError
from mesh_dagster.build.transform import TransformError
from mesh_dagster.compile.specs import build_retry_policy
from mesh_dagster.io.delta import SchemaChangeRefusedError
from mesh_dagster.io.errors import ServiceError, classify_storage_error
from mesh_dagster.spec.policy_models import RetrySettings


def test_retries_default_to_three_attempts_thirty_seconds_apart_growing() -> None:
    assert build_retry_policy(RetrySettings()) == RetryPolicy(
        max_retries=2, delay=30.0, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
    )


def test_one_attempt_turns_retries_off(specs: SpecFolder) -> None:
    specs.policy(retries={"attempts": 1})
    specs.product()
    assert build_retry_policy(specs.load().policy.retries) is None


def test_retries_are_read_from_the_policy(specs: SpecFolder) -> None:
    specs.policy(retries={"attempts": 5, "delay": "1.5s"})
    specs.product()
    assert build_retry_policy(specs.load().policy.retries) == RetryPolicy(
        max_retries=4, delay=1.5, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
    )
    specs.policy(retries={"delay": "2m"})
    assert specs.load().policy.retries == RetrySettings(attempts=3, delay=timedelta(minutes=2))


@pytest.mark.parametrize(
    ("retries", "problem"),
    [
        (
            "  attempts: 0\n",
            "specs/mesh.yaml:{line}:3: retries.attempts: expected a number at least 1 and at "
            "most 10, got 0.",
        ),
        (
            "  delay: 30\n",
            "specs/mesh.yaml:{line}:3: retries.delay: expected a wait such as '30s', '2m' or "
            "'0s', got 30. Did you mean '30s'?",
        ),
        (
            "  delay: 1h\n",
            "specs/mesh.yaml:{line}:3: retries.delay: expected a wait such as '30s', '2m' or "
            "'0s', got '1h'.",
        ),
        (
            "  attempt: 3\n",
            "specs/mesh.yaml:{line}:3: retries.attempt: unknown field. Did you mean 'attempts'?",
        ),
    ],
)
def test_bad_retry_settings_are_located_errors(
    specs: SpecFolder, retries: str, problem: str
) -> None:
    path = specs.policy()
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "retries:\n" + retries, encoding="utf-8")
    specs.product()
    line = len(text.splitlines()) + 2
    assert specs.problems() == [problem.format(line=line)]


def _storage_error(text: str) -> ServiceError:
    error = classify_storage_error(OSError(text), "s3://b/t", "http://s3")
    assert error is not None
    return error


@pytest.mark.parametrize(
    ("error", "kind", "transient"),
    [
        (_storage_error("tcp connect error: Connection refused"), "storage_unreachable", True),
        (_storage_error("Generic S3 error: 503 Service Unavailable"), "storage_server_error", True),
        (_storage_error("Generic S3 error: 504 Gateway Timeout"), "storage_server_error", True),
        (_storage_error("Generic S3 error: 429 Too Many Requests"), "storage_server_error", True),
        (_storage_error("<Code>RequestTimeout</Code>"), "storage_server_error", True),
        (_storage_error("<Code>AccessDenied</Code>"), "storage_access_denied", False),
        (_storage_error("<Code>NoSuchBucket</Code>"), "storage_missing_bucket", False),
        (
            InputMissingError("input product 'a' has not published anything yet"),
            "missing_input",
            False,
        ),
        (SchemaChangeRefusedError("refusing to change the schema"), "schema_change_refused", False),
        (TransformError("the SQL transform of 'a' failed"), "transform_failed", False),
        (CommitFailedError("conflict"), "concurrent_commit", True),
        (TimeoutError("timed out"), "network", True),
        (ConnectionResetError("reset"), "network", True),
    ],
)
def test_failures_are_transient_or_terminal(error: Exception, kind: str, transient: bool) -> None:
    failure = classify_failure(error, "orders-daily")
    assert (failure.kind, failure.transient, failure.expected) == (kind, transient, True)


def test_an_unknown_error_is_a_terminal_bug_that_keeps_its_traceback() -> None:
    assert classify_failure(KeyError("order_id"), "orders-daily") == BuildFailure(
        "unexpected",
        False,
        "the build of 'orders-daily' stopped on an unexpected KeyError; the step's log holds "
        "the traceback. It is not retried.",
        expected=False,
    )


def test_a_concurrent_commit_says_nothing_was_published() -> None:
    assert classify_failure(CommitFailedError("x"), "orders-daily").message == (
        "another writer kept committing to the table of 'orders-daily' first; nothing was "
        "published, and the build can be retried."
    )
