"""Text from the outside world (file names, YAML tags) made safe to print on a terminal."""

from __future__ import annotations

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_SURROGATE_BYTES = range(0xDC80, 0xDD00)
"""What ``os.fsdecode`` turns undecodable bytes of a file name into."""


def printable(text: str, limit: int | None = None) -> str:
    """Return ``text`` with every non-printable character escaped (``\\x1b``, ``\\n``).

    A file name can hold a terminal escape sequence, a newline or a right-to-left
    override; printed raw, it would rewrite the user's screen or disguise the name.
    ``limit`` cuts the result to that many characters, marked with an ellipsis.
    """
    if text.isprintable() and (limit is None or len(text) <= limit):
        return text
    shown = "".join(_escape(character) for character in text)
    if limit is not None and len(shown) > limit:
        return shown[: limit - 1] + "…"
    return shown


def _escape(character: str) -> str:
    if character.isprintable():
        return character
    if character in _SHORT:
        return _SHORT[character]
    code = ord(character)
    if code in _SURROGATE_BYTES:
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
