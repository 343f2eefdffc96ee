"""The data product spec (``kind: DataProduct``) as frozen, strict pydantic models."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from mesh_dagster.spec import values
from mesh_dagster.spec.errors import HintedValueError

API_VERSION = "dataproduct/v1"

PiiHandling = Literal["hashed", "masked", "redacted"]
PartitionUnit = Literal["day", "hour", "week", "month"]
Severity = Literal["error", "warn"]


class StrictModel(BaseModel):
    """Base of every spec model: immutable, and unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ProductMetadata(StrictModel):
    """Who owns the product and what it is called."""

    name: str = Field(
        description="Unique product name, kebab-case (`orders-daily`).", pattern=values.KEBAB_NAME
    )
    domain: str = Field(
        description="Owning domain (`orders`): the Dagster group and key prefix.",
        pattern=values.KEBAB_NAME,
    )
    owner: str = Field(
        description="Owning team (`orders-platform-team`); owner `team:<owner>`.",
        pattern=values.KEBAB_NAME,
    )
    steward: str = Field(
        description="Accountable person's e-mail; a Dagster owner and default alert recipient.",
        pattern=values.EMAIL,
    )
    tags: dict[str, str] = Field(default_factory=dict, description="Free `key: value` labels.")
    version: str | None = Field(
        default=None,
        description="Contract version (`1.2.0`); a breaking change should bump the major.",
        pattern=values.SEMVER,
    )


class ScheduleSpec(StrictModel):
    """When the product is built."""

    cron: str = Field(description='Cron expression of the build (`"0 6 * * *"`).')
    timezone: str | None = Field(
        default=None, description="IANA timezone of the cron (default: policy's, else UTC)."
    )

    _cron = field_validator("cron")(values.check_cron)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return None if value is None else values.check_timezone(value)


class SlaSpec(StrictModel):
    """The availability commitment: each period published by a deadline."""

    available_by: time | None = Field(
        default=None, description='Deadline of each period, `"HH:MM"` after the period ends.'
    )
    within: timedelta | None = Field(
        default=None, description="Instead of `available_by`: a duration after the period ends."
    )
    availability_target: float | None = Field(
        default=None, description="Objective share of periods on time (`99.9%` or `0.999`)."
    )
    timezone: str | None = Field(
        default=None, description="Timezone of `available_by` (default: the schedule's)."
    )

    @field_validator("available_by", mode="before")
    @classmethod
    def _clock(cls, value: Any) -> Any:
        return None if value is None else values.parse_clock_time(value)

    @field_validator("within", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return None if value is None else values.parse_duration(value)

    @field_validator("availability_target", mode="before")
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

    by: PartitionUnit = Field(description="Period of one partition: day, hour, week or month.")
    column: str = Field(description="The column that holds each row's period.")
    start: date = Field(description="First period (`2026-01-01`).")


class SourceSpec(StrictModel):
    """External raw data read by a transform."""

    name: str = Field(description="Name of the view the transform sees.")
    location: str = Field(description="URI or path of the data.")
    format: Literal["delta", "parquet", "csv"] = Field(description="Storage format.")


class InputSpec(StrictModel):
    """One upstream: another product, or an external source."""

    product: str | None = Field(default=None, description="Name of an upstream product.")
    window: Literal["partition", "all"] = Field(
        default="partition",
        description="`partition`: only the run's period of a same-partitioned input; `all`.",
    )
    source: SourceSpec | None = Field(default=None, description="External raw data.")

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

    sql: str | None = Field(default=None, description="One DuckDB SELECT over the inputs.")
    python: str | None = Field(
        default=None,
        description="`module:function` returning a pandas DataFrame or Arrow table.",
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

    format: Literal["delta"] = Field(description="Table format (`delta`, the only one in v1).")
    location: str = Field(description="Table URI: `s3://bucket/prefix/...` or a local path.")
    catalog: Literal["glue"] | None = Field(default=None, description="Catalog to register in.")
    database: str | None = Field(default=None, description="Catalog database.")
    table: str | None = Field(default=None, description="Catalog table name.")

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

    name: str = Field(description="Column name (lowercase, `_`).", pattern=values.COLUMN_NAME)
    type: str = Field(
        description="string, integer, bigint, double, decimal(p,s), boolean, date or timestamp."
    )
    nullable: bool = Field(default=True, description="Whether nulls are expected.")
    pii: bool = Field(default=False, description="Whether the column holds personal data.")
    pii_handling: PiiHandling | None = Field(
        default=None, description="How PII is published: hashed, masked or redacted."
    )
    description: str | None = Field(default=None, description="What the column means.")

    _type = field_validator("type")(values.parse_column_type)


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

    sql: str = Field(description='Boolean DuckDB expression (`"revenue_usd >= 0"`).')
    name: str | None = Field(
        default=None,
        description="Check name (default: derived from the SQL).",
        pattern=values.CHECK_NAME,
    )
    severity: Severity = Field(default="error", description="`error` blocks publish; `warn`.")
    description: str | None = Field(default=None, description="What the rule protects.")


class QualitySpec(StrictModel):
    """Quality rules enforced before publish."""

    freshness_sla_hours: float | None = Field(
        default=None, gt=0, description="Freshness window in hours (the freshness policy)."
    )
    completeness_threshold: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="Minimum share of rows with every non-nullable column present.",
    )
    allow_empty: bool = Field(default=False, description="Whether an empty period may publish.")
    custom_checks: list[Annotated[CustomCheck, BeforeValidator(_check_from_text)]] = Field(
        default_factory=list, description="SQL rules: a string, or `{name, sql, severity}`."
    )


class ConsumerSpec(StrictModel):
    """A team that relies on the product."""

    team: str = Field(description="Consuming team.")
    use_case: str = Field(description="What they use it for.")
    contact: str | None = Field(default=None, description="E-mail for notices.")
    notify: bool = Field(default=False, description="Whether the contact gets incident notices.")

    @model_validator(mode="after")
    def _contact_for_notify(self) -> ConsumerSpec:
        if self.notify and self.contact is None:
            raise ValueError("'notify: true' needs a 'contact' address to notify")
        return self


class AlertsSpec(StrictModel):
    """Extra alert channels for this product."""

    channels: list[str] = Field(
        default_factory=list, description="Channel names from the policy's `alert_channels`."
    )


class ProductSpec(StrictModel):
    """What the product is, how it is built and what it promises."""

    description: str = Field(description="Human description (Markdown allowed).")
    schedule: ScheduleSpec | None = Field(default=None, description="When the build runs.")
    sla: SlaSpec | None = Field(default=None, description="Availability deadline and target.")
    partitioning: PartitioningSpec | None = Field(default=None, description="Periods.")
    grain: list[str] = Field(default_factory=list, description="Columns identifying one row.")
    inputs: list[Annotated[InputSpec, BeforeValidator(_input_from_text)]] = Field(
        default_factory=list, description="Upstream data: other products or external sources."
    )
    transform: TransformSpec | None = Field(
        default=None, description="How the data is computed; absent: built outside the platform."
    )
    output: OutputSpec = Field(description="Where the product is published.")
    columns: list[ColumnSpec] = Field(
        alias="schema", min_length=1, description="Columns of the published table."
    )
    quality: QualitySpec = Field(default_factory=QualitySpec, description="Quality rules.")
    consumers: list[ConsumerSpec] = Field(default_factory=list, description="Who relies on it.")
    alerts: AlertsSpec = Field(default_factory=AlertsSpec, description="Extra alert channels.")


class DataProduct(StrictModel):
    """One data product: the contract between its owners and its consumers."""

    api_version: Literal["dataproduct/v1"] = Field(
        alias="apiVersion", description="Spec language version: `dataproduct/v1`."
    )
    kind: Literal["DataProduct"] = Field(description="`DataProduct`.")
    metadata: ProductMetadata = Field(description="Name, domain, owner and steward.")
    spec: ProductSpec = Field(description="The product's contract.")

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
