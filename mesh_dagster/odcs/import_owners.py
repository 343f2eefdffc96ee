"""ODCS `team` and `servers` -> a product's owner, steward and output."""

from __future__ import annotations

import re
from typing import Any

from mesh_dagster.odcs.export import DEFAULT_GLUE_ACCOUNT
from mesh_dagster.odcs.import_context import ImportContext, Origins, kebab
from mesh_dagster.spec import values
from mesh_dagster.spec.errors import FieldPath

_EMAIL = re.compile(values.EMAIL)
_STEWARD_ROLES = ("steward", "data steward", "owner", "data owner", "product owner")


def read_team(context: ImportContext, origins: Origins) -> tuple[str | None, str | None]:
    """Return the owner (team name) and the steward (an e-mail) from `team`."""
    team = context.data.get("team")
    members: Any = team.get("members") if isinstance(team, dict) else team
    base: FieldPath = ("team", "members") if isinstance(team, dict) else ("team",)
    owner, steward = context.defaults.owner, context.defaults.steward
    if isinstance(team, dict) and isinstance(team.get("name"), str):
        owner = kebab(team["name"])
        origins[("metadata", "owner")] = ("team", "name")
        context.usage.use(("team", "name"))
        if owner != team["name"]:
            context.usage.leave(("team", "name"), f"the owner is written '{owner}' in mesh")
    candidates: list[tuple[int, int, str]] = []
    for index, member in enumerate(members if isinstance(members, list) else []):
        if not isinstance(member, dict) or member.get("dateOut"):
            continue
        email = next(
            (member[key] for key in ("username", "email", "name")
             if isinstance(member.get(key), str) and _EMAIL.match(member[key])),
            None,
        )  # fmt: skip
        role = str(member.get("role", "")).strip().lower()
        if email is not None:
            rank = _STEWARD_ROLES.index(role) if role in _STEWARD_ROLES else len(_STEWARD_ROLES)
            candidates.append((rank, index, email))
    if candidates:
        _, index, steward = min(candidates)
        origins[("metadata", "steward")] = (*base, index)
        context.usage.use((*base, index))
    elif isinstance(members, list) and members:
        reason = "no current member's username is an e-mail address, so none is the steward"
        context.usage.leave(base, reason)
    return owner, steward


def read_output(
    context: ImportContext, domain: str | None, table: str, several: bool
) -> tuple[dict[str, Any], Origins]:
    """Return the product's output (location, format, catalog) from `servers`."""
    origins: Origins = {}
    output: dict[str, Any] = {"format": "delta"}
    servers = context.data.get("servers")
    s3 = glue = None
    for index, server in enumerate(servers if isinstance(servers, list) else []):
        if not isinstance(server, dict):
            continue
        kind = server.get("type")
        if kind == "s3" and s3 is None and str(server.get("location", "")).startswith("s3://"):
            s3 = index
        elif kind == "glue" and glue is None:
            glue = index
        else:
            reason = f"mesh publishes to one S3 location (a '{kind}' server is not read)"
            context.usage.leave(("servers", index), reason)
    found = s3 if s3 is not None else glue
    location: str | None = None
    if found is not None and isinstance(servers, list):
        server = servers[found]
        location = str(server.get("location")) if server.get("location") else None
        origins[("spec", "output", "location")] = ("servers", found, "location")
        origins[("spec", "output")] = ("servers", found)
        context.usage.use(*(("servers", found, key) for key in ("server", "type", "location")))
        if server.get("format") in ("delta", None):
            context.usage.use(("servers", found, "format"))
        else:
            reason = f"mesh publishes Delta tables, not '{server.get('format')}'"
            context.usage.leave(("servers", found, "format"), reason)
    if location is not None:
        if "{model}" in location:
            location = location.replace("{model}", table)
        elif several:
            location = location.rstrip("/") + f"/{table}/"
    elif context.defaults.location_prefix is not None and domain is not None:
        location = f"{context.defaults.location_prefix.rstrip('/')}/{domain}/{table}/"
    if location is not None:
        output["location"] = location
    if glue is not None and isinstance(servers, list):
        output |= {"catalog": "glue", "database": servers[glue].get("database"), "table": table}
        origins[("spec", "output", "database")] = ("servers", glue, "database")
        context.usage.use(*(("servers", glue, key) for key in ("server", "type", "database")))
        context.usage.use(("servers", glue, "location"), ("servers", glue, "format"))
        if servers[glue].get("account") == DEFAULT_GLUE_ACCOUNT:
            context.usage.use(("servers", glue, "account"))
        else:
            reason = "mesh registers tables in the account it runs as"
            context.usage.leave(("servers", glue, "account"), reason)
    return output, origins
