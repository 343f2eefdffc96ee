"""The example mesh's stand-in services: deterministic event generators for its raw products.

``mesh_demo.generators`` holds the ``python:`` transforms of ``order-events``,
``payment-events`` and ``shipment-events``; ``mesh_demo.world`` simulates the business they
observe. Nothing here imports Dagster: a transform only sees a ``TransformContext``.
"""
