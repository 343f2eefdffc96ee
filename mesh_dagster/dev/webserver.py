"""The running Dagster webserver, through its GraphQL API: is it up, reload a code location."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

_RELOAD = """
mutation Reload($name: String!) {
  reloadRepositoryLocation(repositoryLocationName: $name) {
    __typename
    ... on WorkspaceLocationEntry {
      loadStatus
      locationOrLoadError { __typename ... on PythonError { message } }
    }
    ... on PythonError { message }
    ... on RepositoryLocationNotFound { message }
    ... on ReloadNotSupported { message }
    ... on UnauthorizedError { message }
  }
}
"""

_LOCATIONS = """
{
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError { __typename ... on PythonError { message } }
      }
    }
  }
}
"""


class ReloadError(RuntimeError):
    """Raised when the webserver refuses a reload or the location fails to load."""


@dataclass(frozen=True)
class LocationState:
    """What the webserver says about one code location."""

    name: str
    loaded: bool
    error: str | None = None


def _graphql(
    base_url: str, query: str, variables: dict[str, str] | None, timeout: float
) -> dict[str, Any]:
    response = requests.post(
        f"{base_url.rstrip('/')}/graphql",
        json={"query": query, "variables": variables or {}},
        timeout=timeout,
    )
    response.raise_for_status()
    payload: dict[str, Any] = response.json()
    if payload.get("errors"):
        raise ReloadError(f"the webserver rejected the query: {payload['errors']}")
    data: dict[str, Any] = payload.get("data") or {}
    return data


def _state(name: str, entry: dict[str, Any]) -> LocationState:
    loaded = entry.get("loadStatus") == "LOADED"
    location = entry.get("locationOrLoadError") or {}
    error = location.get("message") if location.get("__typename") == "PythonError" else None
    return LocationState(name, loaded and error is None and bool(location), error)


def location_state(base_url: str, location: str, timeout: float = 10.0) -> LocationState | None:
    """Return the state of ``location`` on the webserver, or None if it does not list it."""
    data = _graphql(base_url, _LOCATIONS, None, timeout)
    workspace = data.get("workspaceOrError") or {}
    for entry in workspace.get("locationEntries") or []:
        if entry.get("name") == location:
            return _state(location, entry)
    return None


def reload_location(base_url: str, location: str, timeout: float = 120.0) -> LocationState:
    """Reload ``location`` and return its new state; raise ReloadError if it did not load."""
    data = _graphql(base_url, _RELOAD, {"name": location}, timeout)
    result = data.get("reloadRepositoryLocation") or {}
    if result.get("__typename") != "WorkspaceLocationEntry":
        raise ReloadError(f"the webserver refused to reload '{location}': {result.get('message')}")
    state = _state(location, result)
    if not state.loaded:
        raise ReloadError(f"code location '{location}' failed to load:\n{state.error}")
    return state
