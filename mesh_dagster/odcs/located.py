"""Problems of a product read from an ODCS file, located at the contract's own lines."""

from __future__ import annotations

from dataclasses import dataclass, field

from mesh_dagster.spec.errors import FieldPath, SpecProblem, format_path
from mesh_dagster.spec.yaml_source import SourceMap


@dataclass
class OdcsSourceMap(SourceMap):
    """Where each field of a product that came from an ODCS contract is, in that contract.

    ``origins`` maps a `dataproduct/v1` field path to the ODCS path it was read from; a
    problem at a product path is shown at, and named by, the nearest ODCS path.
    """

    origins: dict[FieldPath, FieldPath] = field(default_factory=dict)
    root: FieldPath = ()
    """The ODCS path of the product as a whole (its schema object)."""

    def odcs_path(self, path: FieldPath) -> FieldPath:
        """Return the ODCS path a product path was read from (its nearest mapped parent)."""
        for end in range(len(path), 0, -1):
            found = self.origins.get(path[:end])
            if found is not None:
                return found
        return self.root

    def locate(self, path: FieldPath) -> tuple[int, int]:
        """Return the line and column, in the ODCS file, of a product path."""
        return super().locate(self.odcs_path(path))

    def problem(self, path: FieldPath, message: str, hint: str | None = None) -> SpecProblem:
        """Return a problem at a product path, shown at and named by its ODCS path."""
        odcs = self.odcs_path(path)
        line, column = super().locate(odcs)
        return SpecProblem(self.file, line, column, format_path(odcs), message, hint)
