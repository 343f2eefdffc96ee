"""ODCS files -> imported products checked as mesh would check them, and their spec files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from mesh_dagster.odcs.import_context import ImportDefaults
from mesh_dagster.odcs.load import is_odcs, read_contract
from mesh_dagster.odcs.located import OdcsSourceMap
from mesh_dagster.odcs.render import render_yaml
from mesh_dagster.odcs.report import Unmapped
from mesh_dagster.spec.errors import SpecProblem
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.rules import product_rule_violations
from mesh_dagster.spec.spec_file import UnreadableSpecFile, read_spec_text
from mesh_dagster.spec.validation_errors import validation_problems
from mesh_dagster.spec.yaml_source import parse_yaml


@dataclass(frozen=True)
class LocatedUnmapped:
    """A field with no mapping, with where it is in its file."""

    file: str
    line: int
    column: int
    field: Unmapped

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.field}"


@dataclass
class FileImport:
    """What one ODCS file gave: valid products, the fields left out, and problems."""

    file: str
    products: list[tuple[DataProduct, dict[str, object]]] = field(default_factory=list)
    unmapped: list[LocatedUnmapped] = field(default_factory=list)
    problems: list[SpecProblem] = field(default_factory=list)


def _checked(
    data: dict[str, object], source: OdcsSourceMap, problems: list[SpecProblem]
) -> DataProduct | None:
    """Return the product if it validates as a spec would (without a mesh's policy)."""
    try:
        product = DataProduct.model_validate(data)
    except ValidationError as error:
        problems.extend(validation_problems(error, data, DataProduct, source))
        return None
    timezone = (product.spec.schedule and product.spec.schedule.timezone) or "UTC"
    sla_timezone = (product.spec.sla and product.spec.sla.timezone) or timezone
    violations = product_rule_violations(product, timezone, sla_timezone)
    problems.extend(source.problem(v.path, v.message, v.hint) for v in violations)
    return None if violations else product


def import_file(path: Path, shown: str, defaults: ImportDefaults) -> FileImport:
    """Return the products of the ODCS file at ``path`` (named ``shown`` in messages)."""
    result = FileImport(shown)
    try:
        text = read_spec_text(path)
    except UnreadableSpecFile as error:
        problem = SpecProblem(shown, error.line, error.column, "", error.message, error.hint)
        result.problems.append(problem)
        return result
    document = parse_yaml(text, shown)
    result.problems.extend(document.problems)
    if document.problems:
        return result
    if not is_odcs(document.data):
        message = "expected an ODCS contract ('kind: DataContract', 'apiVersion: v3.x.x')."
        result.problems.append(document.source.problem(("kind",), message))
        return result
    found = read_contract(document.data, document.source, defaults)
    result.problems.extend(found.problems)
    for item in found.unmapped:
        line, column = document.source.locate(item.path)
        result.unmapped.append(LocatedUnmapped(shown, line, column, item))
    result.unmapped.sort(key=lambda item: (item.line, item.column))
    for imported in found.products:
        source = OdcsSourceMap(
            shown, document.source.positions, origins=imported.origins, root=imported.root
        )
        product = _checked(imported.data, source, result.problems)
        if product is not None:
            result.products.append((product, imported.data))
    return result


def spec_text(data: dict[str, object], origin: str) -> str:
    """Return the spec file of an imported product, saying where it came from."""
    header = f"# Imported from the ODCS contract {origin} by `mesh import odcs`.\n"
    return render_yaml(data, header)
