"""Pydantic validation errors -> located, readable spec problems."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from mesh_dagster.spec.errors import FieldPath, SpecProblem, did_you_mean
from mesh_dagster.spec.yaml_source import SourceMap

_KIND_OF_VALUE = {
    dict: "a mapping",
    list: "a list",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
}
_EXPECTED = {
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "time_type": "a time of day as 'HH:MM'",
    "time_parsing": "a time of day as 'HH:MM'",
}


def _describe(value: Any) -> str:
    kind = _KIND_OF_VALUE.get(type(value))
    if kind is None:
        return repr(value)
    if isinstance(value, (dict, list)):
        return kind
    return f"{value!r}" if isinstance(value, str) else str(value).lower()


def _data_path(data: Any, loc: tuple[int | str, ...]) -> FieldPath:
    """Return the path of ``loc`` in the data, dropping pydantic's union-member labels."""
    path: list[int | str] = []
    current = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and part < len(current):
            current = current[part]
        elif not last:
            continue
        path.append(part)
    return tuple(path)


def _model_at(model: type[BaseModel], path: FieldPath) -> type[BaseModel] | None:
    """Return the model class that owns the last field of ``path``, if known."""
    current: type[BaseModel] | None = model
    for part in path[:-1]:
        if current is None or isinstance(part, int):
            continue
        current = _field_model(current, part)
    return current


def _field_model(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    for field_name, info in model.model_fields.items():
        if name not in (field_name, info.alias):
            continue
        for candidate in _annotation_models(info.annotation):
            return candidate
    return None


def _annotation_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for argument in getattr(annotation, "__args__", ()) or ():
        found.extend(_annotation_models(argument))
    for argument in getattr(annotation, "__metadata__", ()) or ():
        found.extend(_annotation_models(argument))
    origin = getattr(annotation, "__origin__", None)
    if origin is not None and not found:
        found.extend(_annotation_models(origin))
    return found


def _field_names(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _field_description(model: type[BaseModel] | None, name: str) -> str | None:
    if model is None:
        return None
    for field_name, info in model.model_fields.items():
        if name in (field_name, info.alias):
            return info.description
    return None


def _problem(
    error: ErrorDetails, data: Any, model: type[BaseModel], source: SourceMap
) -> SpecProblem:
    path = _data_path(data, tuple(error["loc"]))
    kind = error["type"]
    owner = _model_at(model, path)
    last = str(path[-1]) if path else ""
    value = error.get("input")
    if kind == "extra_forbidden":
        hint = did_you_mean(last, _field_names(owner))
        if hint is None and owner is not None:
            hint = "Expected one of: " + ", ".join(_field_names(owner)) + "."
        return source.problem(path, "unknown field.", hint)
    if kind == "missing":
        description = _field_description(owner, last)
        hint = f"Expected: {description}" if description else None
        return source.problem(path, "required field is missing.", hint)
    if kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", ""))
        hint = did_you_mean(str(value), [part.strip("' ") for part in expected.split(",")])
        message = f"expected {expected}, got {_describe(value)}."
        return source.problem(path, message.replace(" or ", " or "), hint)
    if kind in _EXPECTED:
        return source.problem(path, f"expected {_EXPECTED[kind]}, got {_describe(value)}.")
    if kind == "value_error":
        message = str(error.get("ctx", {}).get("error", error["msg"]))
        if not message.endswith((".", "?")):
            message += "."
        return source.problem(path, message)
    if kind == "string_pattern_mismatch":
        description = _field_description(owner, last)
        expected = description or f"a value matching {error.get('ctx', {}).get('pattern')}"
        return source.problem(path, f"invalid value {_describe(value)}.", f"Expected: {expected}")
    message = error["msg"][0].lower() + error["msg"][1:]
    return source.problem(path, f"{message}, got {_describe(value)}.")


def validation_problems(
    error: ValidationError, data: Any, model: type[BaseModel], source: SourceMap
) -> list[SpecProblem]:
    """Return one located problem per pydantic error."""
    return [_problem(detail, data, model, source) for detail in error.errors()]
