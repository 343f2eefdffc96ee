#!/usr/bin/env bash
# Idempotent set-up: a project-local virtualenv with the package and its dev extra.
# With --system it also installs the servers the tests start (Debian packages).
# MESH_VENV=/path/to/venv reuses a virtualenv that already has mesh-dagster installed (a
# copy of the project, the doc-tests): it is linked as .venv and nothing is installed into it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ -n "${MESH_VENV:-}" ]; then
  [ -x "$MESH_VENV/bin/mesh" ] || { echo "MESH_VENV=$MESH_VENV has no bin/mesh" >&2; exit 2; }
  [ -e .venv ] || ln -s "$MESH_VENV" .venv
elif [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
stamp=".venv/.mesh-installed"
want="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
if [ -z "${MESH_VENV:-}" ] && { [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; }; then
  .venv/bin/python -m pip install --quiet -e ".[dev,airflow]"
  echo "$want" > "$stamp"
fi
if [ "${1:-}" = "--system" ]; then
  missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
  if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
