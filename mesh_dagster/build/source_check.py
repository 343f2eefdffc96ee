"""`mesh validate --resolve`: every source exists, and the transforms bind to its schema.

A source declares no schema, so loading the specs cannot bind a transform that reads one;
here each source's schema is read from its files' metadata (no rows), and the transform
is bound to it in the same sandbox that runs it.
"""

from __future__ import annotations

import pyarrow as pa

from mesh_dagster.build.context import view_name
from mesh_dagster.build.sources import SourceError, check_partition_column, source_schema
from mesh_dagster.io.errors import ServiceError
from mesh_dagster.io.locations import StorageSettings
from mesh_dagster.spec.errors import FieldPath, SpecProblem
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.sql_binding import binding_violations
from mesh_dagster.spec.yaml_source import SourceMap


def _source_schemas(
    product: DataProduct, storage: StorageSettings, located: SourceMap
) -> tuple[dict[str, pa.Schema], list[SpecProblem]]:
    """Return the schema of each source of ``product`` by view name, and its problems."""
    schemas: dict[str, pa.Schema] = {}
    problems: list[SpecProblem] = []
    for index, item in enumerate(product.spec.inputs):
        if item.source is None:
            continue
        where = f"spec.inputs[{index}].source"
        path: FieldPath = ("spec", "inputs", index, "source")
        try:
            schema = source_schema(item.source, storage, where)
            check_partition_column(item.source, schema, where)
        except SourceError as error:
            problems.append(located.problem((*path, error.field), error.message, error.hint))
            continue
        except ServiceError as error:
            problems.append(located.problem((*path, "location"), str(error)))
            continue
        schemas[view_name(item.source.name)] = schema
    return schemas, problems


def resolve_source_problems(mesh: Mesh, storage: StorageSettings) -> list[SpecProblem]:
    """Return the located problems of the mesh's sources and of the transforms reading them."""
    problems: list[SpecProblem] = []
    schemas: dict[str, dict[str, pa.Schema]] = {}
    for name, product in sorted(mesh.products.items()):
        if not any(item.source is not None for item in product.spec.inputs):
            continue
        found, own = _source_schemas(product, storage, mesh.sources[name])
        problems += own
        if not own and product.spec.transform is not None and product.spec.transform.sql:
            schemas[name] = found
    if schemas:
        violations = binding_violations(mesh.products, sorted(schemas), schemas)
        problems += [
            mesh.sources[name].problem(violation.path, violation.message, violation.hint)
            for name, found in sorted(violations.items())
            for violation in found
        ]
    return problems
