"""The spec reference (Markdown), generated from the models' JSON Schema, never hand-copied."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, get_args

from mesh_dagster.spec import values
from mesh_dagster.spec.json_schema import MODELS, DocumentKind, spec_json_schema

Schema = dict[str, Any]

_PATTERN_LABELS = {
    values.KEBAB_NAME: "kebab-case name",
    values.COLUMN_NAME: "column name (`a-z`, `0-9`, `_`)",
    values.EMAIL: "e-mail address",
    values.SEMVER: "version `MAJOR.MINOR.PATCH`",
    values.PYTHON_REFERENCE: "`module:function`",
    values.CHECK_NAME: "name (`A-Z`, `a-z`, `0-9`, `_`; at most 63)",
    values.CLOCK: "time `HH:MM`",
    values.DURATION: "duration (`30m`, `2h`)",
    values.WAIT: "wait (`30s`, `2m`, `0s`)",
    values.PERCENT: "percentage (`99.9%`)",
}
_BOUNDS = (
    ("exclusiveMinimum", ">"),
    ("minimum", "≥"),
    ("exclusiveMaximum", "<"),
    ("maximum", "≤"),
)
_DOCUMENTS: tuple[tuple[DocumentKind, str], ...] = (
    ("product", "one file per product, e.g. `specs/orders/orders_daily.yaml`"),
    ("policy", "at most one file, `specs/mesh.yaml`"),
)
_INTRO = """\
<!-- Generated from the spec models by `mesh schema --markdown`; do not edit by hand. -->
# Spec reference

Every field of the two kinds of YAML document in a specs folder, generated from the models
that validate them. A path names a field from the top of its document: `[]` stands for each
item of a list and `<name>` for each key of a mapping. *Required* means required whenever
its parent is given. Unknown fields are errors. The same models give the JSON Schema for
editors: `mesh schema` (products) and `mesh schema --kind policy`.
"""


@dataclass(frozen=True)
class FieldRow:
    """One row of the reference: a field, its type, whether it is required, its default."""

    path: str
    type: str
    required: bool
    default: str
    description: str


class _Walker:
    """Walks one model's JSON Schema depth-first, yielding a row per field."""

    def __init__(self, schema: Schema) -> None:
        self.definitions: dict[str, Schema] = schema.get("$defs", {})

    def resolve(self, node: Schema) -> Schema | None:
        """Return the model schema ``node`` refers to, if it refers to one."""
        reference = node.get("$ref")
        if isinstance(reference, str):
            return self.definitions[reference.rsplit("/", 1)[-1]]
        return None

    def type_text(self, node: Schema) -> str:
        """Return the type of ``node`` in words."""
        if self.resolve(node) is not None:
            return "mapping"
        if "const" in node:
            return f"`{node['const']}`"
        if "enum" in node:
            return _one_of([f"`{value}`" for value in node["enum"]])
        alternatives = node.get("anyOf") or node.get("oneOf")
        if alternatives:
            texts = [self.type_text(item) for item in alternatives if item.get("type") != "null"]
            return " or ".join(dict.fromkeys(texts))
        kind = node.get("type")
        if kind == "string":
            return self._string_text(node)
        if kind in ("number", "integer"):
            bounds = [f"{sign} {node[key]:g}" for key, sign in _BOUNDS if key in node]
            return f"{kind} ({', '.join(bounds)})" if bounds else str(kind)
        if kind == "array":
            return f"list of {_plural(self.type_text(node.get('items', {})))}"
        if kind == "object":
            value = node.get("additionalProperties")
            if isinstance(value, dict):
                return f"mapping of names to {_plural(self.type_text(value))}"
            return "mapping"
        return str(kind or "any")

    @staticmethod
    def _string_text(node: Schema) -> str:
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            return _PATTERN_LABELS.get(pattern, f"string matching `{pattern}`")
        if node.get("format") == "date":
            return "date `YYYY-MM-DD`"
        return "string"

    def rows(self, model: Schema, prefix: str, note: str = "") -> Iterator[FieldRow]:
        """Yield the rows of ``model``'s fields, then of their nested fields, in order."""
        required = set(model.get("required", []))
        for name, node in model.get("properties", {}).items():
            path = f"{prefix}.{name}" if prefix else name
            description = node.get("description") or self._model_description(node)
            yield FieldRow(
                path,
                self.type_text(node),
                name in required,
                self._default_text(node, name in required),
                f"{note}{description}",
            )
            yield from self.nested(node, path)

    def nested(self, node: Schema, path: str) -> Iterator[FieldRow]:
        """Yield the rows of the fields inside ``node`` (a model, list or mapping of them)."""
        model = self.resolve(node)
        if model is not None:
            yield from self.rows(model, path)
            return
        alternatives = node.get("anyOf") or node.get("oneOf") or []
        variants = [item for item in alternatives if self.resolve(item) is not None]
        discriminator = node.get("discriminator", {}).get("propertyName")
        for variant in variants:
            variant_model = self.resolve(variant)
            assert variant_model is not None
            note = ""
            if discriminator:
                tag = variant_model["properties"][discriminator].get("const")
                note = f"(`{discriminator}: {tag}`) "
            yield from self.rows(variant_model, path, note)
        if node.get("type") == "array":
            yield from self.nested(node.get("items", {}), f"{path}[]")
        value = node.get("additionalProperties")
        if isinstance(value, dict):
            yield from self.nested(value, f"{path}.<name>")

    def _model_description(self, node: Schema) -> str:
        for candidate in [node, *(node.get("anyOf") or [])]:
            model = self.resolve(candidate)
            if model is not None:
                return str(model.get("description", ""))
        return ""

    @staticmethod
    def _default_text(node: Schema, required: bool) -> str:
        if required:
            return ""
        if "default" in node:
            default = node["default"]
            return "none" if default is None else f"`{json.dumps(default)}`"
        if node.get("type") == "array":
            return "`[]`"
        if node.get("type") == "object":
            return "`{}`"
        return "see fields"


def _one_of(choices: list[str]) -> str:
    return choices[0] if len(choices) == 1 else f"{', '.join(choices[:-1])} or {choices[-1]}"


def _plural(text: str) -> str:
    """Return a type name for many values: ``strings``, ``mappings``."""
    singulars = ("string", "mapping", "number", "integer", "boolean")
    parts = [f"{part}s" if part in singulars else part for part in text.split(" or ")]
    return " or ".join(parts)


def field_rows(kind: DocumentKind) -> list[FieldRow]:
    """Return a row per field of a document kind, nested fields after their parent."""
    schema = spec_json_schema(kind)
    return list(_Walker(schema).rows(schema, ""))


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _table(rows: list[FieldRow]) -> str:
    lines = ["| path | type | required | default | description |", "|---|---|---|---|---|"]
    for row in rows:
        cells = [
            f"`{row.path}`",
            row.type,
            "yes" if row.required else "no",
            row.default,
            row.description,
        ]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines)


def render_reference() -> str:
    """Return the Markdown reference of every field of DataProduct and MeshPolicy."""
    sections = [_INTRO]
    for kind, where in _DOCUMENTS:
        model = MODELS[kind]
        title = get_args(model.model_fields["kind"].annotation)[0]
        doc = " ".join((model.__doc__ or "").split())
        table = _table(field_rows(kind))
        sections.append(f"## `kind: {title}`\n\n{doc} Where: {where}.\n\n{table}\n")
    return "\n".join(sections)
