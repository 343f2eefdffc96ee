"""The JSON Schema of each spec document, for editors, generated from the models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.policy_models import MeshPolicy

DocumentKind = Literal["product", "policy"]
MODELS: dict[DocumentKind, type[BaseModel]] = {"product": DataProduct, "policy": MeshPolicy}
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def spec_json_schema(kind: DocumentKind = "product") -> dict[str, Any]:
    """Return the JSON Schema of a DataProduct (``product``) or MeshPolicy (``policy``) file.

    It describes what a spec author writes (e.g. ``"99.9%"`` as well as ``0.999``), with
    YAML keys (``apiVersion``, ``schema``) rather than Python names.
    """
    model = MODELS[kind]
    schema = model.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": DRAFT, **schema}
