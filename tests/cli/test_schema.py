"""`mesh schema`: the JSON Schema editors use, and the Markdown reference."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from spec_folder import product_data
from typer.testing import CliRunner

from mesh_dagster.cli.main import app
from mesh_dagster.spec.json_schema import spec_json_schema
from mesh_dagster.spec.reference import render_reference

EXAMPLES = Path(__file__).parents[1] / "unit" / "examples"


def _schema(runner: CliRunner, *options: str) -> dict[str, Any]:
    result = runner.invoke(app, ["schema", *options])
    assert result.exit_code == 0
    schema: dict[str, Any] = json.loads(result.output)
    return schema


def test_schema_prints_the_product_json_schema_with_yaml_keys(runner: CliRunner) -> None:
    schema = _schema(runner)
    assert schema == spec_json_schema("product")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "DataProduct"
    assert list(schema["properties"]) == ["apiVersion", "kind", "metadata", "spec"]
    assert "schema" in schema["$defs"]["ProductSpec"]["properties"]
    assert schema["$defs"]["ProductSpec"]["additionalProperties"] is False


def test_schema_of_the_policy(runner: CliRunner) -> None:
    schema = _schema(runner, "--kind", "policy")
    assert schema["title"] == "MeshPolicy"
    assert set(schema["properties"]) == {
        "apiVersion",
        "kind",
        "defaults",
        "rules",
        "limits",
        "domains",
        "alert_channels",
        "retries",
    }


def test_schema_markdown_is_the_reference(runner: CliRunner) -> None:
    result = runner.invoke(app, ["schema", "--markdown"])
    assert (result.exit_code, result.output) == (0, render_reference())


@pytest.mark.parametrize(
    ("kind", "document"),
    [
        ("product", yaml.safe_load((EXAMPLES / "orders_daily.yaml").read_text())),
        ("product", product_data()),
        ("policy", yaml.safe_load((EXAMPLES / "mesh.yaml").read_text())),
    ],
)
def test_an_editor_accepts_valid_specs(kind: str, document: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    # yaml-language-server reads YAML 1.2: dates and clock times stay strings.
    text = json.loads(json.dumps(document, default=str))
    jsonschema.validate(text, spec_json_schema("product" if kind == "product" else "policy"))


def test_an_editor_flags_a_misspelt_field() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    document = product_data()
    document["spec"]["schema"][2]["nullabel"] = False
    with pytest.raises(jsonschema.ValidationError, match="'nullabel' was unexpected"):
        jsonschema.validate(document, spec_json_schema("product"))
