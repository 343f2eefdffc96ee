"""The spec reference is generated from the models; the committed copy must match."""

from __future__ import annotations

from pathlib import Path

from mesh_dagster.spec.policy_models import MeshPolicy, PolicyRules
from mesh_dagster.spec.reference import field_rows, render_reference

REFERENCE = Path(__file__).parents[2] / "docs" / "spec-reference.md"


def test_docs_spec_reference_is_up_to_date() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == render_reference(), (
        "docs/spec-reference.md is stale; run: mesh schema --markdown > docs/spec-reference.md"
    )


def test_every_field_of_nested_models_has_a_described_row() -> None:
    paths = {row.path: row for row in field_rows("product")}
    assert paths["spec.schema[].pii_handling"].type == "`hashed`, `masked` or `redacted`"
    assert paths["spec.sla.availability_target"].type == (
        "number (> 0, ≤ 1) or percentage (`99.9%`)"
    )
    assert paths["spec.quality.custom_checks"].type == "list of strings or mappings"
    assert paths["spec.schema"].required and not paths["spec.grain"].required
    assert all(row.description for row in paths.values())
    policy_paths = {row.path for row in field_rows("policy")}
    for name in PolicyRules.model_fields:
        assert f"rules.{name}" in policy_paths
        assert f"domains.<name>.rules.{name}" in policy_paths
    assert {"alert_channels.<name>.webhook_url_env", "alert_channels.<name>.to"} <= policy_paths
    assert set(MeshPolicy.model_fields) - {"api_version"} <= policy_paths
