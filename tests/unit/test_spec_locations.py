"""Locations: only S3 and local paths, normalized, under the policy's prefix, never shared."""

from __future__ import annotations

from pathlib import Path

import pytest
from spec_folder import DELETE, SpecFolder

from mesh_dagster.spec import load_mesh
from mesh_dagster.spec.locations import Location, LocationError, parse_location

WHERE = "specs/orders/orders_daily.yaml:32:5: spec.output.location: "
EXPECTED = "'s3://bucket/prefix/' or a local path"
BUCKET_RULE = (
    "Bucket names are 3 to 63 lower-case letters, digits, '.' and '-', and begin and end with "
    "a letter or a digit."
)
DOTDOT = "Name the folder directly: '..' could reach outside the folders it seems to name."
OTHER_SCHEME = "Only 's3://' URIs and local paths are supported."


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("s3://data-platform/products/orders/", "s3://data-platform/products/orders"),
        ("s3://data-platform/products/orders", "s3://data-platform/products/orders"),
        ("s3://my.bucket-1/a/b/c", "s3://my.bucket-1/a/b/c"),
        ("tables/orders/", "tables/orders"),
        ("/srv/tables/orders", "/srv/tables/orders"),
        ("orders", "orders"),
    ],
)
def test_an_accepted_location_is_normalized(text: str, normalized: str) -> None:
    assert parse_location(text).text == normalized


def test_the_same_folder_with_or_without_a_trailing_slash_is_one_location() -> None:
    shared = parse_location("s3://data-platform/products/shared")
    assert parse_location("s3://data-platform/products/shared/") == shared


def test_containment_is_decided_segment_by_segment() -> None:
    orders = parse_location("s3://data-platform/products/orders")
    assert orders.contains(parse_location("s3://data-platform/products/orders/daily/"))
    assert orders.contains(orders)
    assert not orders.contains(parse_location("s3://data-platform/products/orders-evil/x"))
    assert not parse_location("/data/orders").contains(parse_location("data/orders/x"))


def test_a_policy_prefix_may_be_a_whole_bucket_but_a_table_may_not() -> None:
    assert parse_location("s3://data-platform/", prefix=True) == Location("s3", ("data-platform",))
    with pytest.raises(LocationError):
        parse_location("s3://data-platform/")


# (location as written in the spec, the message after the field path, the hint or None)
REJECTED = [
    pytest.param("", f"expected {EXPECTED}, got ''.", None, id="empty"),
    pytest.param(
        ".", f"'.' names no folder; expected {EXPECTED} to a folder of its own.", None, id="dot"
    ),
    pytest.param(
        "/", f"'/' names no folder; expected {EXPECTED} to a folder of its own.", None, id="root"
    ),
    pytest.param(
        "file:///etc",
        f"unsupported scheme 'file:' in 'file:///etc'; expected {EXPECTED}.",
        "Write the path itself, without 'file://'.",
        id="file",
    ),
    pytest.param(
        "http://example.com/orders/",
        f"unsupported scheme 'http:' in 'http://example.com/orders/'; expected {EXPECTED}.",
        OTHER_SCHEME,
        id="http",
    ),
    pytest.param(
        "https://example.com/orders/",
        f"unsupported scheme 'https:' in 'https://example.com/orders/'; expected {EXPECTED}.",
        OTHER_SCHEME,
        id="https",
    ),
    pytest.param(
        "gs://data-platform/orders/",
        f"unsupported scheme 'gs:' in 'gs://data-platform/orders/'; expected {EXPECTED}.",
        OTHER_SCHEME,
        id="gs",
    ),
    pytest.param(
        "ftp://example.com/orders/",
        f"unsupported scheme 'ftp:' in 'ftp://example.com/orders/'; expected {EXPECTED}.",
        OTHER_SCHEME,
        id="ftp",
    ),
    pytest.param(
        "S3://data-platform/orders/",
        f"expected {EXPECTED}, got 'S3://data-platform/orders/'.",
        "S3 locations begin with 's3://'.",
        id="s3-upper-case",
    ),
    pytest.param(
        "s3:/data-platform/orders/",
        f"expected {EXPECTED}, got 's3:/data-platform/orders/'.",
        "S3 locations begin with 's3://'.",
        id="s3-one-slash",
    ),
    pytest.param(
        "s3://", "'s3://' names no bucket; expected 's3://bucket/prefix/'.", None, id="no-bucket"
    ),
    pytest.param(
        "s3:///orders/",
        "'s3:///orders/' names no bucket; expected 's3://bucket/prefix/'.",
        None,
        id="empty-bucket",
    ),
    pytest.param(
        "s3://data-platform",
        "'s3://data-platform' names a bucket but no prefix; expected 's3://bucket/prefix/'.",
        "A table needs a folder of its own in the bucket, e.g. 's3://data-platform/<table>/'.",
        id="bucket-only",
    ),
    pytest.param(
        "s3://data-platform/",
        "'s3://data-platform/' names a bucket but no prefix; expected 's3://bucket/prefix/'.",
        "A table needs a folder of its own in the bucket, e.g. 's3://data-platform/<table>/'.",
        id="bucket-only-slash",
    ),
    pytest.param(
        "s3://Data_Platform/orders/",
        "'Data_Platform' is not a valid S3 bucket name: it may hold only lower-case letters, "
        "digits, '.' and '-'; got 's3://Data_Platform/orders/'.",
        BUCKET_RULE,
        id="bucket-characters",
    ),
    pytest.param(
        "s3://ab/orders/",
        "'ab' is not a valid S3 bucket name: it has 2 characters, not 3 to 63; got "
        "'s3://ab/orders/'.",
        BUCKET_RULE,
        id="bucket-short",
    ),
    pytest.param(
        "s3://-data/orders/",
        "'-data' is not a valid S3 bucket name: it must begin and end with a letter or a "
        "digit; got 's3://-data/orders/'.",
        BUCKET_RULE,
        id="bucket-edge",
    ),
    pytest.param(
        "s3://data..platform/orders/",
        "'data..platform' is not a valid S3 bucket name: it may not hold two periods in a row; "
        "got 's3://data..platform/orders/'.",
        BUCKET_RULE,
        id="bucket-periods",
    ),
    pytest.param(
        "s3://10.0.0.1/orders/",
        "'10.0.0.1' is not a valid S3 bucket name: it may not look like an IP address; got "
        "'s3://10.0.0.1/orders/'.",
        BUCKET_RULE,
        id="bucket-ip",
    ),
    pytest.param(
        "s3://xn--data/orders/",
        "'xn--data' is not a valid S3 bucket name: 'xn--' is reserved by AWS; got "
        "'s3://xn--data/orders/'.",
        BUCKET_RULE,
        id="bucket-reserved",
    ),
    pytest.param(
        "s3://data-platform/products/orders/../../../../../escaped/",
        "'..' segments are not allowed in a location; got "
        "'s3://data-platform/products/orders/../../../../../escaped/'.",
        DOTDOT,
        id="s3-dotdot",
    ),
    pytest.param(
        "../escaped",
        "'..' segments are not allowed in a location; got '../escaped'.",
        DOTDOT,
        id="local-dotdot",
    ),
    pytest.param(
        "..", "'..' segments are not allowed in a location; got '..'.", DOTDOT, id="dotdot"
    ),
    pytest.param(
        "s3://data-platform/products/./orders/",
        "'.' segments are not allowed in a location; got 's3://data-platform/products/./orders/'.",
        "Write 's3://data-platform/products/orders/'.",
        id="s3-dot",
    ),
    pytest.param(
        "./tables/orders",
        "'.' segments are not allowed in a location; got './tables/orders'.",
        "Write 'tables/orders'.",
        id="local-dot",
    ),
    pytest.param(
        "s3://data-platform/products//orders/",
        "empty segments ('//') are not allowed in a location; got "
        "'s3://data-platform/products//orders/'.",
        "Write 's3://data-platform/products/orders/'.",
        id="s3-empty-segment",
    ),
    pytest.param(
        "s3://data-platform//",
        "empty segments ('//') are not allowed in a location; got 's3://data-platform//'.",
        None,
        id="s3-only-empty-segment",
    ),
    pytest.param(
        "tables//orders",
        "empty segments ('//') are not allowed in a location; got 'tables//orders'.",
        "Write 'tables/orders'.",
        id="local-empty-segment",
    ),
    pytest.param(
        "/srv//orders//",
        "empty segments ('//') are not allowed in a location; got '/srv//orders//'.",
        "Write '/srv/orders/'.",
        id="absolute-empty-segment",
    ),
    pytest.param(
        "s3://data-platform/orders\x1b[31m/",
        "a location cannot contain control characters; got 's3://data-platform/orders\\x1b[31m/'.",
        f"Expected {EXPECTED}.",
        id="control-character",
    ),
    pytest.param(
        "tables/orders\n",
        "a location cannot contain control characters; got 'tables/orders\\n'.",
        f"Expected {EXPECTED}.",
        id="newline",
    ),
    pytest.param(
        " s3://data-platform/orders/",
        "a location cannot begin or end with spaces; got ' s3://data-platform/orders/'.",
        "Write 's3://data-platform/orders/'.",
        id="spaces",
    ),
]


@pytest.mark.parametrize(("location", "message", "hint"), REJECTED)
def test_a_rejected_output_location_is_a_located_problem(
    specs: SpecFolder, location: str, message: str, hint: str | None
) -> None:
    specs.product(spec={"output": {"location": location}})
    line = WHERE + message + (f" {hint}" if hint else "")
    assert specs.problems() == [line]


def test_a_source_with_another_scheme_is_rejected(specs: SpecFolder) -> None:
    specs.product(spec={"inputs": {0: {"source": {"location": "gs://raw/orders/"}}}})
    assert specs.problems() == [
        "specs/orders/orders_daily.yaml:26:7: spec.inputs[0].source.location: unsupported "
        f"scheme 'gs:' in 'gs://raw/orders/'; expected {EXPECTED}. {OTHER_SCHEME}"
    ]


def test_a_source_may_be_a_whole_bucket_or_a_local_file(specs: SpecFolder) -> None:
    specs.policy()
    specs.product(spec={"inputs": {0: {"source": {"location": "s3://raw/"}}}})
    specs.product(
        "orders-archive",
        spec={"inputs": {0: {"source": {"location": "/srv/exports/orders.csv", "format": "csv"}}}},
    )
    assert len(specs.load().products) == 2


def test_a_local_path_is_allowed_when_the_policy_sets_no_prefix(specs: SpecFolder) -> None:
    specs.policy(rules={"output_locations": DELETE})
    specs.product(spec={"output": {"location": "tables/orders/orders_daily/"}})
    mesh = specs.load()
    assert mesh.product("orders-daily").spec.output.location == "tables/orders/orders_daily/"


def test_the_policy_can_forbid_local_paths(specs: SpecFolder) -> None:
    specs.policy(rules={"output_locations": DELETE, "allow_local_paths": False})
    specs.product(spec={"output": {"location": "tables/orders/orders_daily/"}})
    assert specs.problems() == [
        WHERE + "the mesh policy does not allow local paths as output locations; got "
        "'tables/orders/orders_daily/'. Use an 's3://bucket/prefix/' URI."
    ]


def test_a_domain_may_not_allow_local_paths_the_mesh_forbids(specs: SpecFolder) -> None:
    specs.policy(
        rules={"allow_local_paths": False},
        domains={"orders": {"rules": {"allow_local_paths": True}}},
    )
    specs.product()
    assert specs.problems() == [
        "specs/mesh.yaml:22:7: domains.orders.rules.allow_local_paths: a domain may tighten a "
        "global rule but not loosen it: true allows local paths, which the global rule does not."
    ]


def _under_prefix(location: str) -> str:
    return (
        WHERE + "the mesh policy requires output locations under "
        f"'s3://data-platform/products/orders/'; got '{location}'. For example "
        "'s3://data-platform/products/orders/orders_daily/'."
    )


@pytest.mark.parametrize(
    "location",
    [
        "s3://data-platform/products/orders-evil/orders_daily/",
        "s3://data-platform/products/orders",
        "s3://data-platform/products/orders/",
        "s3://data-platform/products",
        "tables/orders/orders_daily/",
    ],
)
def test_the_policy_prefix_is_compared_segment_by_segment(specs: SpecFolder, location: str) -> None:
    specs.policy()
    specs.product(spec={"output": {"location": location}})
    assert specs.problems() == [_under_prefix(location)]


def test_a_prefix_without_its_trailing_slash_still_holds_its_folders(specs: SpecFolder) -> None:
    specs.policy(rules={"output_locations": "s3://data-platform/products/{domain}"})
    specs.product(spec={"output": {"location": "s3://data-platform/products/orders/daily"}})
    specs.product(
        "orders-evil", spec={"output": {"location": "s3://data-platform/products/orders-evil/x/"}}
    )
    assert specs.problems() == [
        "specs/orders/orders_evil.yaml:32:5: spec.output.location: the mesh policy requires "
        "output locations under 's3://data-platform/products/orders'; got "
        "'s3://data-platform/products/orders-evil/x/'. For example "
        "'s3://data-platform/products/orders/orders_evil/'."
    ]


def test_an_escaping_location_no_longer_passes_the_prefix(specs: SpecFolder) -> None:
    specs.policy()
    escaped = "s3://data-platform/products/orders/../../../../../escaped/"
    specs.product(spec={"output": {"location": escaped}})
    assert specs.problems() == [
        WHERE + f"'..' segments are not allowed in a location; got '{escaped}'. {DOTDOT}"
    ]


def test_a_policy_prefix_is_itself_checked(specs: SpecFolder) -> None:
    specs.policy(rules={"output_locations": "s3://data-platform/products/../{domain}/"})
    specs.product()
    assert specs.problems() == [
        "specs/mesh.yaml:15:3: rules.output_locations: '..' segments are not allowed in a "
        "location; got 's3://data-platform/products/../domain/'. " + DOTDOT
    ]


def test_a_domain_prefix_inside_the_global_one_tightens_it(specs: SpecFolder) -> None:
    specs.policy(
        domains={"orders": {"rules": {"output_locations": "s3://data-platform/products/orders"}}}
    )
    specs.product()
    assert specs.load().product("orders-daily").domain == "orders"


def test_a_domain_prefix_beside_the_global_one_loosens_it(specs: SpecFolder) -> None:
    specs.policy(
        domains={"orders": {"rules": {"output_locations": "s3://data-platform/products/orders-x/"}}}
    )
    specs.product(spec={"output": {"location": "s3://data-platform/products/orders-x/daily/"}})
    assert specs.problems() == [
        "specs/mesh.yaml:21:7: domains.orders.rules.output_locations: a domain may tighten a "
        "global rule but not loosen it: 's3://data-platform/products/orders-x/' is outside the "
        "global 's3://data-platform/products/orders/'.",
        WHERE + "the mesh policy requires output locations under "
        "'s3://data-platform/products/orders/'; got "
        "'s3://data-platform/products/orders-x/daily/'. For example "
        "'s3://data-platform/products/orders/orders_daily/'.",
    ]


SHARED_HINT = "Give each product a folder of its own."
NESTED = "a product's table may not lie inside another product's table."


def test_two_products_may_not_share_a_location(specs: SpecFolder) -> None:
    specs.policy()
    specs.product(spec={"output": {"location": "s3://data-platform/products/orders/shared"}})
    specs.product(
        "orders-copy", spec={"output": {"location": "s3://data-platform/products/orders/shared/"}}
    )
    assert specs.problems() == [
        "specs/orders/orders_copy.yaml:32:5: spec.output.location: product 'orders-daily' "
        "(specs/orders/orders_daily.yaml:32) also uses this location "
        "('s3://data-platform/products/orders/shared'); no two products may share a location. "
        + SHARED_HINT,
        WHERE + "product 'orders-copy' (specs/orders/orders_copy.yaml:32) also uses this "
        "location ('s3://data-platform/products/orders/shared/'); no two products may share a "
        "location. " + SHARED_HINT,
    ]


def test_a_location_may_not_lie_inside_another_products(specs: SpecFolder) -> None:
    specs.policy()
    specs.product(spec={"output": {"location": "s3://data-platform/products/orders/daily/"}})
    specs.product(
        "orders-inner",
        spec={"output": {"location": "s3://data-platform/products/orders/daily/inner/"}},
    )
    assert specs.problems() == [
        WHERE + "this location contains 's3://data-platform/products/orders/daily/inner/', "
        "the location of product 'orders-inner' (specs/orders/orders_inner.yaml:32); "
        f"{NESTED} {SHARED_HINT}",
        "specs/orders/orders_inner.yaml:32:5: spec.output.location: this location lies inside "
        "'s3://data-platform/products/orders/daily/', the location of product 'orders-daily' "
        f"(specs/orders/orders_daily.yaml:32); {NESTED} {SHARED_HINT}",
    ]


def test_every_pair_of_nested_locations_is_reported(specs: SpecFolder) -> None:
    specs.policy(rules={"output_locations": DELETE})
    for name, location in [
        ("orders-a", "lake/a"),
        ("orders-b", "lake/a/b"),
        ("orders-c", "lake/a/b/c"),
    ]:
        specs.product(name, spec={"output": {"location": location}})
    specs.product("orders-d", spec={"output": {"location": "lake/a-b/c"}})
    problems = specs.problems()
    assert [line.split(":")[0] for line in problems] == [
        "specs/orders/orders_a.yaml",
        "specs/orders/orders_a.yaml",
        "specs/orders/orders_b.yaml",
        "specs/orders/orders_b.yaml",
        "specs/orders/orders_c.yaml",
        "specs/orders/orders_c.yaml",
    ]
    assert problems[1] == (
        "specs/orders/orders_a.yaml:32:5: spec.output.location: this location contains "
        "'lake/a/b/c', the location of product 'orders-c' (specs/orders/orders_c.yaml:32); "
        f"{NESTED} {SHARED_HINT}"
    )


def test_an_s3_location_and_a_relative_path_meet_in_the_local_warehouse(
    specs: SpecFolder,
) -> None:
    specs.policy(rules={"output_locations": DELETE})
    specs.product(spec={"output": {"location": "s3://lake/orders/"}})
    specs.product("orders-local", spec={"output": {"location": "lake/orders"}})
    specs.product("orders-absolute", spec={"output": {"location": "/lake/orders"}})
    assert specs.problems() == [
        WHERE + "product 'orders-local' (specs/orders/orders_local.yaml:32) also uses this "
        "location in local mode ('lake/orders'); no two products may share a location. "
        + SHARED_HINT,
        "specs/orders/orders_local.yaml:32:5: spec.output.location: product 'orders-daily' "
        "(specs/orders/orders_daily.yaml:32) also uses this location in local mode "
        "('s3://lake/orders/'); no two products may share a location. " + SHARED_HINT,
    ]


def test_the_example_mesh_has_exclusive_locations() -> None:
    mesh = load_mesh(Path(__file__).resolve().parents[2] / "specs")
    locations = [parse_location(p.spec.output.location) for p in mesh.products.values()]
    assert len(locations) == 7
    assert not [(a, b) for a in locations for b in locations if a is not b and a.contains(b)]
