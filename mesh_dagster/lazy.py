"""Public names of a package, imported from their modules on first use.

A package's ``__init__`` that imported every public name would make importing any of
its modules pay for all of them (the spec package for sqlglot, the checks package for
pyarrow, the top package for Dagster). With ``__getattr__ = lazy_names(...)`` a name is
imported when it is first read, and ``from package import name`` still works.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(package: str, modules: Mapping[str, str]) -> Callable[[str], Any]:
    """Return a module ``__getattr__`` that reads each name of ``modules`` from its module."""

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return __getattr__
