"""The data product spec (``kind: DataProduct``) as frozen, strict pydantic models."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from mesh_dagster.spec import locations, values
from mesh_dagster.spec.errors import HintedValueError

API_VERSION = "dataproduct/v1"

PiiHandling = Literal["hashed", "masked", "redacted"]
PartitionUnit = Literal["day", "hour", "week", "month"]
Severity = Literal["error", "warn"]


class StrictModel(BaseModel):
    """Base of every spec model: immutable, and unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)


class ProductMetadata(StrictModel):
    """Who owns the product and what it is called."""

    name: str = Field(
        description=(
            "Product name, unique in the mesh, kebab-case (`orders-daily`); the asset key is "
            "`[domain, name]`."
        ),
        pattern=values.KEBAB_NAME,
    )
    domain: str = Field(
        description="Owning domain (`orders`): the Dagster group and the asset key's first part.",
        pattern=values.KEBAB_NAME,
    )
    owner: str = Field(
        description="Owning team (`orders-platform-team`); the Dagster owner `team:<owner>`.",
        pattern=values.KEBAB_NAME,
    )
    steward: str = Field(
        description=(
            "E-mail of the accountable person: a Dagster owner and the default alert recipient."
        ),
        pattern=values.EMAIL,
    )
    tags: dict[str, str] = Field(
        default_factory=dict, description="Free `key: value` labels, passed on as Dagster tags."
    )
    version: str | None = Field(
        default=None,
        description=(
            "The contract's version (`1.2.0`); a breaking change should bump the major version."
        ),
        pattern=values.SEMVER,
    )


class ScheduleSpec(StrictModel):
    """When the product is built."""

    cron: str = Field(description='When the build runs: a 5-field cron expression (`"0 6 * * *"`).')
    timezone: str | None = Field(
        default=None,
        description="IANA timezone of the cron and the periods (default: the policy's, else UTC).",
    )

    _cron = field_validator("cron")(values.check_cron)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return None if value is None else values.check_timezone(value)


class SlaSpec(StrictModel):
    """The availability commitment: each period published by a deadline."""

    available_by: time | None = Field(
        default=None,
        description='Deadline of each period: the first `HH:MM` after the period ends (`"07:00"`).',
    )
    within: timedelta | None = Field(
        default=None,
        description="Instead of `available_by`: a duration after the period ends (`30m`, `2h`).",
    )
    availability_target: float | None = Field(
        default=None,
        description="Objective for the share of periods published on time (`99.9%` or `0.999`).",
    )
    timezone: str | None = Field(
        default=None,
        description=(
            "IANA timezone of `available_by` (default: the schedule's, else the policy's, else "
            "UTC)."
        ),
    )
    judged_from: date | None = Field(
        default=None,
        description=(
            "First period judged against the SLA (its date, in the schedule's timezone); "
            "earlier periods are history, built by backfills and never late. Default: the "
            "first deadline after the product first appears in the instance."
        ),
    )

    @field_validator("available_by", mode="before", json_schema_input_type=values.ClockText | None)
    @classmethod
    def _clock(cls, value: Any) -> Any:
        return None if value is None else values.parse_clock_time(value)

    @field_validator("within", mode="before", json_schema_input_type=values.DurationText | None)
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return None if value is None else values.parse_duration(value)

    @field_validator(
        "availability_target", mode="before", json_schema_input_type=values.ShareInput | None
    )
    @classmethod
    def _share(cls, value: Any) -> Any:
        return None if value is None else values.parse_share(value)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return None if value is None else values.check_timezone(value)

    @model_validator(mode="after")
    def _one_deadline(self) -> SlaSpec:
        if (self.available_by is None) == (self.within is None):
            given = "both" if self.available_by is not None else "neither"
            raise HintedValueError(
                f"an SLA needs exactly one of 'available_by' or 'within'; this one has {given}",
                "Use 'available_by: \"07:00\"' for a daily deadline, 'within: 2h' for hourly data.",
            )
        return self


class PartitioningSpec(StrictModel):
    """One partition per period, written idempotently."""

    by: PartitionUnit = Field(
        description="Length of one period: `day`, `hour`, `week` (from Sunday) or `month`."
    )
    column: str = Field(
        description="The date or timestamp column that puts each row in its period."
    )
    start: date = Field(description="Date of the first period (`2026-01-01`).")
    end: date | None = Field(
        default=None,
        description=(
            "Date in the last period, inclusive (`2013-12-31`: the data set ends that day); no "
            "build is scheduled and no SLA is judged after it. Default: no end."
        ),
    )


class SourceSpec(StrictModel):
    """External raw data read by a transform."""

    name: str = Field(
        description="Name of the data; the transform sees a view of this name (`-` becomes `_`)."
    )
    location: str = Field(
        description=(
            "URI or path of the data (`s3://bucket/...` or a local path; no `.`, `..` or empty "
            "segments)."
        )
    )
    format: Literal["delta", "parquet", "csv"] = Field(description="Storage format of the data.")
    partition_column: str | None = Field(
        default=None,
        description=(
            "Date or timestamp column of the source: when set, a partitioned product reads only "
            "the rows of its run's window (pushed down to the scan); otherwise every row."
        ),
        min_length=1,
    )

    _location = field_validator("location")(locations.check_prefix)


class InputSpec(StrictModel):
    """One upstream: another product, or an external source."""

    product: str | None = Field(
        default=None,
        description="Name of an upstream product: a Dagster dependency, also across domains.",
    )
    window: Literal["partition", "all"] = Field(
        default="partition",
        description=(
            "For a same-partitioned input: `partition` gives the run's period only, `all` the "
            "whole table."
        ),
    )
    source: SourceSpec | None = Field(
        default=None, description="External raw data, instead of a product."
    )

    @model_validator(mode="after")
    def _one_kind(self) -> InputSpec:
        if (self.product is None) == (self.source is None):
            given = "both" if self.product is not None else "neither"
            raise ValueError(
                "an input needs exactly one of 'product' (another data product) or 'source' "
                f"(external data); this one has {given}"
            )
        return self


class TransformSpec(StrictModel):
    """How the data is computed."""

    sql: str | None = Field(
        default=None,
        description=(
            "One DuckDB `SELECT` over the inputs, each a view named after it (`-` becomes `_`)."
        ),
    )
    python: str | None = Field(
        default=None,
        description="`module:function` that returns a pandas DataFrame or an Arrow table.",
        pattern=values.PYTHON_REFERENCE,
    )

    @model_validator(mode="after")
    def _one_kind(self) -> TransformSpec:
        if (self.sql is None) == (self.python is None):
            given = "both" if self.sql is not None else "neither"
            raise HintedValueError(
                f"a transform needs exactly one of 'sql' or 'python'; this one has {given}",
                "Remove spec.transform altogether for a product built outside the platform.",
            )
        return self


class OutputSpec(StrictModel):
    """Where and how the product is published."""

    format: Literal["delta"] = Field(description="Table format: `delta`, the only one in v1.")
    location: str = Field(
        description=(
            "Table folder: `s3://bucket/prefix/` or, where the policy allows, a local path; no "
            "`.`, `..` or empty segments, a trailing `/` is ignored. No two products share or "
            "nest locations. Local mode maps `s3://` under the warehouse."
        )
    )
    catalog: Literal["glue"] | None = Field(
        default=None, description="Catalog the table is registered in after each publish."
    )
    database: str | None = Field(
        default=None, description="Catalog database; needed with `catalog`."
    )
    table: str | None = Field(
        default=None, description="Catalog table name; needed with `catalog`."
    )

    _location = field_validator("location")(locations.check_location)

    @model_validator(mode="after")
    def _catalog_names(self) -> OutputSpec:
        if self.catalog is not None and (self.database is None or self.table is None):
            missing = " and ".join(
                f"'{name}'" for name in ("database", "table") if getattr(self, name) is None
            )
            raise ValueError(f"'catalog: {self.catalog}' needs {missing} as well")
        return self


class ColumnSpec(StrictModel):
    """One column of the published table."""

    name: str = Field(
        description="Column name: lowercase letters, digits and `_`.", pattern=values.COLUMN_NAME
    )
    type: str = Field(
        description=(
            "`string`, `integer`, `bigint`, `double`, `decimal(p,s)`, `boolean`, `date` or "
            "`timestamp`."
        ),
        examples=values.COLUMN_TYPE_EXAMPLES,
    )
    nullable: bool = Field(
        default=True,
        description="Whether nulls are expected; completeness counts the `false` ones.",
    )
    pii: bool = Field(default=False, description="Whether the column holds personal data.")
    pii_handling: PiiHandling | None = Field(
        default=None,
        description=(
            "How the PII is published: `hashed` or `masked` (strings), `redacted` (nullable)."
        ),
    )
    description: str | None = Field(
        default=None, description="What the column means; shown in Dagster and the catalog."
    )
    max_null_share: float | None = Field(
        default=None,
        description=(
            "Null budget of a nullable column: the largest share of rows that may be null "
            "(`2%` or `0.02`); checked as `null_share_<column>`."
        ),
    )

    _type = field_validator("type")(values.parse_column_type)

    @field_validator(
        "max_null_share", mode="before", json_schema_input_type=values.ShareInput | None
    )
    @classmethod
    def _null_share(cls, value: Any) -> Any:
        return None if value is None else values.parse_share(value)


def _check_from_text(value: Any) -> Any:
    if isinstance(value, str):
        return {"sql": value}
    if isinstance(value, (dict, BaseModel)):
        return value
    raise ValueError(
        "expected a SQL expression such as 'revenue_usd >= 0', or a mapping with 'sql', "
        f"'name', 'severity' and 'description', got {str(value).lower()}"
    )


def _input_from_text(value: Any) -> Any:
    if isinstance(value, str):
        raise HintedValueError(
            f"expected a mapping, got '{value}'", f"Write '- product: {value}' to read a product."
        )
    return value


class CustomCheck(StrictModel):
    """A SQL boolean expression that must hold on every row, or on the table if aggregate."""

    sql: str = Field(
        description=(
            "Boolean DuckDB expression over the columns: per row (`revenue_usd >= 0`) or "
            "aggregate (`count(*) > 0`)."
        )
    )
    name: str | None = Field(
        default=None,
        description="Check name (default: `check_` and a slug of the SQL).",
        pattern=values.CHECK_NAME,
    )
    severity: Severity = Field(
        default="error", description="`error` blocks the publish; `warn` only reports."
    )
    description: str | None = Field(default=None, description="What the rule protects.")


class QualitySpec(StrictModel):
    """Quality rules enforced before publish."""

    freshness_sla_hours: float | None = Field(
        default=None,
        gt=0,
        description=(
            "Hours within which data must have been published before each deadline (or at all "
            "times)."
        ),
    )
    completeness_threshold: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="Minimum share of rows in which every non-nullable column is present.",
    )
    allow_empty: bool = Field(
        default=False,
        description="Whether a period with no rows may publish (by default it fails `not_empty`).",
    )
    custom_checks: list[
        Annotated[
            CustomCheck, BeforeValidator(_check_from_text, json_schema_input_type=str | CustomCheck)
        ]
    ] = Field(
        default_factory=list,
        description=(
            "SQL rules: a string, or a mapping with `sql`, `name`, `severity`, `description`."
        ),
    )


class ConsumerSpec(StrictModel):
    """A team that relies on the product."""

    team: str = Field(description="Consuming team.")
    use_case: str = Field(description="What they use the product for.")
    contact: str | None = Field(default=None, description="E-mail address for notices.")
    notify: bool = Field(
        default=False, description="Whether `contact` also gets this product's incident notices."
    )

    @model_validator(mode="after")
    def _contact_for_notify(self) -> ConsumerSpec:
        if self.notify and self.contact is None:
            raise ValueError("'notify: true' needs a 'contact' address to notify")
        return self


class AlertsSpec(StrictModel):
    """Extra alert channels for this product."""

    channels: list[str] = Field(
        default_factory=list,
        description="Names of the policy's `alert_channels`, in addition to the domain's.",
    )


class LimitsSpec(StrictModel):
    """Run-time limits of this product's build."""

    query_timeout: timedelta | None = Field(
        default=None,
        description=(
            "Longest the SQL transform, and separately the checks, may run before being stopped "
            "(`30m`, `2h`; default: the policy's `limits.query_timeout`, else 15m)."
        ),
    )

    @field_validator(
        "query_timeout", mode="before", json_schema_input_type=values.DurationText | None
    )
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return None if value is None else values.parse_duration(value)


class ProductSpec(StrictModel):
    """What the product is, how it is built and what it promises."""

    description: str = Field(description="Human description (Markdown allowed).")
    schedule: ScheduleSpec | None = Field(
        default=None, description="When the build runs; absent: on demand or when inputs update."
    )
    sla: SlaSpec | None = Field(
        default=None, description="The availability commitment: a deadline per period and a target."
    )
    partitioning: PartitioningSpec | None = Field(
        default=None, description="One partition per period, written idempotently."
    )
    grain: list[str] = Field(
        default_factory=list, description="The columns that identify one row; checked unique."
    )
    inputs: list[Annotated[InputSpec, BeforeValidator(_input_from_text)]] = Field(
        default_factory=list, description="Upstream data: other products or external sources."
    )
    transform: TransformSpec | None = Field(
        default=None,
        description="How the data is computed; absent: built outside the platform and observed.",
    )
    output: OutputSpec = Field(description="Where and how the product is published.")
    columns: list[ColumnSpec] = Field(
        alias="schema", min_length=1, description="Columns of the published table."
    )
    quality: QualitySpec = Field(
        default_factory=QualitySpec, description="Quality rules, enforced before publish."
    )
    consumers: list[ConsumerSpec] = Field(
        default_factory=list, description="The teams that rely on the product."
    )
    alerts: AlertsSpec = Field(
        default_factory=AlertsSpec, description="Extra alert channels for this product."
    )
    limits: LimitsSpec = Field(
        default_factory=LimitsSpec, description="Run-time limits of this product's build."
    )


class DataProduct(StrictModel):
    """One data product: the contract between its owners and its consumers."""

    api_version: Literal["dataproduct/v1"] = Field(
        alias="apiVersion", description="Spec language version: `dataproduct/v1`."
    )
    kind: Literal["DataProduct"] = Field(description="Document kind: `DataProduct`.")
    metadata: ProductMetadata = Field(description="Who owns the product and what it is called.")
    spec: ProductSpec = Field(
        description="What the product is, how it is built and what it promises."
    )

    @property
    def name(self) -> str:
        """Return the product's name."""
        return self.metadata.name

    @property
    def domain(self) -> str:
        """Return the product's domain."""
        return self.metadata.domain

    @property
    def is_external(self) -> bool:
        """Return whether the product is built outside the platform (no transform)."""
        return self.spec.transform is None

    def column(self, name: str) -> ColumnSpec | None:
        """Return the declared column called ``name``, if any."""
        return next((column for column in self.spec.columns if column.name == name), None)
