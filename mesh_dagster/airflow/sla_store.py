"""Where the SLA watcher keeps its verdicts, its per-product progress and the incident book.

A small SQL database (SQLAlchemy URL in ``MESH_SLA_STATE_URL``; default
``sqlite:///$AIRFLOW_HOME/mesh_sla.db``). Use a shared database (e.g. the PostgreSQL
server of Airflow's metadata, in a schema of its own) when workers run on several hosts.
Four tables: ``mesh_sla_verdicts`` (one row per verdict, as Dagster's ``sla`` check
results), ``mesh_sla_progress`` (per product: judged until, periods judged missed),
``mesh_sla_book`` (the incident book as JSON, written before and after every send) and
``mesh_build_outcomes`` (what each build task reported: its rules' outcomes and whether it
published, or its terminal failure; rows are deleted once the watcher applied them, in the
transaction that stores the book).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from mesh_dagster.airflow.build_alerts import BuildOutcome, RuleResult
from mesh_dagster.airflow.settings import airflow_home
from mesh_dagster.alerts.book import IncidentBook

STATE_URL_ENV = "MESH_SLA_STATE_URL"
BOOK_NAME = "mesh_sla"

_metadata = sa.MetaData()
verdicts_table = sa.Table(
    "mesh_sla_verdicts",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("product", sa.String(200), nullable=False, index=True),
    sa.Column("partition", sa.String(64), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("deadline", sa.String(40), nullable=False),
    sa.Column("published_at", sa.String(40), nullable=True),
    sa.Column("judged_at", sa.String(40), nullable=False),
    sa.Column("late_by_minutes", sa.Float, nullable=True),
    sa.Column("waiting_for", sa.Text, nullable=False, default="[]"),
)
progress_table = sa.Table(
    "mesh_sla_progress",
    _metadata,
    sa.Column("product", sa.String(200), primary_key=True),
    sa.Column("judged_until", sa.String(40), nullable=False),
    sa.Column("missed", sa.Text, nullable=False),
)
book_table = sa.Table(
    "mesh_sla_book",
    _metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("book", sa.Text, nullable=False),
)
outcomes_table = sa.Table(
    "mesh_build_outcomes",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("product", sa.String(200), nullable=False),
    sa.Column("partition", sa.String(64), nullable=True),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("published", sa.Boolean, nullable=False),
    sa.Column("failure", sa.String(64), nullable=True),
    sa.Column("run_id", sa.String(250), nullable=True),
    sa.Column("rules", sa.Text, nullable=False, default="[]"),
)


@dataclass
class ProductProgress:
    """How far one product's periods were judged, and which were judged missed."""

    judged_until: datetime
    missed: dict[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredVerdict:
    """One recorded verdict on one period."""

    product: str
    partition: str | None
    status: str
    deadline: datetime
    published_at: datetime | None
    judged_at: datetime
    late_by_minutes: float | None = None
    waiting_for: tuple[str, ...] = ()


def state_url(environ: Mapping[str, str]) -> str:
    """Return the store's SQLAlchemy URL: ``$MESH_SLA_STATE_URL`` or SQLite in AIRFLOW_HOME."""
    url = environ.get(STATE_URL_ENV)
    if url:
        return url
    return f"sqlite:///{Path(airflow_home(environ)) / 'mesh_sla.db'}"


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class SlaStore:
    """The watcher's tables in one database (created when missing)."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url)
        _metadata.create_all(self.engine)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def progress(self) -> dict[str, ProductProgress]:
        """Return every product's progress."""
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(progress_table)).all()
        return {
            row.product: ProductProgress(
                datetime.fromisoformat(row.judged_until),
                {key: datetime.fromisoformat(at) for key, at in json.loads(row.missed).items()},
            )
            for row in rows
        }

    def record(
        self,
        progress: Mapping[str, ProductProgress],
        verdicts: Sequence[StoredVerdict],
        book: IncidentBook,
        applied_until: int | None = None,
    ) -> None:
        """Store a tick's verdicts, the progress and the book they lead to, in one transaction.

        So a verdict is never recorded without its incident, nor judged twice. Build
        outcomes up to ``applied_until`` (their incidents are in ``book``) are deleted.
        """
        with self.engine.begin() as connection:
            _write_book(connection, book)
            if applied_until is not None:
                connection.execute(
                    sa.delete(outcomes_table).where(outcomes_table.c.id <= applied_until)
                )
            if verdicts:
                connection.execute(
                    sa.insert(verdicts_table),
                    [
                        {
                            "product": item.product,
                            "partition": item.partition,
                            "status": item.status,
                            "deadline": item.deadline.isoformat(),
                            "published_at": item.published_at.isoformat()
                            if item.published_at
                            else None,
                            "judged_at": item.judged_at.isoformat(),
                            "late_by_minutes": item.late_by_minutes,
                            "waiting_for": json.dumps(list(item.waiting_for)),
                        }
                        for item in verdicts
                    ],
                )
            for name, state in progress.items():
                connection.execute(
                    sa.delete(progress_table).where(progress_table.c.product == name)
                )
                connection.execute(
                    sa.insert(progress_table).values(
                        product=name,
                        judged_until=state.judged_until.isoformat(),
                        missed=json.dumps(
                            {key: at.isoformat() for key, at in sorted(state.missed.items())}
                        ),
                    )
                )

    def verdicts(self, product: str | None = None) -> list[StoredVerdict]:
        """Return the recorded verdicts (of ``product``), oldest first."""
        query = sa.select(verdicts_table).order_by(verdicts_table.c.id)
        if product is not None:
            query = query.where(verdicts_table.c.product == product)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            StoredVerdict(
                product=row.product,
                partition=row.partition,
                status=row.status,
                deadline=datetime.fromisoformat(row.deadline),
                published_at=_instant(row.published_at),
                judged_at=datetime.fromisoformat(row.judged_at),
                late_by_minutes=row.late_by_minutes,
                waiting_for=tuple(json.loads(row.waiting_for)),
            )
            for row in rows
        ]

    def add_outcome(self, outcome: BuildOutcome) -> None:
        """Record what one build task reported (the watcher turns it into incidents)."""
        rules = [
            {
                "rule": item.rule,
                "severity": item.severity,
                "passed": item.passed,
                "figures": dict(item.figures),
            }
            for item in outcome.rules
        ]
        with self.engine.begin() as connection:
            connection.execute(
                sa.insert(outcomes_table).values(
                    product=outcome.product,
                    partition=outcome.partition,
                    at=outcome.at.isoformat(),
                    published=outcome.published,
                    failure=outcome.failure,
                    run_id=outcome.run_id,
                    rules=json.dumps(rules),
                )
            )

    def outcomes(self) -> list[tuple[int, BuildOutcome]]:
        """Return the build outcomes not applied yet, with their ids, oldest first."""
        query = sa.select(outcomes_table).order_by(outcomes_table.c.id)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            (
                row.id,
                BuildOutcome(
                    product=row.product,
                    partition=row.partition,
                    at=datetime.fromisoformat(row.at),
                    published=bool(row.published),
                    failure=row.failure,
                    run_id=row.run_id,
                    rules=tuple(
                        RuleResult(
                            rule=item["rule"],
                            severity="warn" if item["severity"] == "warn" else "error",
                            passed=bool(item["passed"]),
                            figures=item["figures"],
                        )
                        for item in json.loads(row.rules)
                    ),
                ),
            )
            for row in rows
        ]

    def load_book(self) -> IncidentBook:
        """Return the stored incident book, or an empty one."""
        with self.engine.connect() as connection:
            text = connection.execute(
                sa.select(book_table.c.book).where(book_table.c.name == BOOK_NAME)
            ).scalar_one_or_none()
        return IncidentBook.from_json(text)

    def save_book(self, book: IncidentBook) -> None:
        """Store ``book`` at once (``deliver``'s checkpoint: before and after each send)."""
        with self.engine.begin() as connection:
            _write_book(connection, book)


def _write_book(connection: sa.Connection, book: IncidentBook) -> None:
    connection.execute(sa.delete(book_table).where(book_table.c.name == BOOK_NAME))
    connection.execute(sa.insert(book_table).values(name=BOOK_NAME, book=book.to_json()))
