"""assess_impact: the consumers and downstream products a breaking change reaches."""

from __future__ import annotations

from spec_folder import DELETE, SpecFolder

from mesh_dagster.spec.impact import AffectedConsumer, AffectedProduct, assess_impact


def _mesh(specs: SpecFolder) -> None:
    specs.product(
        spec={
            "consumers": [
                {"team": "finance", "use_case": "Revenue reporting", "contact": "fin@company.com"},
                {"team": "ml-platform", "use_case": "Churn features"},
            ]
        }
    )
    specs.product("payments-daily", "payments", inputs=["orders-daily"])
    specs.product("revenue-daily", "finance", inputs=["payments-daily", "orders-daily"])
    specs.product(
        "exec-kpis",
        "finance",
        inputs=["revenue-daily"],
        metadata={"owner": "exec-team", "steward": "ceo@company.com"},
        spec={"consumers": [{"team": "board", "use_case": "Quarterly review"}]},
    )
    specs.product("shipments-daily", "shipments")


def test_a_breaking_change_reaches_consumers_and_every_downstream_product(
    specs: SpecFolder,
) -> None:
    _mesh(specs)
    base = specs.load()
    specs.product(
        spec={
            "grain": ["order_id"],
            "consumers": [{"team": "finance", "use_case": "Revenue reporting"}],
        }
    )
    report = assess_impact(base, specs.load())
    (impact,) = report.products
    assert report.is_breaking
    assert (impact.owner, impact.steward) == ("orders-team", "jane@company.com")
    # The consumers declared at the base are the ones relying on the old contract.
    assert impact.consumers == (
        AffectedConsumer("finance", "Revenue reporting", "fin@company.com"),
        AffectedConsumer("ml-platform", "Churn features", None),
    )
    assert impact.downstream == (
        AffectedProduct(
            "payments-daily",
            "payments",
            "payments-team",
            "jane@company.com",
            "orders-daily",
            1,
            ("finance",),
        ),
        AffectedProduct(
            "revenue-daily",
            "finance",
            "finance-team",
            "jane@company.com",
            "orders-daily",
            1,
            ("finance",),
        ),
        AffectedProduct(
            "exec-kpis", "finance", "exec-team", "ceo@company.com", "revenue-daily", 2, ("board",)
        ),
    )


def test_compatible_changes_affect_no_one(specs: SpecFolder) -> None:
    _mesh(specs)
    base = specs.load()
    specs.product(spec={"description": "Better words."})
    (impact,) = assess_impact(base, specs.load()).products
    assert (impact.diff.is_breaking, impact.consumers, impact.downstream) == (False, (), ())


def test_a_removed_product_reaches_its_readers_at_the_base(specs: SpecFolder) -> None:
    _mesh(specs)
    base = specs.load()
    (specs.root / "finance" / "exec_kpis.yaml").unlink()
    specs.product("revenue-daily", "finance", inputs=["payments-daily"], spec={"grain": DELETE})
    report = assess_impact(base, specs.load())
    assert [(p.diff.name, p.diff.status) for p in report.products] == [
        ("exec-kpis", "removed"),
        ("revenue-daily", "changed"),
    ]
    removed = report.products[0]
    assert [c.team for c in removed.consumers] == ["board"]
    assert removed.downstream == ()
    changed = report.products[1]
    assert [p.name for p in changed.downstream] == ["exec-kpis"]
