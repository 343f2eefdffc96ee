"""One ODCS v3 contract -> `dataproduct/v1` documents (one per schema object), with a report.

The result is plain data as a spec file would hold it, plus, for every field, the ODCS
path it came from, so that validating it reports problems at the contract's own lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mesh_dagster.odcs import names
from mesh_dagster.odcs.export import granularity_text
from mesh_dagster.odcs.import_columns import read_columns, read_partitioning, read_table
from mesh_dagster.odcs.import_context import ImportContext, ImportDefaults, Origins, kebab
from mesh_dagster.odcs.import_owners import read_output, read_team
from mesh_dagster.odcs.import_quality import QualityImport, import_quality
from mesh_dagster.odcs.import_sla import import_sla
from mesh_dagster.odcs.report import Unmapped, Usage, unmapped_fields
from mesh_dagster.spec import values
from mesh_dagster.spec.errors import FieldPath, SpecProblem, did_you_mean
from mesh_dagster.spec.models import API_VERSION
from mesh_dagster.spec.yaml_source import SourceMap

_KEBAB = re.compile(values.KEBAB_NAME)
_MESH_PROPERTIES = {
    names.SCHEDULE: ("spec", "schedule"),
    names.TRANSFORM: ("spec", "transform"),
    names.INPUTS: ("spec", "inputs"),
    names.CONSUMERS: ("spec", "consumers"),
    names.ALERT_CHANNELS: ("spec", "alerts", "channels"),
    names.LIMITS: ("spec", "limits"),
    names.PARTITIONING: ("spec", "partitioning"),
    names.SLA_WITHIN: ("spec", "sla", "within"),
    names.SLA_TIMEZONE: ("spec", "sla", "timezone"),
    names.ALLOW_EMPTY: ("spec", "quality", "allow_empty"),
}


@dataclass
class ImportedProduct:
    """One product read from a contract: its spec data and, per field, its ODCS origin."""

    data: dict[str, Any]
    origins: Origins
    root: FieldPath

    @property
    def name(self) -> str:
        """Return the product's name."""
        return str(self.data["metadata"]["name"])


@dataclass
class ContractImport:
    """Everything one contract gave: products, fields without mapping, and problems."""

    products: list[ImportedProduct] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    problems: list[SpecProblem] = field(default_factory=list)


def _mesh_properties(
    items: Any, path: FieldPath, context: ImportContext
) -> dict[str, tuple[Any, FieldPath]]:
    """Return the `mesh.` custom properties at ``path`` by name, with the path of each value."""
    found: dict[str, tuple[Any, FieldPath]] = {}
    if not isinstance(items, list):
        return found
    for index, item in enumerate(items):
        where = (*path, index)
        name = item.get("property") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name.startswith(names.PREFIX):
            continue
        context.usage.use(where)
        if name in _MESH_PROPERTIES:
            found[name] = (item.get("value"), (*where, "value"))
        else:
            hint = did_you_mean(name, _MESH_PROPERTIES)
            context.problem((*where, "property"), f"unknown mesh property '{name}'.", hint)
    return found


def _checks(spec: dict[str, Any], quality: QualityImport, context: ImportContext,
            origins: Origins) -> None:  # fmt: skip
    checks = list(quality.checks)
    grain = spec.get("grain")
    for columns, where in quality.unique_sets:
        if grain is None and len(where) == 4:
            # a table's duplicateValues rule, and no primary key: it states the grain
            spec["grain"] = grain = columns
            origins[("spec", "grain")] = where
        elif columns == grain:
            continue
        elif len(columns) == 1:
            column = columns[0]
            checks.append(
                (
                    {
                        "name": f"{column}_unique",
                        "sql": f"count({column}) = count(distinct {column})",
                    },
                    where,
                )
            )
        else:
            context.usage.leave(where, "mesh checks the uniqueness of the grain (primaryKey) only")
    if quality.completeness:
        thresholds = {value for value, _ in quality.completeness}
        threshold = min(thresholds)
        spec.setdefault("quality", {})["completeness_threshold"] = threshold
        origins[("spec", "quality", "completeness_threshold")] = quality.completeness[0][1]
    if checks:
        spec.setdefault("quality", {})["custom_checks"] = [check for check, _ in checks]
        for index, (_, where) in enumerate(checks):
            origins[("spec", "quality", "custom_checks", index)] = where


def _sla(spec: dict[str, Any], mesh: dict[str, tuple[Any, FieldPath]], context: ImportContext,
         origins: Origins) -> None:  # fmt: skip
    sla: dict[str, Any] = {}
    found = context.sla
    within = mesh.get(names.SLA_WITHIN)
    if found.available_by is not None:
        sla["available_by"] = found.available_by[0]
        origins[("spec", "sla", "available_by")] = found.available_by[1]
    if within is not None:
        sla["within"] = within[0]
        origins[("spec", "sla", "within")] = within[1]
    timezone = mesh.get(names.SLA_TIMEZONE) or found.timezone
    if timezone is not None:
        sla["timezone"] = timezone[0]
        origins[("spec", "sla", "timezone")] = timezone[1]
    if found.target is not None:
        sla["availability_target"] = found.target[0]
        origins[("spec", "sla", "availability_target")] = found.target[1]
    if found.freshness_hours is not None:
        spec.setdefault("quality", {})["freshness_sla_hours"] = found.freshness_hours[0]
        origins[("spec", "quality", "freshness_sla_hours")] = found.freshness_hours[1]
    if sla and "partitioning" not in spec and ("available_by" in sla or "within" in sla):
        reason = "mesh judges a deadline per period, and this product is not partitioned"
        for given in (found.available_by, found.target, within):
            if given is not None:
                where = given[1][:-1] if given[1][-1] == "value" else given[1]
                context.usage.leave(where, reason)
        return
    if sla and "available_by" not in sla and "within" not in sla:
        if found.target is not None:
            context.usage.leave(
                found.target[1][:-1],
                "mesh judges availability against a deadline (timeOfAvailability); none is given",
            )
        return
    if sla:
        spec["sla"] = sla
        origins[("spec", "sla")] = ("slaProperties",)


def _product(
    index: int, item: dict[str, Any], context: ImportContext, several: bool
) -> ImportedProduct | None:
    path: FieldPath = ("schema", index)
    data, usage, defaults = context.data, context.usage, context.defaults
    problems_before = len(context.problems)
    raw = item.get("name")
    name = kebab(raw) if isinstance(raw, str) else ""
    if not _KEBAB.match(name):
        context.problem((*path, "name"), "a schema object needs a name to name the product after.")
        return None
    if isinstance(raw, str) and raw.replace("_", "-") != name:
        usage.leave((*path, "name"), f"the product is named '{name}' in mesh (kebab-case)")
    usage.use((*path, "name"))
    origins: Origins = {("metadata", "name"): (*path, "name")}
    domain = kebab(data["domain"]) if isinstance(data.get("domain"), str) else defaults.domain
    if isinstance(data.get("domain"), str):
        origins[("metadata", "domain")] = ("domain",)
        usage.use(("domain",))
    owner, steward = read_team(context, origins)
    metadata: dict[str, Any] = {"name": name, "domain": domain, "owner": owner, "steward": steward}
    for key, hint in (
        ("domain", "Add 'domain:' to the contract, or give --domain."),
        ("owner", "Add 'team: {name: ...}' to the contract, or give --owner."),
        ("steward", "Add a team member (role 'steward') named by e-mail, or give --steward."),
    ):  # fmt: skip
        if metadata[key] is None:
            context.problem(path, f"the product's {key} is not in the contract.", hint)
    version = data.get("version")
    if (
        isinstance(version, str)
        and version != names.NO_VERSION
        and re.match(values.SEMVER, version)
    ):
        metadata["version"] = version
        origins[("metadata", "version")] = ("version",)
    if isinstance(version, str) and (
        version == names.NO_VERSION or re.match(values.SEMVER, version)
    ):
        usage.use(("version",))
    tags = data.get("tags")
    if isinstance(tags, list) and tags:
        metadata["tags"] = {str(tag).partition(":")[0]: str(tag).partition(":")[2] for tag in tags}
        origins[("metadata", "tags")] = ("tags",)
        usage.use(("tags",))
    description = item.get("description")
    purpose = (
        data.get("description", {}).get("purpose")
        if isinstance(data.get("description"), dict)
        else None
    )
    if isinstance(description, str):
        usage.use((*path, "description"))
        origins[("spec", "description")] = (*path, "description")
        if purpose == description:
            usage.use(("description", "purpose"))
    elif isinstance(purpose, str):
        description = purpose
        usage.use(("description", "purpose"))
        origins[("spec", "description")] = ("description", "purpose")
    else:
        description = f"Imported from the ODCS contract '{data.get('id')}' ({raw})."
    mesh = _mesh_properties(data.get("customProperties"), ("customProperties",), context)
    mesh |= _mesh_properties(item.get("customProperties"), (*path, "customProperties"), context)
    spec: dict[str, Any] = {"description": description}
    table = (
        item.get("physicalName")
        if isinstance(item.get("physicalName"), str)
        else name.replace("-", "_")
    )
    output, output_origins = read_output(context, domain, str(table), several)
    origins |= output_origins
    if "catalog" in output or table == name.replace("-", "_") or "location" in output:
        usage.use((*path, "physicalName"))  # it names the table, or the output folder
    if item.get("physicalType") in ("table", None):
        usage.use((*path, "physicalType"))
    quality = QualityImport()
    read_columns(item, path, context, spec, origins, quality, str(raw))
    import_quality(
        item.get("quality"), (*path, "quality"), read_table(str(raw), item), None, usage, quality
    )
    grain = spec.get("grain")
    if grain and item.get("dataGranularityDescription") == granularity_text(grain):
        usage.use((*path, "dataGranularityDescription"))
    read_partitioning(spec, mesh, context, origins)
    _checks(spec, quality, context, origins)
    _sla(spec, mesh, context, origins)
    for prop, target in _MESH_PROPERTIES.items():
        if prop in mesh and target[1] in (
            "schedule",
            "transform",
            "inputs",
            "consumers",
            "limits",
            "alerts",
        ):
            value, where = mesh[prop]
            holder = spec
            for key in target[1:-1]:
                holder = holder.setdefault(key, {})
            holder[target[-1]] = value
            origins[target] = where
    if names.ALLOW_EMPTY in mesh:
        spec.setdefault("quality", {})["allow_empty"] = mesh[names.ALLOW_EMPTY][0]
        origins[("spec", "quality", "allow_empty")] = mesh[names.ALLOW_EMPTY][1]
    spec["output"] = output
    ordered = {key: spec[key] for key in _SPEC_ORDER if key in spec}
    document = {
        "apiVersion": API_VERSION,
        "kind": "DataProduct",
        "metadata": metadata,
        "spec": ordered,
    }
    origins[("metadata",)] = path
    if len(context.problems) > problems_before:
        return None  # what was read would only repeat these problems
    return ImportedProduct(document, origins, path)


_SPEC_ORDER = (
    "description", "schedule", "sla", "partitioning", "grain", "inputs", "transform",
    "output", "schema", "quality", "consumers", "alerts", "limits",
)  # fmt: skip


def import_contract(
    data: dict[str, Any], source: SourceMap, defaults: ImportDefaults | None = None
) -> ContractImport:
    """Return the products of a contract (already checked against the ODCS schema)."""
    usage = Usage()
    usage.use(("apiVersion",), ("kind",), ("id",), ("name",), ("dataProduct",))
    if data.get("status") in ("active", None):
        usage.use(("status",))
    else:
        usage.leave(("status",), "mesh builds every product it loads, whatever its status")
    result = ContractImport()
    context = ImportContext(data, source, defaults or ImportDefaults(), usage, result.problems,
                       import_sla(data.get("slaProperties"), usage))  # fmt: skip
    for path, message in context.sla.problems:
        context.problem(path, message)
    objects: list[Any] = data["schema"] if isinstance(data.get("schema"), list) else []
    several = len(objects) > 1
    for index, item in enumerate(objects):
        if isinstance(item, dict):
            product = _product(index, item, context, several)
            if product is not None:
                result.products.append(product)
    period = context.sla.period
    if period is not None and period[1] not in usage.used:
        usage.leave(
            period[1], "mesh builds on the schedule's cron (customProperties mesh.schedule)"
        )
    if not objects:
        usage.leave(("schema",), "the contract has no schema object, so no product")
        for key in data:
            if not usage.covers((str(key),)):
                usage.leave((str(key),), "the contract has no schema object to apply it to")
    result.unmapped = unmapped_fields(data, usage)
    return result
