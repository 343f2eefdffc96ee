"""PII handling before anything is written: keyed hashing, masking, redaction."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection

import pyarrow as pa

from mesh_dagster.spec.models import DataProduct, PiiHandling


class PiiKeyMissingError(RuntimeError):
    """Raised when a product hashes PII but no key is configured."""


def hash_value(value: str, key: bytes) -> str:
    """Return the HMAC-SHA256 of ``value`` as 64 lowercase hex characters."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


MASK_SHOWN_MAX = 4
"""A masked value shows at most this many of its last characters ..."""
MASK_SHOWN_SHARE = 4
"""... and at most one in this many of its characters (a quarter)."""


def masked_shown(length: int) -> int:
    """Return how many last characters a masked value of ``length`` characters shows."""
    return min(MASK_SHOWN_MAX, length // MASK_SHOWN_SHARE)


def mask_value(value: str) -> str:
    """Return ``value`` with all but its last few characters replaced by ``*``.

    At most 4 characters and at most a quarter of the value (rounded down) are shown: a
    value of 3 characters or fewer is masked whole, 5 characters show 1, 16 or more show 4.
    """
    hidden = len(value) - masked_shown(len(value))
    return "*" * hidden + value[hidden:]


def _apply(column: pa.ChunkedArray, handling: PiiHandling, key: bytes | None) -> pa.Array:
    if handling == "redacted":
        return pa.nulls(len(column), type=column.type)
    values = column.to_pylist()
    if handling == "masked":
        return pa.array([None if v is None else mask_value(str(v)) for v in values], pa.string())
    if key is None:
        raise PiiKeyMissingError("no PII hashing key")
    return pa.array([None if v is None else hash_value(str(v), key) for v in values], pa.string())


def apply_pii(
    table: pa.Table,
    product: DataProduct,
    key: bytes | None,
    passthrough: Collection[str] = (),
    key_env: str = "MESH_PII_KEY",
) -> pa.Table:
    """Return ``table`` with each PII column handled per its ``pii_handling``.

    Columns in ``passthrough`` are already hashed by an input product and are kept as
    they are, so joins across products still match. Raises PiiKeyMissingError, naming
    ``key_env``, when a column must be hashed and there is no key.
    """
    for column in product.spec.columns:
        handling = column.pii_handling
        if not column.pii or handling is None or column.name not in table.column_names:
            continue
        if handling == "hashed" and column.name in passthrough:
            continue
        if handling == "hashed" and key is None:
            raise PiiKeyMissingError(
                f"the PII hashing key is missing: '{product.name}' hashes the column "
                f"'{column.name}'; set the environment variable {key_env} (a long random "
                "secret of at least 32 bytes)."
            )
        index = table.column_names.index(column.name)
        table = table.set_column(index, column.name, _apply(table.column(index), handling, key))
    return table


def hashed_columns_of_inputs(products: Collection[DataProduct]) -> set[str]:
    """Return the names of columns any of ``products`` publishes hashed."""
    return {
        column.name
        for product in products
        for column in product.spec.columns
        if column.pii and column.pii_handling == "hashed"
    }
