"""Ask a running Dagster webserver to reload a code location (GraphQL)."""

from __future__ import annotations

import requests

_RELOAD = """
mutation Reload($name: String!) {
  reloadRepositoryLocation(repositoryLocationName: $name) {
    __typename
    ... on WorkspaceLocationEntry { name }
    ... on PythonError { message }
  }
}
"""


class ReloadError(RuntimeError):
    """Raised when the webserver refuses or fails the reload."""


def reload_location(base_url: str, location: str, timeout: float = 60.0) -> None:
    """Reload ``location`` on the webserver at ``base_url``; raise ReloadError on failure."""
    response = requests.post(
        f"{base_url.rstrip('/')}/graphql",
        json={"query": _RELOAD, "variables": {"name": location}},
        timeout=timeout,
    )
    response.raise_for_status()
    payload = response.json()
    result = (payload.get("data") or {}).get("reloadRepositoryLocation") or {}
    if result.get("__typename") != "WorkspaceLocationEntry":
        raise ReloadError(f"reload of '{location}' failed: {result.get('message') or payload}")
