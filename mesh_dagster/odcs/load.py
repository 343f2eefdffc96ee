"""ODCS files among the specs: each contract's products as `dataproduct/v1` documents."""

from __future__ import annotations

from typing import Any

from mesh_dagster.odcs.import_context import ImportDefaults, kebab
from mesh_dagster.odcs.import_contract import ContractImport, import_contract
from mesh_dagster.odcs.located import OdcsSourceMap
from mesh_dagster.odcs.schema_check import READ_VERSIONS, reading_schema, schema_problems
from mesh_dagster.spec.errors import SpecProblem
from mesh_dagster.spec.yaml_source import SourceMap


def is_odcs(data: Any) -> bool:
    """Return whether a document is an ODCS contract (`kind: DataContract`)."""
    return isinstance(data, dict) and data.get("kind") == "DataContract"


def read_contract(
    data: dict[str, Any], source: SourceMap, defaults: ImportDefaults | None = None
) -> ContractImport:
    """Return what a contract gives, after checking it against the ODCS JSON Schema."""
    version = data.get("apiVersion")
    if version not in READ_VERSIONS:
        shown = ", ".join(READ_VERSIONS)
        got = "nothing" if version is None else repr(version)
        problem = source.problem(
            ("apiVersion",), f"expected an ODCS v3 version ({shown}), got {got}."
        )
        return ContractImport(problems=[problem])
    problems = schema_problems(data, source, reading_schema())
    if problems:
        return ContractImport(problems=problems)
    return import_contract(data, source, defaults)


def declared_names(data: dict[str, Any]) -> list[str]:
    """Return the names of the products a contract declares, even if it cannot be read."""
    objects = data.get("schema")
    found = [item.get("name") for item in objects if isinstance(item, dict)] if isinstance(
        objects, list
    ) else []  # fmt: skip
    return [kebab(name) for name in found if isinstance(name, str)]


def odcs_documents(
    data: dict[str, Any], source: SourceMap
) -> tuple[list[tuple[dict[str, Any], SourceMap]], list[SpecProblem]]:
    """Return a contract's products as spec documents located in the contract, and problems.

    A document's problems (from validation, rules and policy) are shown at the line of
    the ODCS field it was read from, named by that field's ODCS path.
    """
    found = read_contract(data, source)
    documents: list[tuple[dict[str, Any], SourceMap]] = []
    for product in found.products:
        located = OdcsSourceMap(
            source.file, source.positions, origins=product.origins, root=product.root
        )
        documents.append((product.data, located))
    return documents, found.problems
