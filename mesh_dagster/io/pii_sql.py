"""PII handling as DuckDB SQL: the same bytes as ``io.pii``, computed inside the engine.

HMAC-SHA256 is ``sha256(outer || unhex(sha256(inner || message)))`` (RFC 2104), where
``inner`` and ``outer`` are the key, padded to SHA-256's 64-byte block, XORed with 0x36 and
0x5c. The pads are bound as query parameters under names drawn per build: the key is never
part of any SQL text, log line or DuckDB variable that a transform could read.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from mesh_dagster.io.pii import MASK_SHOWN_MAX, MASK_SHOWN_SHARE
from mesh_dagster.spec.models import PiiHandling

SHA256_BLOCK_BYTES = 64


@dataclass(frozen=True)
class HmacKey:
    """A PII key prepared for SQL: its two pads and the parameter names they are bound to."""

    inner: bytes = field(repr=False)
    outer: bytes = field(repr=False)
    inner_name: str
    outer_name: str

    def parameters(self) -> dict[str, bytes]:
        """Return the named parameters a query using ``hmac_sql`` must be given."""
        return {self.inner_name: self.inner, self.outer_name: self.outer}


def prepare_key(key: bytes) -> HmacKey:
    """Return ``key`` as HMAC-SHA256 pads, bound under fresh parameter names."""
    if len(key) > SHA256_BLOCK_BYTES:
        key = hashlib.sha256(key).digest()
    block = key.ljust(SHA256_BLOCK_BYTES, b"\0")
    tag = secrets.token_hex(8)
    return HmacKey(
        inner=bytes(byte ^ 0x36 for byte in block),
        outer=bytes(byte ^ 0x5C for byte in block),
        inner_name=f"mesh_pii_inner_{tag}",
        outer_name=f"mesh_pii_outer_{tag}",
    )


def hmac_sql(message: str, key: HmacKey) -> str:
    """Return SQL of the HMAC-SHA256 (64 lowercase hex characters) of the BLOB ``message``."""
    inner = f"unhex(sha256(${key.inner_name} || {message}))"
    return f"sha256(${key.outer_name} || {inner})"


def hashed_sql(value: str, key: HmacKey) -> str:
    """Return SQL equal to ``io.pii.hash_value`` of the VARCHAR ``value`` (null stays null)."""
    return hmac_sql(f"encode({value})", key)


def masked_sql(value: str) -> str:
    """Return SQL equal to ``io.pii.mask_value`` of the VARCHAR ``value`` (null stays null).

    DuckDB's ``length`` and ``right`` count Unicode code points, as Python's ``len`` does.
    """
    shown = f"least({MASK_SHOWN_MAX}, length({value}) // {MASK_SHOWN_SHARE})"
    return f"repeat('*', length({value}) - {shown}) || right({value}, {shown})"


def pii_sql(value: str, handling: PiiHandling, sql_type: str, key: HmacKey | None) -> str:
    """Return SQL of the column ``value`` handled per ``handling`` (a ``sql_type`` column).

    Raises ValueError when ``handling`` is ``hashed`` and there is no key (callers check
    first and tell the user which variable to set).
    """
    if handling == "redacted":
        return f"cast(null as {sql_type})"
    text = f"cast({value} as varchar)"
    if handling == "masked":
        return masked_sql(text)
    if key is None:
        raise ValueError("hashing needs a key")
    return hashed_sql(text, key)
