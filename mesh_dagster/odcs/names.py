"""The words shared by ODCS export and import: versions, custom properties, type names."""

from __future__ import annotations

EXPORT_API_VERSION = "v3.1.0"
"""The ODCS version exported contracts declare: the latest release, the one tools read."""

KIND = "DataContract"
NO_VERSION = "0.0.0"
"""The contract version of a product that declares none (ODCS requires one)."""

PREFIX = "mesh."
SCHEDULE = "mesh.schedule"
TRANSFORM = "mesh.transform"
INPUTS = "mesh.inputs"
CONSUMERS = "mesh.consumers"
ALERT_CHANNELS = "mesh.alertChannels"
LIMITS = "mesh.limits"
PARTITIONING = "mesh.partitioning"
SLA_WITHIN = "mesh.slaWithin"
SLA_TIMEZONE = "mesh.timezone"
ALLOW_EMPTY = "mesh.allowEmpty"
PII_HANDLING = "mesh.piiHandling"
CHECK_SQL = "mesh.sql"
CHECK_RULE = "mesh.rule"
"""On an exported quality rule: which built-in rule of mesh it states (`completeness`)."""

STEWARD_ROLE = "steward"
PII_CLASSIFICATION = "restricted"
PUBLIC_CLASSIFICATION = "public"

LOGICAL_TYPES = {
    "string": "string",
    "integer": "integer",
    "bigint": "integer",
    "double": "number",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}
"""mesh column type -> ODCS logicalType (a decimal is a `number`)."""

PERIOD_UNITS = {"day": "d", "hour": "h", "week": "w", "month": "month"}
"""A partition period -> the unit of the ODCS `frequency` SLA property (value 1)."""
