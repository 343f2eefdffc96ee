"""Pydantic validation errors -> located, readable spec problems."""

from __future__ import annotations

import types
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from mesh_dagster.spec.errors import FieldPath, HintedValueError, SpecProblem, did_you_mean
from mesh_dagster.spec.values import PATTERN_EXPECTATIONS
from mesh_dagster.spec.yaml_source import SourceMap

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
    "date_from_datetime_inexact": "a date (YYYY-MM-DD)",
    "time_type": "a time of day as 'HH:MM'",
    "time_parsing": "a time of day as 'HH:MM'",
}
_BOUNDS = (
    (annotated_types.Gt, "gt", "greater than"),
    (annotated_types.Ge, "ge", "at least"),
    (annotated_types.Lt, "lt", "less than"),
    (annotated_types.Le, "le", "at most"),
)
_BOUND_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def describe_value(value: Any) -> str:
    """Return how a YAML value is shown in a message: ``'text'``, ``12``, ``a list``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (date, datetime)):
        return f"the date {value.isoformat()}"
    return repr(value)


def _plain(markdown: str) -> str:
    """Return a field description for the terminal: code spans in quotes, not backticks."""
    return markdown.replace("`", "'")


def _data_path(data: Any, loc: Sequence[int | str]) -> FieldPath:
    """Return the path of ``loc`` in the data, dropping pydantic's union-member labels."""
    path: list[int | str] = []
    current = data
    for index, part in enumerate(loc):
        in_mapping = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and part < len(current)
        if in_mapping or in_list:
            current = current[part]
        elif index < len(loc) - 1:
            continue
        path.append(part)
    return tuple(path)


def _unwrap(annotation: Any) -> Any:
    """Return ``annotation`` without ``Annotated`` and without ``None`` in an optional."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _union_label(member: Any) -> set[str]:
    """Return the labels pydantic uses for a union member in error locations."""
    member = _unwrap(member)
    if not (isinstance(member, type) and issubclass(member, BaseModel)):
        return set()
    labels = {member.__name__}
    for info in member.model_fields.values():
        if get_origin(info.annotation) is Literal:
            labels.update(str(arg) for arg in get_args(info.annotation))
    return labels


def _field_annotation(model: type[BaseModel], name: str) -> Any:
    for field_name, info in model.model_fields.items():
        if name in (field_name, info.alias):
            return info.annotation
    return None


def annotation_at(model: type[BaseModel], loc: Sequence[int | str]) -> Any:
    """Return the type found by following pydantic's error location ``loc`` from ``model``."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        origin = get_origin(current)
        if origin in (Union, types.UnionType):
            members = [m for m in get_args(current) if str(part) in _union_label(m)]
            if not members:
                return None
            current = members[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            current = _field_annotation(current, str(part))
        elif origin is dict:
            current = get_args(current)[1]
        elif origin is list:
            current = get_args(current)[0]
        else:
            return None
        if current is None:
            return None
    return current


def _model(annotation: Any) -> type[BaseModel] | None:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _field_names(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _field_info(model: type[BaseModel] | None, name: str) -> Any:
    if model is None:
        return None
    for field_name, info in model.model_fields.items():
        if name in (field_name, info.alias):
            return info
    return None


def _bounds(info: Any) -> str | None:
    if info is None:
        return None
    parts = [
        f"{words} {getattr(item, attribute)}"
        for kind, attribute, words in _BOUNDS
        for item in info.metadata
        if isinstance(item, kind)
    ]
    return " and ".join(parts) or None


def _quote_hint(kind: str, value: Any) -> str | None:
    if kind != "string_type" or isinstance(value, (dict, list)) or value is None:
        return None
    text = value.isoformat() if isinstance(value, (date, datetime)) else str(value).lower()
    return f'Quote it to make it text: "{text}".'


def _problem(
    error: ErrorDetails, data: Any, model: type[BaseModel], source: SourceMap
) -> SpecProblem:
    loc = tuple(error["loc"])
    path = _data_path(data, loc)
    kind = error["type"]
    context = error.get("ctx", {})
    owner = _model(annotation_at(model, loc[:-1])) if loc else model
    last = str(loc[-1]) if loc else ""
    info = _field_info(owner, last)
    value = error.get("input")
    if kind == "extra_forbidden":
        hint = did_you_mean(last, _field_names(owner))
        if hint is None and owner is not None:
            hint = "Expected one of: " + ", ".join(_field_names(owner)) + "."
        return source.problem(path, "unknown field.", hint)
    if kind == "missing":
        description = info.description if info is not None else None
        hint = f"Expected: {_plain(description)}" if description else None
        return source.problem(path, "required field is missing.", hint)
    if kind == "literal_error":
        expected = str(context.get("expected", ""))
        hint = did_you_mean(str(value), [part.strip("' ") for part in expected.split(",")])
        return source.problem(path, f"expected {expected}, got {describe_value(value)}.", hint)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return _union_tag_problem(error, path, model, source)
    if kind in _EXPECTED:
        message = f"expected {_EXPECTED[kind]}, got {describe_value(value)}."
        return source.problem(path, message, _quote_hint(kind, value))
    if kind in _BOUND_ERRORS:
        bounds = _bounds(info) or error["msg"].removeprefix("Input should be ")
        return source.problem(path, f"expected a number {bounds}, got {describe_value(value)}.")
    if kind == "too_short":
        wanted = context.get("min_length", 1)
        noun = "item" if wanted == 1 else "items"
        return source.problem(path, f"expected at least {wanted} {noun}, got none.")
    if kind == "value_error":
        raised = context.get("error")
        message = str(raised) if raised is not None else error["msg"]
        if not message.endswith((".", "?")):
            message += "."
        hint = raised.hint if isinstance(raised, HintedValueError) else None
        return source.problem(path, message, hint)
    if kind == "string_pattern_mismatch":
        pattern = str(context.get("pattern", ""))
        expected = PATTERN_EXPECTATIONS.get(pattern, f"a value matching {pattern}")
        return source.problem(path, f"expected {expected}, got {describe_value(value)}.")
    message = error["msg"][0].lower() + error["msg"][1:]
    return source.problem(path, f"{message}, got {describe_value(value)}.")


def _union_tag_problem(
    error: ErrorDetails, path: FieldPath, model: type[BaseModel], source: SourceMap
) -> SpecProblem:
    context = error.get("ctx", {})
    field = str(context.get("discriminator", "kind")).strip("'")
    union = _unwrap(annotation_at(model, tuple(error["loc"])))
    tags = sorted(
        {
            str(arg)
            for member in get_args(union)
            if (member_model := _model(member)) is not None
            for arg in get_args(member_model.model_fields[field].annotation)
        }
    )
    expected = ", ".join(f"'{tag}'" for tag in tags[:-1]) + f" or '{tags[-1]}'" if tags else ""
    if error["type"] == "union_tag_not_found":
        return source.problem(
            (*path, field), "required field is missing.", f"Expected one of: {', '.join(tags)}."
        )
    tag = str(context.get("tag", ""))
    return source.problem(
        (*path, field), f"expected {expected}, got '{tag}'.", did_you_mean(tag, tags)
    )


def validation_problems(
    error: ValidationError, data: Any, model: type[BaseModel], source: SourceMap
) -> list[SpecProblem]:
    """Return one located problem per pydantic error."""
    return [_problem(detail, data, model, source) for detail in error.errors()]
