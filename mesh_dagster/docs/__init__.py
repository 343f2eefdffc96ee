"""The generated catalog: HTML and Markdown pages of every product, drawn from the specs."""

from __future__ import annotations

from mesh_dagster.docs.site import SiteFolderError, render_site, write_site

__all__ = ["SiteFolderError", "render_site", "write_site"]
