"""Bad specs: every case asserts the exact lines the user sees.

The base spec is ``product_data()`` from ``tests/conftest.py``; ``test_spec_load.py`` pins
its layout (``BASE_SPEC_YAML``), so the line numbers below can be read off that listing.
"""

from __future__ import annotations

from typing import Any

import pytest
from spec_folder import DELETE, SpecFolder, dump_yaml, product_data

# One product file, one override, one problem.
FIELD_CASES = [
    pytest.param(
        dict(spec={"schema": {2: {"nullabel": False}}}),
        "specs/orders/orders_daily.yaml:44:5: spec.schema[2].nullabel: unknown field. Did you "
        "mean 'nullable'?",
        id="unknown-field-near-miss",
    ),
    pytest.param(
        dict(spec={"schema": {2: {"mask": True}}}),
        "specs/orders/orders_daily.yaml:44:5: spec.schema[2].mask: unknown field. Expected "
        "one of: name, type, nullable, pii, pii_handling, description, max_null_share.",
        id="unknown-field-lists-fields",
    ),
    pytest.param(
        dict(spce={}),
        "specs/orders/orders_daily.yaml:52:1: spce: unknown field. Did you mean 'spec'?",
        id="unknown-top-level-field",
    ),
    pytest.param(
        dict(metadata={"owner": DELETE}),
        "specs/orders/orders_daily.yaml:3:1: metadata.owner: required field is missing. "
        "Expected: Owning team ('orders-platform-team'); the Dagster owner 'team:<owner>'.",
        id="missing-owner",
    ),
    pytest.param(
        dict(spec={"output": DELETE}),
        "specs/orders/orders_daily.yaml:8:1: spec.output: required field is missing. "
        "Expected: Where and how the product is published.",
        id="missing-output",
    ),
    pytest.param(
        dict(apiVersion=DELETE),
        "specs/orders/orders_daily.yaml:1:1: apiVersion: expected 'dataproduct/v1', got nothing.",
        id="missing-api-version",
    ),
    pytest.param(
        dict(spec={"schema": {0: {"nullable": "maybe"}}}),
        "specs/orders/orders_daily.yaml:36:5: spec.schema[0].nullable: expected true or "
        "false, got 'maybe'.",
        id="wrong-bool",
    ),
    pytest.param(
        dict(spec={"grain": "order_id"}),
        "specs/orders/orders_daily.yaml:20:3: spec.grain: expected a list, got 'order_id'.",
        id="string-for-list",
    ),
    pytest.param(
        dict(metadata={"version": 1.2}),
        "specs/orders/orders_daily.yaml:8:3: metadata.version: expected a string, got 1.2. "
        'Quote it to make it text: "1.2".',
        id="number-for-string",
    ),
    pytest.param(
        dict(spec={"partitioning": {"by": "days"}}),
        "specs/orders/orders_daily.yaml:17:5: spec.partitioning.by: expected 'day', 'hour', "
        "'week' or 'month', got 'days'. Did you mean 'day'?",
        id="enum-near-miss",
    ),
    pytest.param(
        dict(
            spec={"quality": {"custom_checks": [{"sql": "revenue_usd >= 0", "severity": "fatal"}]}}
        ),
        "specs/orders/orders_daily.yaml:49:7: spec.quality.custom_checks[0].severity: "
        "expected 'error' or 'warn', got 'fatal'.",
        id="enum-severity",
    ),
    pytest.param(
        dict(spec={"output": {"format": "parquet"}}),
        "specs/orders/orders_daily.yaml:31:5: spec.output.format: expected 'delta', got 'parquet'.",
        id="enum-format",
    ),
    pytest.param(
        dict(spec={"schema": {3: {"type": "float"}}}),
        "specs/orders/orders_daily.yaml:45:5: spec.schema[3].type: unknown column type "
        "'float'; expected string, integer, bigint, double, boolean, date, timestamp or "
        "decimal(p,s).",
        id="column-type",
    ),
    pytest.param(
        dict(spec={"schema": {3: {"type": "decimal(40,2)"}}}),
        "specs/orders/orders_daily.yaml:45:5: spec.schema[3].type: decimal precision must be "
        "1-38 and scale at most the precision, got 'decimal(40,2)'.",
        id="decimal-precision",
    ),
    pytest.param(
        dict(spec={"schedule": {"cron": "0 6 * *"}}),
        "specs/orders/orders_daily.yaml:11:5: spec.schedule.cron: invalid cron expression '0 "
        "6 * *'; expected 5 fields (minute hour day-of-month month day-of-week), got 4. For "
        "example '0 6 * * *' runs every day at 06:00.",
        id="cron-fields",
    ),
    pytest.param(
        dict(spec={"schedule": {"cron": "61 6 * * *"}}),
        "specs/orders/orders_daily.yaml:11:5: spec.schedule.cron: invalid cron expression '61 "
        "6 * * *'; its minute field '61' is not valid (allowed: 0-59). For example '0 6 * * "
        "*' runs every day at 06:00.",
        id="cron-range",
    ),
    pytest.param(
        dict(spec={"schedule": {"cron": "0 6 31 2 *"}}),
        "specs/orders/orders_daily.yaml:11:5: spec.schedule.cron: the cron expression '0 6 31 "
        "2 *' never fires (no such date). For example '0 6 * * *' runs every day at 06:00.",
        id="cron-never",
    ),
    pytest.param(
        dict(spec={"schedule": {"timezone": "Europe/Berln"}}),
        "specs/orders/orders_daily.yaml:12:5: spec.schedule.timezone: unknown timezone "
        "'Europe/Berln'; expected an IANA name such as 'UTC' or 'Europe/Berlin'. Did you mean "
        "'Europe/Berlin'?",
        id="timezone",
    ),
    pytest.param(
        dict(spec={"sla": {"timezone": "utc"}}),
        "specs/orders/orders_daily.yaml:16:5: spec.sla.timezone: unknown timezone 'utc'; "
        "expected an IANA name such as 'UTC' or 'Europe/Berlin'. Did you mean 'UTC'?",
        id="sla-timezone",
    ),
    pytest.param(
        dict(spec={"sla": {"available_by": "7am"}}),
        "specs/orders/orders_daily.yaml:14:5: spec.sla.available_by: expected a time of day "
        "as 'HH:MM' (24-hour), got '7am'.",
        id="available-by-words",
    ),
    pytest.param(
        dict(spec={"sla": {"available_by": "25:00"}}),
        "specs/orders/orders_daily.yaml:14:5: spec.sla.available_by: expected a time of day "
        "as 'HH:MM' (24-hour), got '25:00'.",
        id="available-by-hour",
    ),
    pytest.param(
        dict(spec={"sla": {"available_by": 7}}),
        "specs/orders/orders_daily.yaml:14:5: spec.sla.available_by: expected a time of day "
        "as 'HH:MM' (24-hour), got 7.",
        id="available-by-number",
    ),
    pytest.param(
        dict(spec={"sla": {"available_by": DELETE, "within": 30}}),
        "specs/orders/orders_daily.yaml:15:5: spec.sla.within: expected a positive duration "
        "such as '30m' or '2h', got 30.",
        id="within-number",
    ),
    pytest.param(
        dict(spec={"sla": {"available_by": DELETE, "within": "2 hours"}}),
        "specs/orders/orders_daily.yaml:15:5: spec.sla.within: expected a positive duration "
        "such as '30m' or '2h', got '2 hours'.",
        id="within-words",
    ),
    pytest.param(
        dict(spec={"sla": {"within": "2h"}}),
        "specs/orders/orders_daily.yaml:13:3: spec.sla: an SLA needs exactly one of "
        "'available_by' or 'within'; this one has both. Use 'available_by: \"07:00\"' for "
        "a daily deadline, 'within: 2h' for hourly data.",
        id="sla-both-deadlines",
    ),
    pytest.param(
        dict(spec={"quality": {"completeness_threshold": 1.5}}),
        "specs/orders/orders_daily.yaml:49:5: spec.quality.completeness_threshold: expected a "
        "number greater than 0 and at most 1, got 1.5.",
        id="threshold-above-one",
    ),
    pytest.param(
        dict(spec={"quality": {"completeness_threshold": 0}}),
        "specs/orders/orders_daily.yaml:49:5: spec.quality.completeness_threshold: expected a "
        "number greater than 0 and at most 1, got 0.",
        id="threshold-zero",
    ),
    pytest.param(
        dict(spec={"quality": {"freshness_sla_hours": -1}}),
        "specs/orders/orders_daily.yaml:49:5: spec.quality.freshness_sla_hours: expected a "
        "number greater than 0, got -1.",
        id="freshness-negative",
    ),
    pytest.param(
        dict(spec={"sla": {"availability_target": "150%"}}),
        "specs/orders/orders_daily.yaml:15:5: spec.sla.availability_target: expected a share "
        "such as '99.9%' or 0.999 (above 0, at most 100%), got '150%'.",
        id="target-above-100",
    ),
    pytest.param(
        dict(spec={"sla": {"availability_target": 99.9}}),
        "specs/orders/orders_daily.yaml:15:5: spec.sla.availability_target: expected a share "
        "such as '99.9%' or 0.999 (above 0, at most 100%), got 99.9. Did you mean '99.9%'?",
        id="target-percent-as-number",
    ),
    pytest.param(
        dict(spec={"sla": {"availability_target": "high"}}),
        "specs/orders/orders_daily.yaml:15:5: spec.sla.availability_target: expected a share "
        "such as '99.9%' or 0.999, got 'high'.",
        id="target-words",
    ),
    pytest.param(
        dict(spec={"sla": {"availability_target": True}}),
        "specs/orders/orders_daily.yaml:15:5: spec.sla.availability_target: expected a share "
        "such as '99.9%' or 0.999, got true.",
        id="target-boolean",
    ),
    pytest.param(
        dict(spec={"sla": {"availability_target": "0%"}}),
        "specs/orders/orders_daily.yaml:15:5: spec.sla.availability_target: expected a share "
        "such as '99.9%' or 0.999 (above 0, at most 100%), got '0%'.",
        id="target-zero",
    ),
    pytest.param(
        dict(spec={"grain": ["order_id", "order_dat"]}),
        "specs/orders/orders_daily.yaml:22:5: spec.grain[1]: unknown column 'order_dat'; it "
        "must be declared in spec.schema. Did you mean 'order_date'?",
        id="grain-column",
    ),
    pytest.param(
        dict(spec={"partitioning": {"column": "orderdate"}}),
        "specs/orders/orders_daily.yaml:18:5: spec.partitioning.column: unknown column "
        "'orderdate'; it must be declared in spec.schema. Did you mean 'order_date'?",
        id="partition-column",
    ),
    pytest.param(
        dict(spec={"partitioning": {"column": "order_id"}}),
        "specs/orders/orders_daily.yaml:18:5: spec.partitioning.column: the partition column "
        "must be a date or timestamp; 'order_id' is string. Date and timestamp columns: "
        "order_date.",
        id="partition-column-type",
    ),
    pytest.param(
        dict(spec={"partitioning": {"by": "hour"}}),
        "specs/orders/orders_daily.yaml:18:5: spec.partitioning.column: hourly partitions "
        "need a timestamp column; 'order_date' is a date.",
        id="hourly-date-column",
    ),
    pytest.param(
        dict(spec={"quality": {"custom_checks": ["revenue >= 0"]}}),
        "specs/orders/orders_daily.yaml:48:7: spec.quality.custom_checks[0]: invalid check: "
        "unknown column 'revenue'; it must be declared in spec.schema. Did you mean "
        "'revenue_usd'?",
        id="check-column",
    ),
    pytest.param(
        dict(spec={"quality": {"custom_checks": ["revenue_usd <= (select max(x) from t)"]}}),
        "specs/orders/orders_daily.yaml:48:7: spec.quality.custom_checks[0]: invalid check: "
        "subqueries are not allowed in a check. A check reads only the product's own rows; "
        "use an aggregate such as 'count(*) > 0' for a rule on the whole table.",
        id="check-subquery",
    ),
    pytest.param(
        dict(spec={"quality": {"custom_checks": ["length(read_csv('/etc/passwd')) > 0"]}}),
        "specs/orders/orders_daily.yaml:48:7: spec.quality.custom_checks[0]: invalid check: "
        "function 'read_csv' is not allowed in a check. A check may call pure scalar and "
        "aggregate functions only (no file, network or environment access).",
        id="check-read-csv",
    ),
    pytest.param(
        dict(spec={"quality": {"custom_checks": ["getenv('HOME') <> order_id"]}}),
        "specs/orders/orders_daily.yaml:48:7: spec.quality.custom_checks[0]: invalid check: "
        "function 'getenv' is not allowed in a check. A check may call pure scalar and "
        "aggregate functions only (no file, network or environment access).",
        id="check-getenv",
    ),
    pytest.param(
        dict(spec={"quality": {"custom_checks": ["revenue_usd <= 10 * avg(revenue_usd) over ()"]}}),
        "specs/orders/orders_daily.yaml:48:7: spec.quality.custom_checks[0]: invalid check: "
        "window functions are not allowed in a check. Use a row rule, or an aggregate rule on "
        "the whole table.",
        id="check-window",
    ),
    pytest.param(
        dict(spec={"quality": {"custom_checks": ["revenue_usd >= 0; revenue_usd < 1e9"]}}),
        "specs/orders/orders_daily.yaml:48:7: spec.quality.custom_checks[0]: invalid check: a "
        "check must be exactly one SQL expression; found 2 statements. Split it into one "
        "check per rule.",
        id="check-two-statements",
    ),
    pytest.param(
        dict(spec={"quality": {"custom_checks": ["revenue_usd * 100"]}}),
        "specs/orders/orders_daily.yaml:48:7: spec.quality.custom_checks[0]: invalid check: a "
        "check must be a boolean expression (true for good rows). For example 'revenue_usd >= "
        "0', or 'count(*) > 0' for the whole table.",
        id="check-not-boolean",
    ),
    pytest.param(
        dict(spec={"quality": {"custom_checks": ["sum(revenue_usd) > revenue_usd"]}}),
        "specs/orders/orders_daily.yaml:48:7: spec.quality.custom_checks[0]: invalid check: a "
        "check mixes aggregates with bare columns (revenue_usd). Use either a row rule "
        "('revenue_usd >= 0') or a table rule ('sum(revenue_usd) > 0').",
        id="check-aggregate-and-column",
    ),
    pytest.param(
        dict(spec={"quality": {"custom_checks": ["revenue_usd >= "]}}),
        "specs/orders/orders_daily.yaml:48:7: spec.quality.custom_checks[0]: invalid check: "
        "the SQL does not parse: the expression after '>=' is incomplete at column 14.",
        id="check-syntax",
    ),
    pytest.param(
        dict(spec={"quality": {"custom_checks": ["drop table orders_daily"]}}),
        "specs/orders/orders_daily.yaml:48:7: spec.quality.custom_checks[0]: invalid check: a "
        "check must be a boolean expression, not a statement. Write the condition only, such "
        "as 'revenue_usd >= 0'.",
        id="check-statement",
    ),
    pytest.param(
        dict(spec={"quality": {"custom_checks": ["uper(order_id) = order_id"]}}),
        "specs/orders/orders_daily.yaml:48:7: spec.quality.custom_checks[0]: invalid check: "
        "function 'uper' is not allowed in a check. Did you mean 'upper'?",
        id="check-function-near-miss",
    ),
    pytest.param(
        dict(
            spec={
                "quality": {"custom_checks": [{"sql": "revenue_usd >= 0", "name": "non negative"}]}
            }
        ),
        "specs/orders/orders_daily.yaml:49:7: spec.quality.custom_checks[0].name: expected a "
        "name of letters, digits and '_', at most 63 characters, got 'non negative'.",
        id="check-mapping-name",
    ),
    pytest.param(
        dict(spec={"quality": {"custom_checks": [5]}}),
        "specs/orders/orders_daily.yaml:48:7: spec.quality.custom_checks[0]: expected a SQL "
        "expression such as 'revenue_usd >= 0', or a mapping with 'sql', 'name', 'severity' "
        "and 'description', got 5.",
        id="check-number",
    ),
    pytest.param(
        dict(spec={"transform": {"sql": "select * from raw_order"}}),
        "specs/orders/orders_daily.yaml:29:5: spec.transform.sql: the transform reads "
        "'raw_order', which is not one of its inputs (views: raw_orders). Did you mean "
        "'raw_orders'?",
        id="transform-unknown-table",
    ),
    pytest.param(
        dict(spec={"transform": {"sql": "select * from read_parquet('s3://raw/x.parquet')"}}),
        "specs/orders/orders_daily.yaml:29:5: spec.transform.sql: table function "
        "'read_parquet' is not allowed in a transform; it reads only its input views. Declare "
        "external data as an input: '- source: {name, location, format}'.",
        id="transform-read-parquet",
    ),
    pytest.param(
        dict(spec={"transform": {"sql": "delete from raw_orders"}}),
        "specs/orders/orders_daily.yaml:29:5: spec.transform.sql: a transform must be one "
        "SELECT, not a DELETE statement. Write it as 'select ... from <input>'; the platform "
        "publishes the result.",
        id="transform-statement",
    ),
    pytest.param(
        dict(spec={"transform": {"python": "mesh_demo.orders:build"}}),
        "specs/orders/orders_daily.yaml:28:3: spec.transform: a transform needs exactly one "
        "of 'sql' or 'python'; this one has both. Remove spec.transform altogether for a "
        "product built outside the platform.",
        id="transform-both",
    ),
    pytest.param(
        dict(spec={"transform": {"sql": DELETE, "python": "mesh_demo.orders.build"}}),
        "specs/orders/orders_daily.yaml:29:5: spec.transform.python: expected "
        "'module:function', such as 'mesh_demo.orders:build_orders', got "
        "'mesh_demo.orders.build'.",
        id="transform-python-reference",
    ),
    pytest.param(
        dict(spec={"schedule": ["0 6 * * *"]}),
        "specs/orders/orders_daily.yaml:10:3: spec.schedule: expected a mapping, got a list.",
        id="list-for-mapping",
    ),
    pytest.param(
        dict(spec={"grain": {"order_id": True}}),
        "specs/orders/orders_daily.yaml:20:3: spec.grain: expected a list, got a mapping.",
        id="mapping-for-list",
    ),
    pytest.param(
        dict(spec={"partitioning": DELETE}),
        "specs/orders/orders_daily.yaml:13:3: spec.sla: an SLA is judged per period, so it "
        "needs spec.partitioning. Add 'partitioning: {by: day, column: <a date column>, "
        "start: <first day>}'.",
        id="sla-without-partitioning",
    ),
    pytest.param(
        dict(spec={"sla": {"available_by": "05:00"}}),
        "specs/orders/orders_daily.yaml:14:5: spec.sla.available_by: the deadline 05:00 (UTC) "
        "comes before the scheduled build of the same period at 06:00 (UTC, cron '0 6 * * "
        "*'). Move available_by after the build time, or build earlier.",
        id="deadline-before-build",
    ),
    pytest.param(
        dict(
            spec={
                "schedule": {"cron": "30 2 * * *"},
                "sla": {"available_by": DELETE, "within": "2h"},
            }
        ),
        "specs/orders/orders_daily.yaml:15:5: spec.sla.within: the deadline 2h after the "
        "period ends comes before the scheduled build, 2h30m after it (cron '30 2 * * *'). "
        "Allow more time in 'within', or build earlier.",
        id="within-before-build",
    ),
    pytest.param(
        dict(spec={"schema": {3: {"pii": True, "pii_handling": "hashed"}}}),
        "specs/orders/orders_daily.yaml:47:5: spec.schema[3].pii_handling: 'hashed' applies "
        "to string columns only; this column is double. Use 'redacted', or cast the column to "
        "string in the transform.",
        id="hashed-non-string",
    ),
    pytest.param(
        dict(spec={"schema": {2: {"pii": True, "pii_handling": "masked"}}}),
        "specs/orders/orders_daily.yaml:45:5: spec.schema[2].pii_handling: 'masked' applies "
        "to string columns only; this column is date. Use 'redacted', or cast the column to "
        "string in the transform.",
        id="masked-non-string",
    ),
    pytest.param(
        dict(spec={"schema": {0: {"pii": True, "pii_handling": "redacted"}}}),
        "specs/orders/orders_daily.yaml:38:5: spec.schema[0].pii_handling: 'redacted' "
        "publishes nulls, so the column needs 'nullable: true'. Set 'nullable: true', or use "
        "'hashed' or 'masked'.",
        id="redacted-non-nullable",
    ),
    pytest.param(
        dict(spec={"schema": {1: {"pii": False}}}),
        "specs/orders/orders_daily.yaml:40:5: spec.schema[1].pii_handling: pii_handling is "
        "set but the column is not marked 'pii: true'. Add 'pii: true', or remove "
        "pii_handling.",
        id="pii-handling-without-pii",
    ),
    pytest.param(
        dict(spec={"inputs": ["order-events"]}),
        "specs/orders/orders_daily.yaml:24:5: spec.inputs[0]: expected a mapping, got "
        "'order-events'. Write '- product: order-events' to read a product.",
        id="input-as-string",
    ),
    pytest.param(
        dict(spec={"inputs": {0: {"product": "order-events"}}}),
        "specs/orders/orders_daily.yaml:24:5: spec.inputs[0]: an input needs exactly one of "
        "'product' (another data product) or 'source' (external data); this one has both.",
        id="input-both",
    ),
    pytest.param(
        dict(metadata={"steward": "jane"}),
        "specs/orders/orders_daily.yaml:7:3: metadata.steward: expected an e-mail address "
        "such as 'jane.smith@company.com', got 'jane'.",
        id="steward-email",
    ),
    pytest.param(
        dict(metadata={"name": "Orders_Daily"}),
        "specs/orders/orders_daily.yaml:4:3: metadata.name: expected a kebab-case name of "
        "lowercase letters, digits and '-', such as 'orders-daily', got 'Orders_Daily'.",
        id="name-kebab",
    ),
    pytest.param(
        dict(spec={"schema": []}),
        "specs/orders/orders_daily.yaml:33:3: spec.schema: expected at least 1 item, got none.",
        id="schema-empty",
    ),
    pytest.param(
        dict(spec={"schema": {3: {"name": "order_id"}}, "quality": DELETE}),
        "specs/orders/orders_daily.yaml:44:5: spec.schema[3].name: column 'order_id' is "
        "declared twice.",
        id="column-twice",
    ),
    pytest.param(
        dict(spec={"transform": DELETE}),
        "specs/orders/orders_daily.yaml:23:3: spec.inputs: an externally built product (no "
        "transform) cannot have inputs. Add a spec.transform, or remove spec.inputs.",
        id="external-with-inputs",
    ),
    pytest.param(
        dict(spec={"output": {"catalog": "glue", "database": "orders"}}),
        "specs/orders/orders_daily.yaml:30:3: spec.output: 'catalog: glue' needs 'table' as well.",
        id="catalog-without-table",
    ),
    pytest.param(
        dict(spec={"consumers": {0: {"notify": True}}}),
        "specs/orders/orders_daily.yaml:50:5: spec.consumers[0]: 'notify: true' needs a "
        "'contact' address to notify.",
        id="notify-without-contact",
    ),
    pytest.param(
        dict(spec={"description": None}),
        "specs/orders/orders_daily.yaml:9:3: spec.description: expected a string, got null.",
        id="null-for-string",
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), FIELD_CASES)
def test_a_bad_field_is_reported_with_file_line_path_and_expectation(
    specs: SpecFolder, overrides: dict[str, Any], expected: str
) -> None:
    specs.product(**overrides)
    assert specs.problems() == [expected]


def _raw(specs: SpecFolder, text: str) -> list[str]:
    specs.write("orders/orders_daily.yaml", text)
    return specs.problems()


def test_duplicate_yaml_keys_are_errors_not_silently_merged(specs: SpecFolder) -> None:
    text = dump_yaml(product_data()).replace(
        "    nullable: false\n  - name: customer_id",
        "    nullable: false\n    nullable: true\n  - name: customer_id",
    )
    assert _raw(specs, text) == [
        "specs/orders/orders_daily.yaml:37:5: spec.schema[0].nullable: duplicate key "
        "'nullable' (first defined on line 36). Remove one of them: YAML would silently keep "
        "only the last."
    ]


def test_a_yaml_syntax_error_names_its_line(specs: SpecFolder) -> None:
    text = dump_yaml(product_data()).replace("  grain:\n  - order_id\n", "  grain: [order_id\n")
    assert _raw(specs, text) == [
        "specs/orders/orders_daily.yaml:22:9: invalid YAML: the '[' on line 20 is not closed "
        "where expected. Close the bracket, or quote a value that contains ',', ':' or brackets."
    ]


def test_a_bad_indentation_names_its_line(specs: SpecFolder) -> None:
    text = dump_yaml(product_data()).replace("  domain: orders", "   domain: orders")
    assert _raw(specs, text) == [
        "specs/orders/orders_daily.yaml:5:10: invalid YAML: a ':' is not allowed here. Check "
        "this line's indentation, or quote a value that contains ': '."
    ]


def test_a_tab_in_the_indentation_is_explained(specs: SpecFolder) -> None:
    text = dump_yaml(product_data()).replace("  domain: orders", "\tdomain: orders")
    assert _raw(specs, text) == [
        "specs/orders/orders_daily.yaml:5:1: invalid YAML: a tab character where YAML expects "
        "spaces. Indent with spaces; YAML does not allow tabs for indentation."
    ]


def test_an_unquoted_cron_starting_with_a_star_is_explained(specs: SpecFolder) -> None:
    text = dump_yaml(product_data()).replace("cron: 0 6 * * *", "cron: * 6 * * *")
    assert _raw(specs, text) == [
        "specs/orders/orders_daily.yaml:11:12: invalid YAML: a value that starts with '*' must "
        'be quoted. For example cron: "0 * * * *".'
    ]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_an_empty_file_is_an_error(specs: SpecFolder, text: str) -> None:
    assert _raw(specs, text) == [
        "specs/orders/orders_daily.yaml:1:1: file is empty; expected a DataProduct or "
        "MeshPolicy document."
    ]


def test_a_list_at_the_top_of_a_file_is_an_error(specs: SpecFolder) -> None:
    assert _raw(specs, "- name: orders-daily\n- name: orders-hourly\n") == [
        "specs/orders/orders_daily.yaml:1:1: expected a mapping with apiVersion, kind, "
        "metadata and spec; got a list."
    ]


def test_two_documents_in_one_file_are_an_error(specs: SpecFolder) -> None:
    text = dump_yaml(product_data())
    assert _raw(specs, f"{text}---\n{text}") == [
        "specs/orders/orders_daily.yaml:53:1: more than one YAML document; put each product "
        "in its own file."
    ]


def test_an_unknown_kind_suggests_the_near_miss(specs: SpecFolder) -> None:
    specs.product(kind="DataProdcut")
    assert specs.problems() == [
        "specs/orders/orders_daily.yaml:2:1: kind: expected 'DataProduct' or 'MeshPolicy', "
        "got 'DataProdcut'. Did you mean 'DataProduct'?"
    ]


def test_an_unknown_input_suggests_the_near_miss(specs: SpecFolder) -> None:
    specs.product("order-events", spec={"transform": DELETE, "inputs": DELETE})
    specs.product(inputs=["order-event"])
    assert specs.problems() == [
        "specs/orders/orders_daily.yaml:24:5: spec.inputs[0].product: unknown product "
        "'order-event'; an input must name a product of the mesh. Did you mean 'order-events'?"
    ]


def test_an_input_cycle_is_named(specs: SpecFolder) -> None:
    specs.product("orders-daily", inputs=["orders-weekly"])
    specs.product("orders-weekly", inputs=["orders-monthly"])
    specs.product("orders-monthly", inputs=["orders-daily"])
    assert specs.problems() == [
        "specs/orders/orders_daily.yaml:24:5: spec.inputs[0].product: inputs form a cycle: "
        "orders-daily -> orders-weekly -> orders-monthly -> orders-daily. A product cannot "
        "depend on itself, directly or through other products."
    ]


def test_a_product_reading_itself_is_reported_once(specs: SpecFolder) -> None:
    specs.product(inputs=["orders-daily"])
    assert specs.problems() == [
        "specs/orders/orders_daily.yaml:24:5: spec.inputs[0].product: a product cannot read itself."
    ]


def test_duplicate_product_names_across_files_are_errors(specs: SpecFolder) -> None:
    specs.product()
    specs.product(file="finance/orders_copy.yaml")
    assert specs.problems() == [
        "specs/orders/orders_daily.yaml:4:3: metadata.name: product name 'orders-daily' is "
        "already used by specs/finance/orders_copy.yaml:4. Product names must be unique "
        "across the mesh."
    ]


def test_an_invalid_upstream_is_reported_once_not_also_as_unknown(specs: SpecFolder) -> None:
    specs.product("order-events", spec={"transform": DELETE, "inputs": DELETE, "grain": 1})
    specs.product(inputs=["order-events"])
    assert specs.problems() == [
        "specs/orders/order_events.yaml:20:3: spec.grain: expected a list, got 1."
    ]


def test_every_problem_of_every_file_is_reported_in_one_run(specs: SpecFolder) -> None:
    specs.policy(domains={"orders": {"alert_channels": ["orders-slak"]}})
    specs.product(
        spec={"schedule": {"cron": "0 6 * *"}, "schema": {2: {"nullabel": False}}},
    )
    specs.product(
        "payments-daily",
        "payments",
        inputs=["order-daily"],
        metadata={"steward": "jane@gmail.com"},
        spec={"grain": ["payment_id"]},
    )
    specs.write("shipments/empty.yaml", "")
    assert specs.problems() == [
        "specs/mesh.yaml:19:7: domains.orders.alert_channels[0]: unknown alert channel "
        "'orders-slak'; declare it under alert_channels. Did you mean 'orders-slack'?",
        "specs/orders/orders_daily.yaml:11:5: spec.schedule.cron: invalid cron expression "
        "'0 6 * *'; expected 5 fields (minute hour day-of-month month day-of-week), got 4. "
        "For example '0 6 * * *' runs every day at 06:00.",
        "specs/orders/orders_daily.yaml:44:5: spec.schema[2].nullabel: unknown field. Did you "
        "mean 'nullable'?",
        "specs/payments/payments_daily.yaml:7:3: metadata.steward: the mesh policy requires a "
        "steward address at @company.com; got 'jane@gmail.com'.",
        "specs/payments/payments_daily.yaml:21:5: spec.grain[0]: unknown column 'payment_id'; "
        "it must be declared in spec.schema.",
        "specs/payments/payments_daily.yaml:23:5: spec.inputs[0].product: unknown product "
        "'order-daily'; an input must name a product of the mesh. Did you mean 'orders-daily'?",
        "specs/shipments/empty.yaml:1:1: file is empty; expected a DataProduct or MeshPolicy "
        "document.",
    ]


def product(name: str = "orders-daily", domain: str = "orders", **overrides: Any) -> dict[str, Any]:
    """Return the arguments of ``SpecFolder.product`` for a policy case."""
    return {"name": name, "domain": domain, **overrides}


# The example policy with one override, and one product judged by it.
POLICY_CASES = [
    pytest.param(
        {},
        product(metadata={"steward": "jane@gmail.com"}),
        [
            "specs/orders/orders_daily.yaml:7:3: metadata.steward: the mesh policy requires a "
            "steward address at @company.com; got 'jane@gmail.com'.",
        ],
        id="steward-domain",
    ),
    pytest.param(
        {},
        product(spec={"consumers": DELETE}),
        [
            "specs/orders/orders_daily.yaml:8:1: spec: the mesh policy requires at least 1 "
            "consumer in spec.consumers; found none. Add '- {team: <team>, use_case: <what "
            "they use it for>}' under spec.consumers.",
        ],
        id="min-consumers-none",
    ),
    pytest.param(
        {"rules": {"min_consumers": 2}},
        product(),
        [
            "specs/orders/orders_daily.yaml:49:3: spec.consumers: the mesh policy requires at "
            "least 2 consumers in spec.consumers; found 1. Add '- {team: <team>, use_case: "
            "<what they use it for>}' under spec.consumers.",
        ],
        id="min-consumers-more",
    ),
    pytest.param(
        {},
        product(spec={"output": {"location": "s3://scratch/orders_daily/"}}),
        [
            "specs/orders/orders_daily.yaml:32:5: spec.output.location: the mesh policy "
            "requires output locations under 's3://data-platform/products/orders/'; got "
            "'s3://scratch/orders_daily/'. For example "
            "'s3://data-platform/products/orders/orders_daily/'.",
        ],
        id="output-location",
    ),
    pytest.param(
        {},
        product(
            spec={"output": {"location": "s3://data-platform/products/payments/orders_daily/"}}
        ),
        [
            "specs/orders/orders_daily.yaml:32:5: spec.output.location: the mesh policy "
            "requires output locations under 's3://data-platform/products/orders/'; got "
            "'s3://data-platform/products/payments/orders_daily/'. For example "
            "'s3://data-platform/products/orders/orders_daily/'.",
        ],
        id="output-location-other-domain",
    ),
    pytest.param(
        {},
        product(spec={"schema": {1: {"pii_handling": DELETE}}}),
        [
            "specs/orders/orders_daily.yaml:39:5: spec.schema[1].pii: the mesh policy "
            "requires pii_handling on every PII column; 'customer_id' has none. Expected one "
            "of: hashed, masked, redacted.",
        ],
        id="pii-handling-required",
    ),
    pytest.param(
        {},
        product("payments-daily", "payments", spec={"sla": {"availability_target": "99.5%"}}),
        [
            "specs/payments/payments_daily.yaml:15:5: spec.sla.availability_target: the "
            "policy of domain 'payments' requires an availability_target of at least 99.9%; "
            "got 99.5%.",
        ],
        id="availability-below-domain-minimum",
    ),
    pytest.param(
        {"defaults": {"availability_target": "98%"}},
        product(spec={"sla": {"availability_target": DELETE}}),
        [
            "specs/orders/orders_daily.yaml:13:3: spec.sla: the mesh policy requires an "
            "availability_target of at least 99%; got 98% (the policy's default).",
        ],
        id="availability-default-below-minimum",
    ),
    pytest.param(
        {},
        product(spec={"quality": {"freshness_sla_hours": 48}}),
        [
            "specs/orders/orders_daily.yaml:49:5: spec.quality.freshness_sla_hours: the mesh "
            "policy allows freshness_sla_hours of at most 24; got 48.",
        ],
        id="freshness-above-maximum",
    ),
    pytest.param(
        {"rules": {"required_tags": ["tier"]}},
        product(),
        [
            "specs/orders/orders_daily.yaml:3:1: metadata: the mesh policy requires the tag "
            "'tier' in metadata.tags.",
        ],
        id="required-tag",
    ),
    pytest.param(
        {},
        product(spec={"alerts": {"channels": ["payments-mail"]}}),
        [
            "specs/orders/orders_daily.yaml:54:7: spec.alerts.channels[0]: unknown alert "
            "channel 'payments-mail'; channels are declared in mesh.yaml. Did you mean "
            "'payments-email'?",
        ],
        id="unknown-spec-channel",
    ),
    pytest.param(
        {"domains": {"orders": {"alert_channels": ["orders-slak"]}}},
        product(),
        [
            "specs/mesh.yaml:19:7: domains.orders.alert_channels[0]: unknown alert channel "
            "'orders-slak'; declare it under alert_channels. Did you mean 'orders-slack'?",
        ],
        id="unknown-domain-channel",
    ),
    pytest.param(
        {"domains": {"orders": {"rules": {"min_consumers": 0}}}},
        product(),
        [
            "specs/mesh.yaml:21:7: domains.orders.rules.min_consumers: a domain may tighten a "
            "global rule but not loosen it: 0 is lower than the global 1.",
        ],
        id="loosened-min-consumers",
    ),
    pytest.param(
        {"domains": {"orders": {"rules": {"steward_email_domains": ["company.com", "gmail.com"]}}}},
        product(),
        [
            "specs/mesh.yaml:21:7: domains.orders.rules.steward_email_domains: a domain may "
            "tighten a global rule but not loosen it: it allows gmail.com, which the global "
            "rule does not.",
        ],
        id="loosened-steward-domains",
    ),
    pytest.param(
        {"domains": {"orders": {"rules": {"pii_requires_handling": False}}}},
        product(),
        [
            "specs/mesh.yaml:21:7: domains.orders.rules.pii_requires_handling: a domain may "
            "tighten a global rule but not loosen it: false turns off the global requirement.",
        ],
        id="loosened-pii-rule",
    ),
    pytest.param(
        {"domains": {"orders": {"rules": {"output_locations": "s3://scratch/"}}}},
        product(),
        [
            "specs/mesh.yaml:21:7: domains.orders.rules.output_locations: a domain may "
            "tighten a global rule but not loosen it: 's3://scratch/' is outside the global "
            "'s3://data-platform/products/orders/'.",
        ],
        id="loosened-output-locations",
    ),
    pytest.param(
        {"domains": {"payments": {"rules": {"min_availability_target": 0.95}}}},
        product(),
        [
            "specs/mesh.yaml:24:7: domains.payments.rules.min_availability_target: a domain "
            "may tighten a global rule but not loosen it: 95% is lower than the global 99%.",
        ],
        id="loosened-availability",
    ),
    pytest.param(
        {"domains": {"orders": {"rules": {"max_freshness_sla_hours": 48}}}},
        product(),
        [
            "specs/mesh.yaml:21:7: domains.orders.rules.max_freshness_sla_hours: a domain may "
            "tighten a global rule but not loosen it: 48 is higher than the global 24.",
        ],
        id="loosened-freshness",
    ),
    pytest.param(
        {"alert_channels": {"orders-slack": {"kind": "teams"}}},
        product(),
        [
            "specs/mesh.yaml:27:5: alert_channels.orders-slack.kind: expected 'email', "
            "'pagerduty', 'slack' or 'webhook', got 'teams'.",
        ],
        id="channel-kind",
    ),
    pytest.param(
        {
            "alert_channels": {
                "orders-slack": {
                    "webhook_url": "https://hooks.slack.com/x",
                    "webhook_url_env": DELETE,
                }
            }
        },
        product(),
        [
            "specs/mesh.yaml:26:3: alert_channels.orders-slack.webhook_url_env: required "
            "field is missing. Expected: Environment variable holding the webhook URL.",
            "specs/mesh.yaml:28:5: alert_channels.orders-slack.webhook_url: unknown field. "
            "Did you mean 'webhook_url_env'?",
        ],
        id="channel-field",
    ),
    pytest.param(
        {"rules": {"min_consumer": 1}},
        product(),
        [
            "specs/mesh.yaml:16:3: rules.min_consumer: unknown field. Did you mean "
            "'min_consumers'?",
        ],
        id="policy-field",
    ),
    pytest.param(
        {"defaults": {"timezone": "Europe/Pariss"}},
        product(),
        [
            "specs/mesh.yaml:4:3: defaults.timezone: unknown timezone 'Europe/Pariss'; "
            "expected an IANA name such as 'UTC' or 'Europe/Berlin'. Did you mean "
            "'Europe/Paris'?",
        ],
        id="policy-timezone",
    ),
]


@pytest.mark.parametrize(("policy", "product_args", "expected"), POLICY_CASES)
def test_a_policy_violation_is_reported_where_it_is_made(
    specs: SpecFolder,
    policy: dict[str, Any],
    product_args: dict[str, Any],
    expected: list[str],
) -> None:
    specs.policy(**policy)
    specs.product(**product_args)
    assert specs.problems() == expected


def test_only_one_policy_is_allowed(specs: SpecFolder) -> None:
    specs.policy()
    specs.write("payments/mesh.yaml", (specs.root / "mesh.yaml").read_text())
    specs.product()
    assert specs.problems() == [
        "specs/payments/mesh.yaml:2:1: kind: only one MeshPolicy is allowed; the first is "
        "specs/mesh.yaml."
    ]


def test_an_invalid_policy_does_not_make_products_fail_its_defaults(specs: SpecFolder) -> None:
    specs.policy(rules={"min_consumers": "one"})
    specs.product(spec={"alerts": {"channels": ["orders-slack"]}})
    assert specs.problems() == [
        "specs/mesh.yaml:9:3: rules.min_consumers: expected an integer, got 'one'."
    ]


def test_a_control_character_is_located_not_a_traceback(specs: SpecFolder) -> None:
    text = dump_yaml(product_data()).replace("Daily orders.", "Daily\x07orders.")
    assert _raw(specs, text) == [
        "specs/orders/orders_daily.yaml:9:21: invalid YAML: the character U+0007 is not "
        "allowed in a YAML file. Remove it; it is often pasted in by accident."
    ]


def test_an_unterminated_string_in_a_check_is_a_problem_not_a_crash(specs: SpecFolder) -> None:
    specs.product(spec={"quality": {"custom_checks": ["order_id <> 'x"]}})
    assert specs.problems() == [
        "specs/orders/orders_daily.yaml:48:7: spec.quality.custom_checks[0]: invalid check: "
        "the SQL does not parse (an unclosed quote?)."
    ]
