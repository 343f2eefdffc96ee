"""The plugin as a Dagster Component: a ``defs.yaml`` that names a specs folder."""

from __future__ import annotations

from dagster import Component, ComponentLoadContext, Definitions, Model, Resolvable
from pydantic import Field

from mesh_dagster.compile.definitions import build_definitions


class MeshComponent(Component, Resolvable, Model):
    """Data products from a folder of YAML specs, with their checks, schedules and sensors.

    ``defs.yaml``::

        type: mesh_dagster.MeshComponent
        attributes:
          specs_path: specs
    """

    specs_path: str = Field(
        default="specs", description="Specs folder, relative to this component's folder."
    )

    def build_defs(self, context: ComponentLoadContext) -> Definitions:
        """Return the definitions of every product under ``specs_path``."""
        return build_definitions(context.path / self.specs_path)
