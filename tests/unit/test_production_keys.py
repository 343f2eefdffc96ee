"""Production's PII key: needed only when a column is hashed, and at least 32 bytes long."""

from __future__ import annotations

import pyarrow as pa
import pytest
from spec_folder import SpecFolder

from mesh_dagster.compile.definitions import build_mesh_definitions
from mesh_dagster.compile.resources import MeshResource, PiiKeyError
from mesh_dagster.io.pii import PiiKeyMissingError, apply_pii

PRODUCTION = MeshResource(storage_mode="s3")
SHORT_KEY = "short-secret-value-31-bytes-lon"
MISSING = (
    "the PII hashing key is missing: set the environment variable MESH_PII_KEY "
    "(a long random secret of at least 32 bytes)."
)
TOO_SHORT = (
    "the PII hashing key in MESH_PII_KEY is 31 bytes long; production needs at least 32 "
    "bytes. Set MESH_PII_KEY to a long random secret, e.g. the output of "
    "`python -c 'import secrets; print(secrets.token_hex(32))'`."
)


def test_a_mesh_that_hashes_nothing_loads_and_builds_without_a_key(
    specs: SpecFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MESH_PII_KEY", raising=False)
    specs.product(spec={"schema": {1: {"pii_handling": "masked"}}})

    definitions = build_mesh_definitions(specs.load(), resources={"mesh": PRODUCTION})

    assert definitions.resources["mesh"] is PRODUCTION
    assert PRODUCTION.pii_key(None) == (None, None)


def test_a_mesh_that_hashes_a_column_needs_the_key_at_load_time(
    specs: SpecFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MESH_PII_KEY", raising=False)
    specs.product()

    with pytest.raises(PiiKeyError) as raised:
        build_mesh_definitions(specs.load(), resources={"mesh": PRODUCTION})

    assert str(raised.value) == MISSING


@pytest.mark.parametrize("hashed", [True, False], ids=["hashing-mesh", "mesh-without-hashing"])
def test_a_short_key_is_refused_at_load_time_without_being_shown(
    specs: SpecFolder, monkeypatch: pytest.MonkeyPatch, hashed: bool
) -> None:
    monkeypatch.setenv("MESH_PII_KEY", SHORT_KEY)
    specs.product(spec={"schema": {1: {"pii_handling": "hashed" if hashed else "masked"}}})

    with pytest.raises(PiiKeyError) as raised:
        build_mesh_definitions(specs.load(), resources={"mesh": PRODUCTION})

    assert str(raised.value) == TOO_SHORT
    assert SHORT_KEY not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__context__ is None


def test_the_resource_refuses_a_short_key_at_run_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESH_PII_KEY", SHORT_KEY)

    with pytest.raises(PiiKeyError) as raised:
        PRODUCTION.build_settings(None)

    assert str(raised.value) == TOO_SHORT


def test_a_key_of_32_bytes_is_used(specs: SpecFolder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESH_PII_KEY", "k" * 32)
    specs.product()

    build_mesh_definitions(specs.load(), resources={"mesh": PRODUCTION})

    assert PRODUCTION.build_settings(None)[0].pii_key == b"k" * 32


def test_local_mode_accepts_a_short_development_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESH_PII_KEY", "dev")

    assert MeshResource().pii_key(None) == (b"dev", None)


def test_a_product_that_hashes_fails_without_a_key_at_run_time(specs: SpecFolder) -> None:
    specs.product()
    product = specs.load().product("orders-daily")
    table = pa.table({"customer_id": ["c1"]})

    with pytest.raises(PiiKeyMissingError) as raised:
        apply_pii(table, product, None, key_env="MESH_PII_KEY_ORDERS")

    assert str(raised.value) == (
        "the PII hashing key is missing: 'orders-daily' hashes the column 'customer_id'; "
        "set the environment variable MESH_PII_KEY_ORDERS (a long random secret of at least "
        "32 bytes)."
    )
    assert apply_pii(table, product, None, passthrough={"customer_id"}) == table
