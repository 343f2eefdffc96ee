"""ODCS documents against the standard's official JSON Schema, as located problems."""

from __future__ import annotations

import functools
import json
import re
from datetime import date, datetime, time
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from mesh_dagster.spec.errors import FieldPath, SpecProblem, did_you_mean
from mesh_dagster.spec.yaml_source import SourceMap

_VENDORED = {"v3.1.0": "odcs-json-schema-v3.1.0.json"}
"""Official schemas shipped in `mesh_dagster/odcs/schemas/` (the PyPI package has v3.2.0)."""

READ_VERSIONS = ("v3.0.0", "v3.0.1", "v3.0.2", "v3.1.0", "v3.2.0")
"""The ODCS versions mesh reads; the package's v3.2.0 schema accepts all of them."""

_QUOTED = re.compile(r"'([^']*)'")


@functools.cache
def official_schema(version: str) -> dict[str, Any]:
    """Return the official JSON Schema of ODCS ``version`` (v3.1.0 or v3.2.0)."""
    if version in _VENDORED:
        text = resources.files("mesh_dagster.odcs").joinpath("schemas", _VENDORED[version])
    elif version == "v3.2.0":
        text = resources.files("open_data_contract_standard").joinpath("schema.json")
    else:
        raise KeyError(version)
    loaded: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return loaded


def reading_schema() -> dict[str, Any]:
    """Return the schema documents are read with: the newest, which accepts every v3 version.

    The standard's own examples declare v3.0.2 but use fields added in v3.1.0, so each
    version's own schema would refuse documents every ODCS tool reads.
    """
    return official_schema("v3.2.0")


def as_json(value: Any) -> Any:
    """Return YAML data as JSON sees it: dates and times become ISO strings."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 40 else "a long text"
    return f"'{value}'"


def _allowed_keys(error: ValidationError) -> list[str]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    return sorted(schema.get("properties", {}))


def _problem(error: ValidationError, source: SourceMap) -> SpecProblem:
    path: FieldPath = tuple(error.absolute_path)
    kind = error.validator
    if kind in ("additionalProperties", "unevaluatedProperties"):
        key = next(iter(_QUOTED.findall(error.message)), "")
        return source.problem(
            (*path, key), "unknown field.", did_you_mean(key, _allowed_keys(error))
        )
    if kind == "required":
        key = next(iter(_QUOTED.findall(error.message)), "")
        return source.problem(path, f"required field '{key}' is missing.")
    if kind == "enum":
        allowed = error.validator_value if isinstance(error.validator_value, list) else []
        choices = [str(choice) for choice in allowed]
        shown = ", ".join(f"'{choice}'" for choice in choices)
        hint = did_you_mean(str(error.instance), choices)
        return source.problem(
            path, f"expected one of {shown}; got {_describe(error.instance)}.", hint
        )
    if kind == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        return source.problem(path, f"expected {wanted}, got {_describe(error.instance)}.")
    if kind in ("anyOf", "oneOf") and error.context:
        return _problem(best_match(error.context), source)
    if kind == "pattern":
        message = (
            f"{_describe(error.instance)} does not match the pattern '{error.validator_value}'."
        )
        return source.problem(path, message)
    return source.problem(path, f"{error.message}.")


def schema_problems(data: Any, source: SourceMap, schema: dict[str, Any]) -> list[SpecProblem]:
    """Return every place where ``data`` breaks ``schema``, located in its file."""
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema)
    errors = sorted(validator.iter_errors(as_json(data)), key=lambda e: list(map(str, e.path)))
    return sorted({_problem(error, source) for error in errors})
