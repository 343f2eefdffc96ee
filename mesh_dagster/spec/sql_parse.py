"""Parse spec SQL with sqlglot within the nesting limit, never into a RecursionError."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokenizer_core import Token, TokenType

MAX_SQL_DEPTH = 128
"""How deeply SQL expressions may nest (brackets, CASE ... END, prefix operators)."""

_OPENING = frozenset({TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE, TokenType.CASE})
_CLOSING = frozenset({TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE, TokenType.END})
# Each one nests what follows it: `not not not x`, `- - x`.
_PREFIX = frozenset({TokenType.NOT, TokenType.DASH, TokenType.PLUS, TokenType.TILDE})
# sqlglot's parser spends about 25 Python frames per level of brackets; 128 levels need
# about 3,200, more than Python's default limit of 1,000. The parser runs in Python frames
# that use little C stack (128 levels parse in a thread with a 256 kB stack).
_FRAMES_NEEDED = MAX_SQL_DEPTH * 30 + 500


class SqlTooDeepError(ValueError):
    """SQL nested deeper than MAX_SQL_DEPTH; the message says where."""


def too_deep(where: str = "") -> SqlTooDeepError:
    """Return the error for SQL nested too deeply (``where``: ' (at column 12)' or '')."""
    return SqlTooDeepError(f"the SQL is nested more than {MAX_SQL_DEPTH} levels deep{where}")


def _position(sql: str, offset: int) -> str:
    line = sql.count("\n", 0, offset) + 1
    column = offset - (sql.rfind("\n", 0, offset) + 1) + 1
    return f" (at column {column})" if line == 1 else f" (at line {line}, column {column})"


def _check_nesting(sql: str, tokens: list[Token]) -> None:
    """Raise SqlTooDeepError at the first token nested deeper than MAX_SQL_DEPTH."""
    depth = prefixes = 0
    for token in tokens:
        kind = token.token_type
        if kind in _PREFIX:
            prefixes += 1
        else:
            prefixes = 0
        if kind in _OPENING:
            depth += 1
        elif kind in _CLOSING:
            depth = max(depth - 1, 0)
        if depth + prefixes > MAX_SQL_DEPTH:
            raise too_deep(_position(sql, token.start))


class _RecursionBudget:
    """Raises the interpreter's recursion limit while deep SQL is handled, then restores it.

    The limit is process-wide, so its guard is too: the first holder raises it, the last
    one to leave puts the original back, whatever the threads in between needed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._original = 0

    @contextmanager
    def enough_for_sql(self) -> Iterator[None]:
        depth = _stack_depth()
        with self._lock:
            if self._holders == 0:
                self._original = sys.getrecursionlimit()
            self._holders += 1
            if sys.getrecursionlimit() < depth + _FRAMES_NEEDED:
                sys.setrecursionlimit(depth + _FRAMES_NEEDED)
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0:
                    sys.setrecursionlimit(self._original)


def _stack_depth() -> int:
    frame: FrameType | None = sys._getframe()
    depth = 0
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


_BUDGET = _RecursionBudget()


@contextmanager
def deep_sql() -> Iterator[None]:
    """Give the block enough recursion for SQL nested MAX_SQL_DEPTH deep.

    sqlglot parses and prints recursively; wrap both, and turn a RecursionError raised
    inside (a shape the nesting scan does not count) into ``too_deep()``.
    """
    with _BUDGET.enough_for_sql():
        yield


def parse_sql(sql: str) -> list[exp.Expr]:
    """Return the statements of ``sql`` (DuckDB dialect), checking the nesting first.

    Raises SqlTooDeepError past MAX_SQL_DEPTH levels, and sqlglot's errors when the text
    does not tokenize or parse. Call it inside ``deep_sql()``.
    """
    dialect = Dialect.get_or_raise("duckdb")
    tokens = dialect.tokenize(sql)
    _check_nesting(sql, tokens)
    try:
        return [tree for tree in dialect.parser().parse(tokens, sql) if tree is not None]
    except RecursionError:
        raise too_deep() from None
