#!/usr/bin/env bash
# Dagster's UI and daemon on the example mesh, with the embedded defaults:
# local warehouse folder, SQLite instance storage in a project-local DAGSTER_HOME.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
export MESH_WAREHOUSE="${MESH_WAREHOUSE:-$PWD/warehouse}"
mkdir -p "$DAGSTER_HOME" "$MESH_WAREHOUSE"
[ -f "$DAGSTER_HOME/dagster.yaml" ] || cp deploy/dagster.local.yaml "$DAGSTER_HOME/dagster.yaml"
exec .venv/bin/mesh dev --specs specs "$@"
