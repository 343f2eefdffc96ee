"""Load a specs folder into a validated Mesh, reporting every problem of every file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from mesh_dagster.spec.cache import (
    ParsedFile,
    SpecCache,
    cached_binding_problems,
    file_key,
    open_spec_cache,
    remembered_violations,
)
from mesh_dagster.spec.errors import SpecError, SpecProblem, did_you_mean
from mesh_dagster.spec.graph import find_cycle
from mesh_dagster.spec.location_overlap import location_overlap_problems
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import API_VERSION, DataProduct
from mesh_dagster.spec.policy import policy_violations, product_policy_violations
from mesh_dagster.spec.policy_models import MeshPolicy
from mesh_dagster.spec.printable import printable
from mesh_dagster.spec.rules import RuleViolation, product_rule_violations
from mesh_dagster.spec.spec_file import UnreadableSpecFile, read_spec_text
from mesh_dagster.spec.validation_errors import validation_problems
from mesh_dagster.spec.yaml_source import SourceMap, parse_yaml

_KINDS: dict[str, type[BaseModel]] = {"DataProduct": DataProduct, "MeshPolicy": MeshPolicy}


@dataclass
class _Loaded:
    model: BaseModel
    source: SourceMap
    path: Path
    key: str = ""
    """The file's key in the spec cache ("" without a cache)."""


@dataclass
class _Files:
    """What the files of a folder gave: valid documents, and names of invalid products."""

    loaded: list[_Loaded]
    declared_products: set[str]
    declared_policy: bool


def spec_files(root: Path) -> list[Path]:
    """Return every spec under ``root`` (or ``root`` itself), sorted.

    A spec is anything named ``*.yaml`` or ``*.yml`` (not hidden): a folder, pipe or
    broken link of that name is returned too, so that reading it reports what it is.
    Linked folders are not followed (a link loop would never end).
    """
    if not root.is_dir():
        return [root]
    found: list[Path] = []
    for folder, folders, names in os.walk(root):
        specs = [name for name in folders if _is_spec_name(name)]
        folders[:] = [name for name in folders if name not in specs]
        specs.extend(name for name in names if _is_spec_name(name))
        found.extend(Path(folder) / name for name in specs)
    return sorted(found)


def _is_spec_name(name: str) -> bool:
    return name.endswith((".yaml", ".yml")) and not name.startswith(".")


def display_path(path: Path) -> str:
    """Return how problems name a file: relative to the working directory when inside it.

    The folder is resolved, not the file itself: a link is named as the user named it
    (a broken link by its own name, not by its missing target's). Characters that are
    not printable (a terminal escape sequence, a newline) are shown escaped, so a file
    name cannot rewrite the user's terminal or fake a message.
    """
    try:
        shown = str((path.parent.resolve() / path.name).relative_to(Path.cwd()))
    except (ValueError, OSError, RuntimeError):
        shown = str(path)
    return printable(shown)


def _read_file(
    path: Path, problems: list[SpecProblem], files: _Files, cache: SpecCache | None
) -> None:
    """Parse one file, or take what it gave from the cache when its text is unchanged."""
    file = display_path(path)
    try:
        text = read_spec_text(path)
    except UnreadableSpecFile as error:
        problems.append(SpecProblem(file, error.line, error.column, "", error.message, error.hint))
        return
    key = file_key(cache, file, text)
    parsed = cache.get(key, ParsedFile) if cache is not None else None
    if parsed is None:
        own, found = _Files([], set(), False), list[SpecProblem]()
        _parse_file(text, file, path, found, own)
        documents = [(item.model, item.source) for item in own.loaded]
        declared = frozenset(own.declared_products)
        parsed = ParsedFile(found, documents, declared, own.declared_policy)
        if cache is not None:
            cache.put(key, parsed)
    problems.extend(parsed.problems)
    files.loaded.extend(_Loaded(model, source, path, key) for model, source in parsed.documents)
    files.declared_products.update(parsed.declared_products)
    files.declared_policy = files.declared_policy or parsed.declared_policy


def _parse_file(
    text: str, file: str, path: Path, problems: list[SpecProblem], files: _Files
) -> None:
    document = parse_yaml(text, file)
    problems.extend(document.problems)
    data, source = document.data, document.source
    if data is None:
        return
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        problems.append(
            source.problem(
                (), f"expected a mapping with apiVersion, kind, metadata and spec; got {kind}."
            )
        )
        return
    documents: list[tuple[Any, SourceMap]] = [(data, source)]
    if data.get("kind") == "DataContract" and document.complete:
        # An ODCS contract: its products as dataproduct/v1 documents located in it.
        from mesh_dagster.odcs.load import declared_names, odcs_documents  # only if needed

        documents, found = odcs_documents(data, source)
        problems.extend(found)
        files.declared_products.update(declared_names(data))
    for data, source in documents:
        _note_declaration(data, files)
        if not document.complete:
            return  # a value was dropped for a YAML problem: validating would only add noise
        model = _model_for(data, source, problems)
        if model is None:
            return
        try:
            files.loaded.append(_Loaded(model.model_validate(data), source, path))
        except ValidationError as error:
            problems.extend(validation_problems(error, data, model, source))


def _note_declaration(data: dict[str, Any], files: _Files) -> None:
    """Remember what a file declares, so that a broken file causes no follow-on problems."""
    metadata = data.get("metadata")
    if data.get("kind") == "MeshPolicy":
        files.declared_policy = True
    if data.get("kind") == "DataProduct" and isinstance(metadata, dict):
        name = metadata.get("name")
        if isinstance(name, str):
            files.declared_products.add(name)


def _model_for(
    data: dict[str, Any], source: SourceMap, problems: list[SpecProblem]
) -> type[BaseModel] | None:
    version = data.get("apiVersion")
    if version != API_VERSION:
        got = "nothing" if version is None else repr(version)
        path = ("apiVersion",)
        problems.append(source.problem(path, f"expected '{API_VERSION}', got {got}."))
        return None
    kind = data.get("kind")
    model = _KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        hint = did_you_mean(str(kind), _KINDS) if kind is not None else None
        got = "nothing" if kind is None else repr(kind)
        problems.append(
            source.problem(("kind",), f"expected 'DataProduct' or 'MeshPolicy', got {got}.", hint)
        )
    return model


def _locate(loaded: _Loaded, violations: list[RuleViolation]) -> list[SpecProblem]:
    return [loaded.source.problem(v.path, v.message, v.hint) for v in violations]


def _cross_spec_problems(
    products: dict[str, tuple[DataProduct, SourceMap]], invalid: set[str]
) -> list[SpecProblem]:
    problems: list[SpecProblem] = []
    names = sorted(products)
    known = names + sorted(invalid)
    for name in names:
        product, source = products[name]
        for index, item in enumerate(product.spec.inputs):
            upstream = item.product
            if upstream is None or upstream in products or upstream in invalid:
                continue
            problems.append(
                source.problem(
                    ("spec", "inputs", index, "product"),
                    f"unknown product '{upstream}'; an input must name a product of the mesh.",
                    did_you_mean(upstream, known),
                )
            )
    cycle = find_cycle({name: product for name, (product, _) in products.items()})
    if cycle:
        product, source = products[cycle[0]]
        index = next(i for i, item in enumerate(product.spec.inputs) if item.product == cycle[1])
        problems.append(
            source.problem(
                ("spec", "inputs", index, "product"),
                f"inputs form a cycle: {' -> '.join(cycle)}.",
                "A product cannot depend on itself, directly or through other products.",
            )
        )
    problems.extend(location_overlap_problems(products))
    return problems


def _policy_of(files: _Files, problems: list[SpecProblem]) -> tuple[MeshPolicy, bool, str]:
    """Return the mesh's policy, whether products can be judged by it, and its cache key."""
    policies = [item for item in files.loaded if isinstance(item.model, MeshPolicy)]
    for extra in policies[1:]:
        problems.append(
            extra.source.problem(
                ("kind",),
                f"only one MeshPolicy is allowed; the first is {policies[0].source.file}.",
            )
        )
    if not policies:
        default = MeshPolicy.model_validate({"apiVersion": API_VERSION, "kind": "MeshPolicy"})
        # An invalid policy file is reported on its own; judging products by the
        # defaults instead would only add false problems (e.g. unknown channels).
        return default, not files.declared_policy, "default"
    policy = policies[0].model
    assert isinstance(policy, MeshPolicy)
    problems.extend(_locate(policies[0], list(policy_violations(policy))))
    return policy, True, policies[0].key


def _products_of(
    files: _Files,
    policy: tuple[MeshPolicy, bool, str],
    problems: list[SpecProblem],
    cache: SpecCache | None,
) -> dict[str, tuple[DataProduct, _Loaded]]:
    """Return the products by name, adding each product's own problems."""
    products: dict[str, tuple[DataProduct, _Loaded]] = {}
    for item in files.loaded:
        product = item.model
        if not isinstance(product, DataProduct):
            continue
        if product.name in products:
            first = products[product.name][1].source
            line = first.locate(("metadata", "name"))[0]
            problems.append(
                item.source.problem(
                    ("metadata", "name"),
                    f"product name '{product.name}' is already used by {first.file}:{line}.",
                    "Product names must be unique across the mesh.",
                )
            )
            continue
        products[product.name] = (product, item)
        key = cache.key("rules", item.key, *map(str, policy[1:])) if cache and item.key else ""
        judged = remembered_violations(cache, key, partial(_violations, product, policy[:2]))
        problems.extend(_locate(item, judged))
    return products


def _violations(product: DataProduct, policy: tuple[MeshPolicy, bool]) -> list[RuleViolation]:
    """Return the rules the product breaks on its own, then the policy's rules it breaks."""
    rules, judge_policy = policy
    schedule, sla = product.spec.schedule, product.spec.sla
    timezone = (schedule and schedule.timezone) or rules.defaults.timezone
    sla_timezone = (sla and sla.timezone) or timezone
    found = product_rule_violations(product, timezone, sla_timezone)
    if judge_policy:
        found.extend(product_policy_violations(rules, product))
    return found


def load_mesh(path: str | os.PathLike[str], *, bind_sql: bool = True) -> Mesh:
    """Return the validated mesh under ``path``; raise SpecError listing every problem.

    ``bind_sql=False`` skips binding transforms and checks against the declared schemas:
    ``mesh impact`` reads a mesh whose readers an upstream change breaks, to report them.
    """
    root = Path(path)
    if not root.exists():
        raise SpecError([SpecProblem(printable(str(path)), 1, 1, "", "no such file or folder.")])
    problems: list[SpecProblem] = []
    files = _Files([], set(), False)
    cache = open_spec_cache()
    for file in spec_files(root):
        _read_file(file, problems, files, cache)
    judged = _policy_of(files, problems)
    policy = judged[0]
    products = _products_of(files, judged, problems, cache)
    valid = {name: (product, item.source) for name, (product, item) in products.items()}
    problems.extend(_cross_spec_problems(valid, files.declared_products - set(products)))
    keys = {name: item.key for name, (_, item) in products.items()}
    if bind_sql:
        problems.extend(cached_binding_problems(cache, valid, problems, keys))
    if problems:
        raise SpecError(problems)
    ordered = sorted(products.items())
    return Mesh(
        root=root,
        products={name: product for name, (product, _) in ordered},
        policy=policy,
        files={name: item.path for name, (_, item) in ordered},
        sources={name: item.source for name, (_, item) in ordered},
    )
