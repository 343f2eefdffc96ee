#!/usr/bin/env bash
# Dagster's UI and daemon on the example mesh, with the embedded defaults:
# local warehouse folder, SQLite instance storage in a project-local DAGSTER_HOME.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
export MESH_WAREHOUSE="${MESH_WAREHOUSE:-$PWD/warehouse}"
mkdir -p "$MESH_WAREHOUSE"
# The instance settings every mesh command uses (`mesh init`); a dagster.yaml of your own
# in $DAGSTER_HOME is kept, and `mesh dev` refuses it if the alert sensor cannot read it.
[ -f "$DAGSTER_HOME/dagster.yaml" ] || .venv/bin/mesh init
exec .venv/bin/mesh dev --specs specs "$@"
