"""Spec descriptions (Markdown) as safe HTML: raw HTML and images are shown as text."""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt


@cache
def _renderer() -> MarkdownIt:
    # markdown-it-py comes with rich. With html off, tags are escaped; its link validation
    # drops javascript:, vbscript: and file: links. Images are off so the catalog never
    # loads anything from the network.
    return MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")


def render_markdown(text: str) -> str:
    """Return ``text`` (CommonMark with tables) as HTML in which no raw HTML survives."""
    html: str = _renderer().render(text)
    return html


def plain_summary(text: str, limit: int = 180) -> str:
    """Return the first paragraph of Markdown ``text`` as plain text, cut at ``limit``."""
    words: list[str] = []
    for token in _renderer().parse(text):
        if token.type == "inline":
            for child in token.children or []:
                if child.type in ("text", "code_inline"):
                    words.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    words.append(" ")
            break
    summary = " ".join("".join(words).split())
    return summary if len(summary) <= limit else summary[: limit - 1].rstrip() + "…"
