"""Load a specs folder into a validated Mesh, reporting every problem of every file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from mesh_dagster.spec.errors import SpecError, SpecProblem, did_you_mean
from mesh_dagster.spec.graph import find_cycle
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import API_VERSION, DataProduct
from mesh_dagster.spec.policy import policy_violations, product_policy_violations
from mesh_dagster.spec.policy_models import MeshPolicy
from mesh_dagster.spec.rules import RuleViolation, product_rule_violations
from mesh_dagster.spec.validation_errors import validation_problems
from mesh_dagster.spec.yaml_source import SourceMap, parse_yaml

_KINDS: dict[str, type[BaseModel]] = {"DataProduct": DataProduct, "MeshPolicy": MeshPolicy}


@dataclass
class _Loaded:
    model: BaseModel
    source: SourceMap
    path: Path


def spec_files(root: Path) -> list[Path]:
    """Return every YAML file under ``root`` (or ``root`` itself), sorted."""
    if root.is_file():
        return [root]
    found = [
        Path(folder) / name
        for folder, _, names in os.walk(root)
        for name in names
        if name.endswith((".yaml", ".yml")) and not name.startswith(".")
    ]
    return sorted(found)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _parse_file(path: Path, problems: list[SpecProblem]) -> _Loaded | None:
    file = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(SpecProblem(file, 1, 1, "", f"cannot read file: {error}."))
        return None
    document = parse_yaml(text, file)
    problems.extend(document.problems)
    data, source = document.data, document.source
    if data is None:
        return None
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        problems.append(
            source.problem(
                (), f"expected a mapping with apiVersion, kind, metadata, spec; got {kind}."
            )
        )
        return None
    model = _model_for(data, source, problems)
    if model is None:
        return None
    try:
        return _Loaded(model.model_validate(data), source, path)
    except ValidationError as error:
        problems.extend(validation_problems(error, data, model, source))
        return None


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


def _cross_spec_problems(products: dict[str, _Loaded], policy: MeshPolicy) -> list[SpecProblem]:
    problems: list[SpecProblem] = []
    names = sorted(products)
    for name in names:
        loaded = products[name]
        assert isinstance(loaded.model, DataProduct)
        for index, item in enumerate(loaded.model.spec.inputs):
            if item.product is not None and item.product not in products:
                problems.append(
                    loaded.source.problem(
                        ("spec", "inputs", index, "product"),
                        f"unknown product '{item.product}'.",
                        did_you_mean(item.product, names),
                    )
                )
    models = {name: loaded.model for name, loaded in products.items()}
    cycle = find_cycle(models)  # type: ignore[arg-type]
    if cycle:
        loaded = products[cycle[0]]
        problems.append(
            loaded.source.problem(("spec", "inputs"), f"inputs form a cycle: {' -> '.join(cycle)}.")
        )
    return problems


def load_mesh(path: str | os.PathLike[str]) -> Mesh:
    """Return the validated mesh under ``path``; raise SpecError listing every problem."""
    root = Path(path)
    problems: list[SpecProblem] = []
    if not root.exists():
        raise SpecError([SpecProblem(str(path), 1, 1, "", "no such file or folder.")])
    loaded = [item for file in spec_files(root) if (item := _parse_file(file, problems))]
    policies = [item for item in loaded if isinstance(item.model, MeshPolicy)]
    for extra in policies[1:]:
        problems.append(
            extra.source.problem(
                ("kind",), f"a second MeshPolicy; the first is {policies[0].source.file}."
            )
        )
    policy = (
        policies[0].model
        if policies
        else MeshPolicy.model_validate({"apiVersion": API_VERSION, "kind": "MeshPolicy"})
    )
    assert isinstance(policy, MeshPolicy)
    if policies:
        problems.extend(_locate(policies[0], list(policy_violations(policy))))
    products: dict[str, _Loaded] = {}
    for item in loaded:
        if not isinstance(item.model, DataProduct):
            continue
        product = item.model
        if product.name in products:
            first = products[product.name].source
            line = first.locate(("metadata", "name"))[0]
            problems.append(
                item.source.problem(
                    ("metadata", "name"),
                    f"product name '{product.name}' is already used by {first.file}:{line}.",
                )
            )
            continue
        products[product.name] = item
        timezone = (
            product.spec.schedule and product.spec.schedule.timezone
        ) or policy.defaults.timezone
        sla_timezone = (product.spec.sla and product.spec.sla.timezone) or timezone
        problems.extend(_locate(item, product_rule_violations(product, timezone, sla_timezone)))
        problems.extend(_locate(item, list(product_policy_violations(policy, product))))
    problems.extend(_cross_spec_problems(products, policy))
    if problems:
        raise SpecError(problems)
    return Mesh(
        root=root,
        products={name: item.model for name, item in sorted(products.items())},  # type: ignore[misc]
        policy=policy,
        files={name: item.path for name, item in sorted(products.items())},
        sources={name: item.source for name, item in products.items()},
    )
