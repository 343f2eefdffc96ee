"""No row value in any message: DuckDB, Arrow and delta-rs errors keep their class and column."""

from __future__ import annotations

import re
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError

from mesh_dagster.build.context import TransformContext
from mesh_dagster.build.prepare import publishable
from mesh_dagster.build.transform import TransformError, run_python, run_sql
from mesh_dagster.checks.engine import EngineSettings
from mesh_dagster.checks.evaluate import evaluate_checks
from mesh_dagster.checks.plan import plan_checks
from mesh_dagster.io.delta import write_period
from mesh_dagster.io.errors import DataValueError
from tests.unit.conftest import ProductFactory

SECRET = "bob.secret@example.com"
PEOPLE = pa.table({"signup_date": [SECRET], "email": [SECRET], "amount": ["12x"]})


def rendered(error: BaseException) -> str:
    """Return everything a traceback shows of ``error`` (Dagster renders the same chain)."""
    return "".join(traceback.format_exception(error))


def assert_no_values(error: BaseException, *values: str) -> None:
    text = rendered(error)
    for value in values:
        assert value not in text
    assert error.__cause__ is None and error.__suppress_context__


@pytest.fixture
def context(example_product: ProductFactory) -> TransformContext:
    return TransformContext(product=example_product(), inputs={"people": PEOPLE})


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        pytest.param(
            "select cast(signup_date as date) as d from people",
            "ConversionException in column 'signup_date' (a value could not be converted; "
            "row values are not shown)",
            id="cast-pii",
        ),
        pytest.param(
            "select cast(amount as integer) as a from people",
            "ConversionException in column 'amount' (a value could not be converted; "
            "row values are not shown)",
            id="cast-non-pii",
        ),
        pytest.param(
            "select strptime(email, '%Y-%m-%d') as d from people",
            "InvalidInputException (a value was not valid input; row values are not shown)",
            id="parse",
        ),
        pytest.param(
            "select error(email) as d from people",
            "InvalidInputException (a value was not valid input; row values are not shown)",
            id="raised-with-a-value",
        ),
        pytest.param(
            "select cast(300 + length(amount) as tinyint) as d from people",
            "ConversionException (a value could not be converted; row values are not shown)",
            id="out-of-range",
        ),
        pytest.param(
            "select nope from people",
            'BinderException (Binder Error: Referenced column "nope" not found in FROM clause!)',
            id="binder-error-keeps-its-sql-text",
        ),
    ],
)
def test_sql_transform_errors_show_no_values(
    context: TransformContext, sql: str, message: str
) -> None:
    with pytest.raises(TransformError) as raised:
        run_sql(sql, context, EngineSettings())

    assert str(raised.value) == f"the SQL transform of 'orders-daily' failed: {message}"
    assert_no_values(raised.value, SECRET, "12x", "303")


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    (tmp_path / "redaction_transform.py").write_text(
        "import pandas as pd\n"
        "\n"
        "def parse(context):\n"
        "    rows = context.inputs['people'].to_pandas()\n"
        "    return pd.to_datetime(rows['email'], format='%Y-%m-%d')\n"
        "\n"
        "def mixed(context):\n"
        "    return pd.DataFrame({'a': [1, 'bob.secret@example.com']})\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "redaction_transform"
    sys.modules.pop("redaction_transform", None)


def test_python_transform_errors_show_their_class_and_line_only(
    context: TransformContext, module: str
) -> None:
    with pytest.raises(TransformError) as raised:
        run_python(f"{module}:parse", context)

    assert str(raised.value) == (
        "the transform 'redaction_transform:parse' of 'orders-daily' raised ValueError "
        "(row values are not shown) at redaction_transform.py:5"
    )
    assert_no_values(raised.value, SECRET)


def test_a_python_result_arrow_cannot_convert_shows_no_values(
    context: TransformContext, module: str
) -> None:
    with pytest.raises(TransformError) as raised:
        run_python(f"{module}:mixed", context)

    assert str(raised.value) == (
        "the result of the transform 'redaction_transform:mixed' of 'orders-daily' cannot "
        "become an Arrow table: ArrowInvalid in column 'a' (a value could not be converted; "
        "row values are not shown)"
    )
    assert_no_values(raised.value, SECRET)


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        pytest.param(
            "order_date",
            pa.array([SECRET]),
            "ArrowInvalid in column 'order_date' (a value could not be converted; "
            "row values are not shown)",
            id="pii-string-to-date",
        ),
        pytest.param(
            "order_count",
            pa.array([12345.5]),
            "ArrowInvalid in column 'order_count' (a value could not be converted; "
            "row values are not shown)",
            id="non-pii-lossy-number",
        ),
    ],
)
def test_arrow_casts_to_the_declared_schema_show_no_values(
    example_product: ProductFactory, column: str, values: pa.Array, message: str
) -> None:
    product = example_product()
    table = pa.table(
        {
            c.name: values if c.name == column else pa.nulls(1, pa.string())
            for c in product.spec.columns
        }
    )

    with pytest.raises(DataValueError) as raised:
        publishable(table, product)

    assert str(raised.value) == f"'orders-daily' cannot be published: {message}"
    assert_no_values(raised.value, SECRET, "12345.5")


def test_a_check_that_fails_on_a_value_reports_its_class_only(
    example_product: ProductFactory,
) -> None:
    product = example_product(
        lambda spec: spec["quality"].update(custom_checks=["cast(order_id as date) is not null"])
    )
    table = pa.table({"order_id": [SECRET], "order_date": pa.nulls(1, pa.date32())})

    outcomes = evaluate_checks(plan_checks(product), table, None)

    custom = next(outcome for outcome in outcomes if outcome.kind == "custom")
    assert custom.detail == "could not run: DuckDB raised ConversionException on the data"
    assert SECRET not in repr(outcomes)


def test_a_delta_constraint_violation_shows_no_values(tmp_path: Path) -> None:
    uri = str(tmp_path / "people")
    write_deltalake(uri, pa.table({"email": ["a@b.co"], "amount": [1]}))
    DeltaTable(uri).alter.add_constraint({"positive": "amount > 0"})
    rows = pa.table({"email": [SECRET], "amount": [-1]})

    with pytest.raises(DataValueError) as raised:
        write_period(rows, uri, {}, None)

    assert str(raised.value) == (
        f"publishing {uri} failed: DeltaError (the Delta table refused the write; "
        "row values are not shown)"
    )
    assert_no_values(raised.value, SECRET)
    # The reduction matters: delta-rs itself prints the offending rows.
    with pytest.raises(DeltaError, match=re.escape(SECRET)):
        write_deltalake(uri, rows, mode="append")
