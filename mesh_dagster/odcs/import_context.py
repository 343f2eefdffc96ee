"""What every part of one contract's import shares: defaults, usage, problems, names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mesh_dagster.odcs.import_sla import SlaImport
from mesh_dagster.odcs.report import Usage
from mesh_dagster.spec.errors import FieldPath, SpecProblem
from mesh_dagster.spec.yaml_source import SourceMap

Origins = dict[FieldPath, FieldPath]
"""For each `dataproduct/v1` field path, the ODCS path it was read from."""


@dataclass(frozen=True)
class ImportDefaults:
    """What a contract may lack, given on the command line (`mesh import odcs --domain ...`)."""

    domain: str | None = None
    owner: str | None = None
    steward: str | None = None
    location_prefix: str | None = None
    """Products without an S3 server publish to ``<prefix>/<domain>/<table>/``."""


@dataclass
class ImportContext:
    """What every schema object of the contract shares."""

    data: dict[str, Any]
    source: SourceMap
    defaults: ImportDefaults
    usage: Usage
    problems: list[SpecProblem]
    sla: SlaImport

    def problem(self, path: FieldPath, message: str, hint: str | None = None) -> None:
        self.problems.append(self.source.problem(path, message, hint))


def kebab(name: str) -> str:
    """Return a name as mesh writes names: lowercase words joined by `-`."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
