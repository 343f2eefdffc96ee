"""diff_meshes: every kind of change, classified breaking or compatible, with its message."""

from __future__ import annotations

from typing import Any

import pytest
from spec_folder import DELETE, SpecFolder, product_data

from mesh_dagster.spec.column_diff import type_widens
from mesh_dagster.spec.diff import MeshDiff, ProductDiff, diff_meshes

BASE_SCHEMA: list[dict[str, Any]] = product_data()["spec"]["schema"]
ORDER_ID, CUSTOMER_ID, ORDER_DATE, REVENUE = BASE_SCHEMA

Change = tuple[str, bool, str]


def _diff(specs: SpecFolder, before: dict[str, Any], after: dict[str, Any]) -> MeshDiff:
    specs.product(**before)
    base = specs.load()
    specs.product(**after)
    return diff_meshes(base, specs.load())


def _changes(product: ProductDiff) -> list[Change]:
    return [(change.kind, change.breaking, change.message) for change in product.changes]


def _schema(*columns: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"schema": list(columns)}}


CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[Change]]] = [
    (
        "column removed",
        {},
        _schema(ORDER_ID, ORDER_DATE, REVENUE),
        [("column_removed", True, "column 'customer_id' (string) is removed")],
    ),
    (
        "column renamed: removed and added with the same type",
        {},
        _schema(ORDER_ID, {**CUSTOMER_ID, "name": "client_id"}, ORDER_DATE, REVENUE),
        [
            (
                "column_renamed",
                True,
                "column 'customer_id' is removed, apparently renamed to 'client_id' "
                "(added with the same type, string)",
            )
        ],
    ),
    (
        "column added",
        {},
        _schema(*BASE_SCHEMA, {"name": "channel", "type": "string"}),
        [("column_added", False, "column 'channel' (string) is added")],
    ),
    (
        "type widened",
        _schema(ORDER_ID, CUSTOMER_ID, ORDER_DATE, {**REVENUE, "type": "integer"}),
        _schema(ORDER_ID, CUSTOMER_ID, ORDER_DATE, {**REVENUE, "type": "bigint"}),
        [
            (
                "column_type_changed",
                False,
                "column 'revenue_usd' changes type from integer to bigint, which widens",
            )
        ],
    ),
    (
        "type narrowed",
        {},
        _schema(ORDER_ID, CUSTOMER_ID, ORDER_DATE, {**REVENUE, "type": "decimal(18,2)"}),
        [
            (
                "column_type_changed",
                True,
                "column 'revenue_usd' changes type from double to decimal(18,2), "
                "which does not widen",
            )
        ],
    ),
    (
        "nullable false -> true",
        {},
        {"spec": {"schema": {0: {"nullable": True}}}},
        [("column_nullable_changed", True, "column 'order_id' may now be null")],
    ),
    (
        "nullable true -> false",
        {},
        {"spec": {"schema": {3: {"nullable": False}}}},
        [
            (
                "column_nullable_changed",
                False,
                "column 'revenue_usd' is now required to be non-null",
            )
        ],
    ),
    (
        "PII handling changed",
        {},
        {"spec": {"schema": {1: {"pii_handling": "masked"}}}},
        [
            (
                "column_pii_handling_changed",
                True,
                "column 'customer_id' changes PII handling from hashed to masked, "
                "so its published values change",
            )
        ],
    ),
    (
        "column description",
        {},
        {"spec": {"schema": {3: {"description": "Revenue in US dollars."}}}},
        [("column_description_changed", False, "column 'revenue_usd' has a new description")],
    ),
    (
        "grain changed",
        {},
        {"spec": {"grain": ["order_id"]}},
        [("grain_changed", True, "the grain (the columns identifying one row) changes")],
    ),
    (
        "grain reordered only",
        {},
        {"spec": {"grain": ["order_date", "order_id"]}},
        [],
    ),
    (
        "partitioning changed",
        {},
        {"spec": {"partitioning": {"by": "month"}}},
        [
            (
                "partitioning_changed",
                True,
                "partitioning changes, so periods no longer map to the same partitions",
            )
        ],
    ),
    (
        "partitioning starts earlier",
        {},
        {"spec": {"partitioning": {"start": "2025-01-01"}}},
        [
            (
                "partitioning_changed",
                False,
                "partitioning starts earlier, so more periods are published",
            )
        ],
    ),
    (
        "SLA later",
        {},
        {"spec": {"sla": {"available_by": "09:30"}}},
        [
            (
                "sla_deadline_changed",
                True,
                "the SLA deadline moves later: available by 07:00 UTC -> available by 09:30 UTC",
            )
        ],
    ),
    (
        "SLA earlier",
        {},
        {"spec": {"sla": {"available_by": "06:45"}}},
        [
            (
                "sla_deadline_changed",
                False,
                "the SLA deadline moves earlier: available by 07:00 UTC -> available by 06:45 UTC",
            )
        ],
    ),
    (
        "SLA in a timezone where 07:00 is later",
        {},
        {"spec": {"sla": {"timezone": "America/New_York"}}},
        [
            (
                "sla_deadline_changed",
                True,
                "the SLA deadline moves later: available by 07:00 UTC -> "
                "available by 07:00 America/New_York",
            )
        ],
    ),
    (
        "availability target lower",
        {},
        {"spec": {"sla": {"availability_target": "99%"}}},
        [
            (
                "sla_target_changed",
                True,
                "the availability target is lowered: 99.9% -> 99%",
            )
        ],
    ),
    (
        "availability target higher",
        {},
        {"spec": {"sla": {"availability_target": "99.99%"}}},
        [("sla_target_changed", False, "the availability target is raised: 99.9% -> 99.99%")],
    ),
    (
        "SLA dropped",
        {},
        {"spec": {"sla": DELETE}},
        [("sla_removed", True, "the SLA (available by 07:00 UTC) is dropped")],
    ),
    (
        "stricter quality",
        {},
        {
            "spec": {
                "quality": {
                    "completeness_threshold": 1.0,
                    "freshness_sla_hours": 2,
                    "custom_checks": ["revenue_usd >= 0", "order_id <> ''"],
                }
            }
        },
        [
            ("quality_freshness_changed", False, "a freshness window of 2 hours is set"),
            ("quality_check_added", False, "check 'order_id <> ''' is added"),
        ],
    ),
    (
        "looser quality",
        {"spec": {"quality": {"completeness_threshold": 0.999, "freshness_sla_hours": 2}}},
        {"spec": {"quality": {"completeness_threshold": 0.99, "custom_checks": []}}},
        [
            (
                "quality_completeness_changed",
                True,
                "the completeness threshold is lowered: 99.9% -> 99%",
            ),
            (
                "quality_freshness_changed",
                True,
                "the freshness window of 2 hours is dropped",
            ),
            (
                "quality_check_removed",
                True,
                "check 'revenue_usd >= 0' is removed; consumers lose its guarantee",
            ),
        ],
    ),
    (
        "check severity lowered",
        {
            "spec": {
                "quality": {"custom_checks": [{"name": "no_refunds", "sql": "revenue_usd >= 0"}]}
            }
        },
        {
            "spec": {
                "quality": {
                    "custom_checks": [
                        {"name": "no_refunds", "sql": "revenue_usd >= 0", "severity": "warn"}
                    ]
                }
            }
        },
        [
            (
                "quality_check_severity_changed",
                True,
                "check 'no_refunds' no longer blocks publishing",
            )
        ],
    ),
    (
        "description, owner, steward and consumers",
        {},
        {
            "metadata": {"owner": "sales-team", "steward": "joe@company.com"},
            "spec": {
                "description": "Daily orders, now documented.",
                "consumers": [{"team": "marketing", "use_case": "Campaigns"}],
            },
        },
        [
            ("owner_changed", False, "owner changes from orders-team to sales-team"),
            (
                "steward_changed",
                False,
                "steward changes from jane@company.com to joe@company.com",
            ),
            ("description_changed", False, "the description changes"),
            ("consumers_changed", False, "consumer 'finance' no longer listed"),
            ("consumers_changed", False, "consumer 'marketing' added"),
        ],
    ),
    (
        "output location",
        {},
        {"spec": {"output": {"location": "s3://data-platform/products/orders/orders_v2/"}}},
        [
            (
                "output_changed",
                True,
                "output location changes from s3://data-platform/products/orders/orders_daily/ "
                "to s3://data-platform/products/orders/orders_v2/; readers of the table must "
                "follow it",
            )
        ],
    ),
    (
        "schedule and transform are internal",
        {},
        {"spec": {"schedule": {"cron": "0 5 * * *"}, "transform": {"sql": "select 1 as x"}}},
        [
            (
                "schedule_changed",
                False,
                "the build schedule changes (the SLA is the commitment to consumers)",
            ),
            ("transform_changed", False, "the transform changes"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_change_is_classified(
    specs: SpecFolder, before: dict[str, Any], after: dict[str, Any], expected: list[Change]
) -> None:
    diff = _diff(specs, before, after)
    changes = [] if not diff.products else _changes(diff.product("orders-daily"))
    assert changes == expected
    assert diff.is_breaking == any(breaking for _, breaking, _ in expected)


def test_an_unchanged_mesh_has_no_diff(specs: SpecFolder) -> None:
    diff = _diff(specs, {}, {})
    assert (diff.products, diff.is_breaking, diff.breaking_count) == ((), False, 0)


def test_removed_and_new_products(specs: SpecFolder) -> None:
    specs.product()
    specs.product("payments-daily", "payments")
    base = specs.load()
    (specs.root / "payments" / "payments_daily.yaml").unlink()
    specs.product("refunds-daily", "payments", spec={"schema": {3: {"type": "bigint"}}})
    diff = diff_meshes(base, specs.load())
    assert [(p.name, p.status, _changes(p)) for p in diff.products] == [
        (
            "payments-daily",
            "removed",
            [
                (
                    "product_removed",
                    True,
                    "product 'payments-daily' is removed; its consumers lose their data",
                )
            ],
        ),
        ("refunds-daily", "added", [("product_added", False, "new product 'refunds-daily'")]),
    ]


def test_a_product_renamed_keeps_its_changes(specs: SpecFolder) -> None:
    specs.product("payments-daily", "payments")
    base = specs.load()
    (specs.root / "payments" / "payments_daily.yaml").unlink()
    specs.product("payments-by-day", "payments", spec={"description": "Renamed."})
    product = diff_meshes(base, specs.load()).product("payments-daily")
    assert (product.status, product.new_name) == ("renamed", "payments-by-day")
    assert _changes(product)[0] == (
        "product_renamed",
        True,
        "product 'payments-daily' is removed, apparently renamed to 'payments-by-day' "
        "(added with the same domain and columns)",
    )


@pytest.mark.parametrize(
    ("old_version", "new_version", "check", "expected"),
    [
        ("1.2.0", "1.3.0", "not_bumped", "2.0.0"),
        ("1.2.0", DELETE, "not_bumped", "2.0.0"),
        ("1.2.0", "2.0.0", "bumped", None),
        (DELETE, "1.0.0", "bumped", None),
        (DELETE, DELETE, "undeclared", None),
    ],
)
def test_a_breaking_change_needs_a_major_version_bump(
    specs: SpecFolder, old_version: Any, new_version: Any, check: str, expected: str | None
) -> None:
    diff = _diff(
        specs,
        {"metadata": {"version": old_version}},
        {"metadata": {"version": new_version}, "spec": {"grain": ["order_id"]}},
    )
    product = diff.product("orders-daily")
    assert (product.version_check, product.expected_version) == (check, expected)


def test_a_compatible_change_needs_no_bump(specs: SpecFolder) -> None:
    diff = _diff(specs, {"metadata": {"version": "1.0.0"}}, {"spec": {"description": "New."}})
    assert diff.product("orders-daily").version_check == "not_needed"


def test_a_lower_policy_default_target_is_breaking(specs: SpecFolder) -> None:
    specs.policy()
    specs.product(spec={"sla": {"availability_target": DELETE}})
    base = specs.load()
    specs.policy(defaults={"availability_target": "99.2%"})
    diff = diff_meshes(base, specs.load())
    assert _changes(diff.product("orders-daily")) == [
        ("sla_target_changed", True, "the availability target is lowered: 99.5% -> 99.2%")
    ]


@pytest.mark.parametrize(
    ("old", "new", "widens"),
    [
        ("integer", "bigint", True),
        ("integer", "double", True),
        ("integer", "decimal(12,2)", True),
        ("integer", "decimal(10,2)", False),
        ("bigint", "double", False),
        ("bigint", "integer", False),
        ("decimal(10,2)", "decimal(12,4)", True),
        ("decimal(10,2)", "decimal(12,1)", False),
        ("decimal(10,2)", "decimal(10,3)", False),
        ("double", "string", False),
        ("date", "timestamp", False),
    ],
)
def test_which_types_widen(old: str, new: str, widens: bool) -> None:
    assert type_widens(old, new) is widens
