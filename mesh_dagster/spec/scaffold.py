"""A new product's spec: a commented YAML file that already satisfies the mesh's policy."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

from mesh_dagster.spec import values
from mesh_dagster.spec.policy import effective_rules
from mesh_dagster.spec.policy_models import MeshPolicy

_KEBAB = re.compile(values.KEBAB_NAME)
_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9_.@/+-]*$")


@dataclass(frozen=True)
class ProductDraft:
    """What a new spec is made from: names given by the author, the rest from the policy."""

    name: str
    domain: str
    start: date
    owner: str | None = None
    steward: str | None = None


def check_new_name(name: str, what: str) -> str:
    """Return ``name`` if it is kebab-case, or raise ValueError saying what is expected."""
    if not _KEBAB.match(name):
        raise ValueError(
            f"the {what} must be kebab-case (lowercase letters, digits and '-', starting with "
            f"a letter), such as 'orders-daily'; got '{name}'"
        )
    return name


def spec_file_name(name: str) -> str:
    """Return the file name of a product's spec: ``orders-daily`` -> ``orders_daily.yaml``."""
    return f"{name.replace('-', '_')}.yaml"


def _quoted(text: str) -> str:
    """Return ``text`` as a YAML scalar: plain when that is safe, else double-quoted."""
    if _PLAIN.match(text):
        return text
    return json.dumps(text)  # a JSON string is a valid double-quoted YAML scalar


def _percent(share: float) -> str:
    return f"{share * 100:g}%"


def scaffold_product(draft: ProductDraft, policy: MeshPolicy) -> str:
    """Return the YAML of a new product that validates under ``policy``.

    Placeholders are marked ``TODO``; the policy decides the steward's e-mail domain, the
    output location, the number of consumers, required tags and the availability target.
    """
    rules = effective_rules(policy, draft.domain)
    table = draft.name.replace("-", "_")
    owner = draft.owner or f"{draft.domain}-team"
    email_domain = (rules.steward_email_domains or ["example.com"])[0]
    steward = draft.steward or f"{draft.domain}-steward@{email_domain}"
    prefix = (rules.output_locations or "s3://data-products/{domain}/").replace(
        "{domain}", draft.domain
    )
    location = f"{prefix.rstrip('/')}/{table}/"
    target = max(0.99, rules.min_availability_target or 0, policy.defaults.availability_target or 0)
    tags = "".join(f"    {tag}: {_quoted('TODO')}\n" for tag in rules.required_tags or [])
    consumers = "".join(
        f"    - team: {_quoted(f'TODO-consumer-{index + 1}')}\n"
        f"      use_case: {_quoted('TODO: what they use it for')}\n"
        for index in range(max(1, rules.min_consumers or 0))
    )
    return f"""\
# Data product spec: the contract between the {draft.domain} team and its consumers.
# Reference: docs/spec-reference.md; check with `mesh validate`.
apiVersion: dataproduct/v1
kind: DataProduct
metadata:
  name: {draft.name}
  domain: {draft.domain}
  owner: {_quoted(owner)}
  steward: {_quoted(steward)}
{"  tags:" + chr(10) + tags if tags else ""}spec:
  description: >
    TODO: what one row is, where the data comes from and what it is for.
  schedule:
    cron: "0 6 * * *"
    timezone: {policy.defaults.timezone}
  sla:
    available_by: "07:00"
    availability_target: {_quoted(_percent(target))}
  partitioning:
    by: day
    column: event_date
    start: "{draft.start.isoformat()}"
  grain: [id, event_date]
  # inputs:                       # upstream products, each a view in the SQL below
  #   - product: order-events     # (hyphens become underscores: order_events)
  transform:
    sql: |
      select 'TODO' as id,
             cast(getvariable('partition_start') as date) as event_date
  output:
    format: delta
    location: {location}
  schema:
    - name: id
      type: string
      nullable: false
      description: TODO
    - name: event_date
      type: date
      nullable: false
      description: The day the row belongs to.
  quality:
    custom_checks:
      - "length(id) > 0"
  consumers:
{consumers}"""
