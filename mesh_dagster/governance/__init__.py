"""Federated governance at the edges: specs at a git ref, impact reports, for people and CI."""

from __future__ import annotations

from mesh_dagster.governance.git_specs import GitRefError, load_mesh_at_ref
from mesh_dagster.governance.impact_json import impact_as_dict, render_impact_json
from mesh_dagster.governance.impact_markdown import render_impact_markdown
from mesh_dagster.governance.impact_text import render_impact_text

__all__ = [
    "GitRefError",
    "impact_as_dict",
    "load_mesh_at_ref",
    "render_impact_json",
    "render_impact_markdown",
    "render_impact_text",
]
