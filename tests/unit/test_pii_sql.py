"""PII handling in DuckDB SQL gives the very bytes of ``io.pii`` (tables keep joining)."""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa
import pytest

from mesh_dagster.io.pii import hash_value, mask_value
from mesh_dagster.io.pii_sql import hashed_sql, hmac_sql, masked_sql, pii_sql, prepare_key

# RFC 4231 section 4: (key, data, HMAC-SHA-256); case 5 (a truncated output) is left out.
RFC_4231 = [
    (b"\x0b" * 20, b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (
        b"Jefe",
        b"what do ya want for nothing?",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ),
    (
        b"\xaa" * 20,
        b"\xdd" * 50,
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    ),
    (
        bytes(range(1, 26)),
        b"\xcd" * 50,
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    ),
    (
        b"\xaa" * 131,
        b"Test Using Larger Than Block-Size Key - Hash Key First",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ),
    (
        b"\xaa" * 131,
        b"This is a test using a larger than block-size key and a larger than block-size data. "
        b"The key needs to be hashed before being used by the HMAC algorithm.",
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ),
]


def random_strings(seed: int, count: int) -> list[str]:
    """Return ``count`` strings of any Unicode code points (no surrogates), 0 to 40 long."""
    rng = random.Random(seed)
    pools = [(0x00, 0x7F), (0x80, 0x7FF), (0x800, 0xD7FF), (0xE000, 0xFFFF), (0x10000, 0x10FFFF)]

    def char() -> str:
        low, high = rng.choice(pools)
        return chr(rng.randint(low, high))

    return ["".join(char() for _ in range(rng.randint(0, 40))) for _ in range(count)]


def run_on(values: list[str | None], sql_of: str, parameters: dict[str, bytes]) -> list[object]:
    connection = duckdb.connect()
    try:
        connection.register("t", pa.table({"v": pa.array(values, pa.string())}))
        query = f"select {sql_of} as out, n from (select v, row_number() over () as n from t)"
        rows = connection.execute(f"{query} order by n", parameters).fetchall()
    finally:
        connection.close()
    return [row[0] for row in rows]


@pytest.mark.parametrize(("key", "data", "expected"), RFC_4231)
def test_hmac_in_sql_meets_rfc_4231(key: bytes, data: bytes, expected: str) -> None:
    prepared = prepare_key(key)
    connection = duckdb.connect()
    try:
        parameters: dict[str, object] = {**prepared.parameters(), "data": data}
        row = connection.execute(f"select {hmac_sql('$data::blob', prepared)}", parameters)
        (value,) = row.fetchone() or (None,)
    finally:
        connection.close()
    assert value == expected


def test_hashing_in_sql_equals_python_on_random_unicode() -> None:
    key = b"a development key of at least 32 bytes, really"
    values: list[str | None] = [*random_strings(4231, 500), "", None, "bob.secret@example.com"]
    prepared = prepare_key(key)

    hashed = run_on(values, hashed_sql("v", prepared), prepared.parameters())

    assert hashed == [None if v is None else hash_value(v, key) for v in values]


def test_a_long_key_is_hashed_first_in_sql_as_in_python() -> None:
    key = bytes(range(256)) * 2
    prepared = prepare_key(key)
    values: list[str | None] = random_strings(7, 50)

    assert run_on(values, hashed_sql("v", prepared), prepared.parameters()) == [
        hash_value(str(v), key) for v in values
    ]


def test_masking_in_sql_equals_python_on_random_unicode() -> None:
    values: list[str | None] = [*random_strings(2104, 500), "é👍🏽xyzw", "abcd", "", None]

    masked = run_on(values, masked_sql("v"), {})

    assert masked == [None if v is None else mask_value(v) for v in values]


def test_redaction_in_sql_keeps_the_type_and_nulls_every_value() -> None:
    assert run_on(["a", None, "b"], pii_sql("v", "redacted", "varchar", None), {}) == [None] * 3


def test_the_key_is_never_in_the_sql_or_the_repr() -> None:
    key = b"k" * 40
    prepared = prepare_key(key)
    sql = pii_sql("v", "hashed", "varchar", prepared)

    assert "k" * 8 not in sql and "6b6b6b6b" not in sql
    assert prepared.inner.hex() not in sql and prepared.outer.hex() not in sql
    assert "kkkk" not in repr(prepared) and prepared.inner.hex()[:16] not in repr(prepared)
    assert prepare_key(key).inner_name != prepared.inner_name  # drawn per build
