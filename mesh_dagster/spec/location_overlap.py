"""Every product owns its table's folder: no two share a location, none lies inside another."""

from __future__ import annotations

from dataclasses import dataclass

from mesh_dagster.spec.errors import FieldPath, SpecProblem
from mesh_dagster.spec.locations import Location, LocationError, parse_location
from mesh_dagster.spec.models import DataProduct
from mesh_dagster.spec.yaml_source import SourceMap

_FIELD: FieldPath = ("spec", "output", "location")
_HINT = "Give each product a folder of its own."


@dataclass(frozen=True)
class _Placed:
    """A product's output location, and where its spec declares it."""

    name: str
    location: Location
    written: str
    source: SourceMap

    @property
    def where(self) -> str:
        return f"{self.source.file}:{self.source.locate(_FIELD)[0]}"

    def key(self) -> tuple[bool, tuple[str, ...]]:
        """Return the sort key that puts a folder right before the folders inside it.

        Locations that share the local warehouse (``s3://`` and relative paths) compare
        with each other: in local mode ``s3://lake/t`` and ``lake/t`` are the same folder.
        """
        return (not self.location.shares_warehouse, self.location.parts)


def _placed(name: str, product: DataProduct, source: SourceMap) -> _Placed | None:
    written = product.spec.output.location
    try:
        location = parse_location(written)
    except LocationError:
        return None  # already reported by the model's validation
    return _Placed(name, location, written, source)


def _inside(outer: _Placed, inner: _Placed) -> bool:
    if outer.location.shares_warehouse != inner.location.shares_warehouse:
        return False
    return inner.location.parts[: len(outer.location.parts)] == outer.location.parts


def _problems(first: _Placed, second: _Placed) -> list[SpecProblem]:
    """Return one problem for each of two products whose locations meet."""
    across = first.location.kind != second.location.kind
    mode = " in local mode" if across else ""
    if first.location.parts == second.location.parts:
        return [
            mine.source.problem(
                _FIELD,
                f"product '{other.name}' ({other.where}) also uses this location{mode} "
                f"('{other.written}'); no two products may share a location.",
                _HINT,
            )
            for mine, other in ((first, second), (second, first))
        ]
    nested = "a product's table may not lie inside another product's table"
    return [
        first.source.problem(
            _FIELD,
            f"this location contains{mode} '{second.written}', the location of product "
            f"'{second.name}' ({second.where}); {nested}.",
            _HINT,
        ),
        second.source.problem(
            _FIELD,
            f"this location lies inside{mode} '{first.written}', the location of product "
            f"'{first.name}' ({first.where}); {nested}.",
            _HINT,
        ),
    ]


def location_overlap_problems(
    products: dict[str, tuple[DataProduct, SourceMap]],
) -> list[SpecProblem]:
    """Return a problem at each product whose output location meets another's.

    Sorting puts a folder right before everything inside it, so one pass with a stack of
    enclosing folders finds every pair without comparing all pairs.
    """
    placed = [
        item
        for name, (product, source) in sorted(products.items())
        if (item := _placed(name, product, source)) is not None
    ]
    problems: list[SpecProblem] = []
    enclosing: list[_Placed] = []
    for item in sorted(placed, key=_Placed.key):
        while enclosing and not _inside(enclosing[-1], item):
            enclosing.pop()
        for outer in enclosing:
            problems.extend(_problems(outer, item))
        enclosing.append(item)
    return problems
