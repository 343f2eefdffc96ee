"""ODCS contracts in specs/: loaded as products, with the same checks, errors and Dagster specs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mesh_dagster.compile.specs import build_asset_specs
from mesh_dagster.odcs.export import export_contract
from mesh_dagster.odcs.render import render_yaml
from mesh_dagster.spec import Mesh, SpecError, load_mesh

SPECS = Path(__file__).resolve().parents[2] / "specs"
NATIVE = load_mesh(SPECS)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # problems name files relative to the working folder


def _mixed(tmp_path: Path, *as_odcs: str) -> Path:
    """Return a copy of the example mesh in which ``as_odcs`` are ODCS contracts."""
    root = tmp_path / "specs"
    shutil.copytree(SPECS, root)
    for name in as_odcs:
        native = root / NATIVE.files[name].relative_to(SPECS)
        native.unlink()
        contract = export_contract(NATIVE.product(name))
        (native.parent / f"{native.stem}.odcs.yaml").write_text(render_yaml(contract))
    return root


def _problems(root: Path) -> list[str]:
    with pytest.raises(SpecError) as raised:
        load_mesh(root)
    return [str(problem) for problem in raised.value.problems]


def test_a_mixed_mesh_loads_the_same_products_with_inputs_across_the_forms(
    tmp_path: Path,
) -> None:
    # orders-daily (ODCS) reads order-events (native); revenue-reconciliation (native)
    # reads orders-daily (ODCS) and payments-daily (ODCS).
    mesh = load_mesh(_mixed(tmp_path, "orders-daily", "payments-daily"))
    assert mesh.products == NATIVE.products
    assert mesh.files["orders-daily"].name == "orders_daily.odcs.yaml"


def test_a_mixed_mesh_maps_onto_the_same_dagster_specs(tmp_path: Path) -> None:
    mixed = load_mesh(_mixed(tmp_path, "orders-daily", "revenue-reconciliation"))

    def specs(mesh: Mesh) -> list[tuple[object, ...]]:
        return [
            (s.asset.key, s.asset.deps, s.asset.code_version, s.asset.owners, s.asset.tags,
             s.asset.partitions_def, s.plan, s.checks, s.sla_check)
            for s in build_asset_specs(mesh)
        ]  # fmt: skip

    assert specs(mixed) == specs(NATIVE)


def _edit(root: Path, old: str, new: str) -> None:
    path = root / "orders" / "orders_daily.odcs.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_spec_errors_point_at_the_contracts_lines_and_odcs_paths(tmp_path: Path) -> None:
    root = _mixed(tmp_path, "orders-daily")
    _edit(root, "physicalType: bigint", "physicalType: bigint\n    physcalType: x")
    assert _problems(root) == [
        "specs/orders/orders_daily.odcs.yaml:108:5: schema[0].properties[3].physcalType: "
        "unknown field. Did you mean 'physicalType'?",
    ]
    _edit(root, "    physcalType: x\n", "")
    _edit(root, "cron: 0 6 * * *", "cron: 0 6 * *")
    assert _problems(root) == [
        "specs/orders/orders_daily.odcs.yaml:213:3: customProperties[0].value: invalid cron "
        "expression '0 6 * *'; expected 5 fields (minute hour day-of-month month day-of-week), "
        "got 4. For example '0 6 * * *' runs every day at 06:00.",
    ]


def test_rules_and_policy_are_judged_and_located_in_the_contract(tmp_path: Path) -> None:
    root = _mixed(tmp_path, "orders-daily")
    _edit(root, "  - product: order-events", "  - product: order-event")
    _edit(root, "username: jane.smith@company.com", "username: jane.smith@elsewhere.com")
    _edit(root, "value: 99.9\n", "value: 90\n")
    assert _problems(root) == [
        "specs/orders/orders_daily.odcs.yaml:190:5: team.members[0]: the mesh policy requires a "
        "steward address at @company.com; got 'jane.smith@elsewhere.com'.",
        "specs/orders/orders_daily.odcs.yaml:207:3: slaProperties[3].value: the mesh policy "
        "requires an availability_target of at least 99%; got 90%.",
        "specs/orders/orders_daily.odcs.yaml:217:3: customProperties[1].value: the transform "
        "reads 'order_events', which is not one of its inputs (views: order_event). "
        "Did you mean 'order_event'?",
        "specs/orders/orders_daily.odcs.yaml:228:3: customProperties[2].value: unknown product "
        "'order-event'; an input must name a product of the mesh. Did you mean 'order-events'?",
    ]


def test_a_contract_that_cannot_be_read_causes_no_follow_on_problems(tmp_path: Path) -> None:
    root = _mixed(tmp_path, "orders-daily")
    _edit(root, "status: active", "status: active\nstatuss: x")
    # revenue-reconciliation reads orders-daily: it is not also reported as unknown
    assert _problems(root) == [
        "specs/orders/orders_daily.odcs.yaml:7:1: statuss: unknown field. Did you mean 'status'?"
    ]
