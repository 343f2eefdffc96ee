"""`mesh dev` for real: one server for the module, specs added, changed, broken and removed.

The server is started as a non-interactive shell starts a background job (SIGINT
ignored) and must still stop on SIGINT, with every Dagster process it started.
"""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fixtures.mesh_dev import VENV, MeshDev, copy_project, fresh_environment, wait_for
from fixtures.servers import free_ports

from mesh_dagster.spec.loader import load_mesh

pytestmark = [pytest.mark.integration]

# The example's products; the definitions may hold other assets too (the platform's own).
PRODUCTS = {
    "finance/revenue-reconciliation",
    "orders/order-events",
    "orders/orders-daily",
    "payments/payment-events",
    "payments/payments-daily",
    "shipments/shipment-events",
    "shipments/shipments-daily",
}
NEW_SPEC = "specs/orders/orders_by_channel.yaml"


def channel_spec(description: str = "Completed orders per sales channel and day.") -> str:
    """Return a valid spec of a new product in the orders domain."""
    return f"""\
apiVersion: dataproduct/v1
kind: DataProduct
metadata:
  name: orders-by-channel
  domain: orders
  owner: orders-platform-team
  steward: jane.smith@company.com
spec:
  description: {description}
  partitioning: {{by: day, column: order_date, start: "2026-01-01"}}
  inputs:
    - product: order-events
  transform:
    sql: |
      select sales_channel, cast(event_time as date) as order_date, count(*) as orders
      from order_events where status = 'completed' group by all
  output:
    format: delta
    location: s3://data-platform/products/orders/orders_by_channel/
  schema:
    - {{name: sales_channel, type: string, nullable: false}}
    - {{name: order_date, type: date, nullable: false}}
    - {{name: orders, type: bigint, nullable: false}}
  consumers:
    - {{team: marketing, use_case: Channel mix dashboard}}
"""


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MeshDev]:
    """Return `mesh dev` serving a fresh copy of the example project."""
    project = copy_project(tmp_path_factory.mktemp("project"))
    (port,) = free_ports(1)
    server = MeshDev(
        project,
        [str(VENV / "bin" / "mesh"), "dev", "--specs", "specs", "--port", str(port)],
        port,
        project.parent / "mesh-dev.log",
        fresh_environment(),
        ignore_sigint=True,
    )
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop(signal.SIGINT)
        server.kill_leftovers()


def description_of(dev: MeshDev, path: list[str]) -> str:
    query = """query($k: AssetKeyInput!) {
      assetNodeOrError(assetKey: $k) { ... on AssetNode { description } }
    }"""
    return str(dev.graphql(query, {"k": {"path": path}})["assetNodeOrError"]["description"])


def test_serves_the_example_mesh_with_local_instance_settings(dev: MeshDev) -> None:
    assert dev.asset_keys() >= PRODUCTS
    assert "mesh dev: Dagster UI at http://127.0.0.1:" in dev.output()
    assert "with 7 products in 4 domains; watching specs/ (Ctrl-C to stop)." in dev.output()
    # No DAGSTER_HOME was set: .dagster_home, with the consolidated event log the
    # alert sensor reads across runs.
    settings = yaml.safe_load((dev.project / ".dagster_home" / "dagster.yaml").read_text())
    assert settings["event_log_storage"]["class"] == "ConsolidatedSqliteEventLogStorage"
    assert "Sensor mesh_alerts skipped" in dev.wait_for_output("Sensor mesh_alerts", timeout=90)


def test_an_added_spec_appears_without_a_restart(dev: MeshDev) -> None:
    pid, since, before = dev.process.pid, dev.mark(), dev.asset_keys()
    (dev.project / NEW_SPEC).write_text(channel_spec())
    wait_for(lambda: "orders/orders-by-channel" in dev.asset_keys(), 60, "the new asset")
    assert dev.asset_keys() == {*before, "orders/orders-by-channel"}
    assert (
        f"mesh dev: {NEW_SPEC} added: reloaded 8 products in 4 domains "
        "(added orders-by-channel).\n" in dev.wait_for_output("reloaded", since)
    )
    assert dev.process.pid == pid and dev.process.poll() is None


def test_a_changed_spec_is_reloaded(dev: MeshDev) -> None:
    since = dev.mark()
    (dev.project / NEW_SPEC).write_text(channel_spec("Orders per channel, for marketing."))
    wait_for(
        lambda: description_of(dev, ["orders", "orders-by-channel"]).startswith("Orders per"),
        60,
        "the new description",
    )
    assert (
        f"mesh dev: {NEW_SPEC} changed: reloaded 8 products in 4 domains "
        "(changed orders-by-channel).\n" in dev.wait_for_output("reloaded", since)
    )


def test_an_invalid_spec_is_reported_and_the_last_valid_definitions_keep_running(
    dev: MeshDev,
) -> None:
    since = dev.mark()
    broken = channel_spec().replace("  inputs:", "  inptus:")
    (dev.project / NEW_SPEC).write_text(broken)
    output = dev.wait_for_output("spec problem", since)
    assert (
        f"mesh dev: {NEW_SPEC} changed: the specs are invalid; the UI keeps the last valid "
        "definitions.\n"
        "1 spec problem:\n"
        f"{NEW_SPEC}:11:3: spec.inptus: unknown field. Did you mean 'inputs'?\n"
    ) in output
    assert "reloaded" not in output
    assert {*PRODUCTS, "orders/orders-by-channel"} <= dev.asset_keys()
    assert description_of(dev, ["orders", "orders-by-channel"]).startswith("Orders per")
    # What a run or a schedule tick would load now: the last valid specs, not the broken file.
    served = load_mesh(dev.project / ".dagster_home" / "mesh_dev" / "specs")
    assert "orders-by-channel" in served.products


def test_a_removed_spec_disappears(dev: MeshDev) -> None:
    since = dev.mark()
    (dev.project / NEW_SPEC).unlink()
    wait_for(lambda: "orders/orders-by-channel" not in dev.asset_keys(), 60, "the asset to go")
    assert dev.asset_keys() >= PRODUCTS
    assert (
        f"mesh dev: {NEW_SPEC} removed: reloaded 7 products in 4 domains "
        "(removed orders-by-channel).\n" in dev.wait_for_output("reloaded", since)
    )


def test_sigint_stops_dagster_and_every_child_even_when_inherited_ignored(dev: MeshDev) -> None:
    assert dev.stop(signal.SIGINT) == 0
    assert dev.leftovers() == []
    assert dev.output().rstrip().endswith("mesh dev: stopped.")
    assert "Dagster services shut down." in dev.output()


def test_a_killed_mesh_dev_takes_dagster_down_with_it(dev: MeshDev, tmp_path: Path) -> None:
    # SIGKILL leaves no chance to clean up: Dagster gets SIGINT as its parent dies.
    assert dev.process.poll() is not None, "runs after the module's server has stopped"
    (port,) = free_ports(1)
    killed = MeshDev(
        dev.project,
        [str(VENV / "bin" / "mesh"), "dev", "--port", str(port)],
        port,
        tmp_path / "killed.log",
        fresh_environment(DAGSTER_HOME=str(tmp_path / "home")),
    )
    try:
        killed.wait_until_ready()
        assert killed.stop(signal.SIGKILL) == -signal.SIGKILL
        assert killed.leftovers(timeout=60) == []
    finally:
        killed.kill_leftovers()


def mesh_dev(project: Path, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run `mesh dev` to its end (for the cases where it refuses to start)."""
    return subprocess.run(
        [str(VENV / "bin" / "mesh"), "dev", *args],
        cwd=project,
        env=fresh_environment(DAGSTER_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_refuses_a_port_in_use(dev: MeshDev, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = mesh_dev(dev.project, "--port", str(port), home=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"mesh dev: port {port} on 127.0.0.1 is in use (Address already in use); "
        "pass --port (or set MESH_DEV_PORT) to use another one.\n"
    )


def test_refuses_to_start_on_invalid_specs(dev: MeshDev, tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "broken.yaml").write_text(channel_spec().replace("steward:", "stewart:"))
    (port,) = free_ports(1)
    result = mesh_dev(tmp_path, "--port", str(port), home=tmp_path / "home")
    assert result.returncode == 1
    assert result.stderr == (
        "mesh dev: the specs are invalid; fix them and start again.\n"
        "2 spec problems:\n"
        "specs/broken.yaml:3:1: metadata.steward: required field is missing. Expected: E-mail "
        "of the accountable person: a Dagster owner and the default alert recipient.\n"
        "specs/broken.yaml:7:3: metadata.stewart: unknown field. Did you mean 'steward'?\n"
    )
    assert not (tmp_path / "home").exists()
