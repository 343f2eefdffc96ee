"""Plain data -> YAML as people write it: block text for several lines, key order kept."""

from __future__ import annotations

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """A safe dumper that writes text of several lines as a `|` block."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value.rstrip("\n") or value.endswith("\n") else None
    if ":" in value and style is None and value.replace(":", "").isdigit():
        style = '"'  # a clock time: other YAML 1.1 readers take 07:00 for a number
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def render_yaml(data: Any, header: str = "") -> str:
    """Return ``data`` as a YAML document, after ``header`` comment lines."""
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return header + body
