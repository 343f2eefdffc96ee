"""Warnings about skipped alert channels: for the products a process builds, once each.

In local mode a channel whose variables are missing is skipped. Loading the definitions
happens in every run and step process, so a warning there would repeat every channel of
every domain in every run; instead a build warns, in its run log, about the channels its
own product's incidents go to, and each process says it once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace

from mesh_dagster.alerts import resolve_channels
from mesh_dagster.spec.mesh import Mesh
from mesh_dagster.spec.models import DataProduct


class ChannelWarnings:
    """The skipped-channel warnings a process has not given yet."""

    def __init__(self) -> None:
        self._given: set[str] = set()

    def for_product(
        self, mesh: Mesh, product: DataProduct, environ: Mapping[str, str] | None = None
    ) -> list[str]:
        """Return the warnings about ``product``'s skipped channels not given before."""
        alone = replace(mesh, products={product.name: product})
        warnings = resolve_channels(alone, os.environ if environ is None else environ, False)
        new = [text for text in warnings.warnings if text not in self._given]
        self._given.update(new)
        return new


PROCESS_WARNINGS = ChannelWarnings()
"""This process's record: a step process builds one product, a run of many says each once."""
