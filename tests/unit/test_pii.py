"""Masking and hashing of PII columns before anything is written."""

from __future__ import annotations

import pyarrow as pa
import pytest

from mesh_dagster.checks.evaluate import evaluate_checks
from mesh_dagster.checks.plan import plan_checks
from mesh_dagster.io.pii import apply_pii, mask_value
from mesh_dagster.spec.models import DataProduct


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("", ""),
        ("a", "*"),
        ("abc", "***"),
        ("abcd", "***d"),
        ("abcde", "****e"),
        ("abcdefg", "******g"),
        ("abcdefgh", "******gh"),
        ("abcdefghijkl", "*********jkl"),
        ("abcdefghijklmnop", "************mnop"),
        ("bob.secret@example.com", "******************.com"),
        ("é👍🏽xyzw", "******w"),
    ],
)
def test_masking_shows_at_most_4_characters_and_a_quarter(value: str, masked: str) -> None:
    assert mask_value(value) == masked


def _product(column: dict[str, object]) -> DataProduct:
    return DataProduct.model_validate(
        {
            "apiVersion": "dataproduct/v1",
            "kind": "DataProduct",
            "metadata": {
                "name": "people",
                "domain": "crm",
                "owner": "crm-team",
                "steward": "jane@example.com",
            },
            "spec": {
                "description": "People.",
                "output": {"format": "delta", "location": "s3://crm-bucket/crm/people/"},
                "schema": [column],
            },
        }
    )


def test_every_masked_value_passes_the_masked_check() -> None:
    product = _product({"name": "email", "type": "string", "pii": True, "pii_handling": "masked"})
    values = ["x" * length for length in range(0, 24)] + ["é👍🏽xyzw", "**ab", None]
    table = apply_pii(pa.table({"email": pa.array(values, pa.string())}), product, None)

    outcomes = evaluate_checks(plan_checks(product), table, None)

    pii = next(outcome for outcome in outcomes if outcome.name == "pii_email")
    assert (pii.passed, pii.failing_rows) == (True, 0)
    assert table.column("email").to_pylist()[5] == "****x"
