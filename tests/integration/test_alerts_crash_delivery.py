"""Alert delivery survives crashes: a deliverer SIGKILLed over and over loses no notice.

The process delivering notices is killed many times (seeded): right after a send and before
its record (the only window a duplicate can come from), and at random moments (in a send,
a checkpoint, loading the book). It is restarted each time with the clock an hour on, as
the next sensor tick would be. In between, incidents open and resolve as the alert sensor
would record them. At the end every incident's opened and resolved notices have reached a
real local receiver on each channel, in that order; every duplicate carries the incident's
stable dedup key (the receiver can fold it), and needs a kill: there are at least as many
as kills between send and record, and at most as many as kills.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import alerts_crash_worker
import pytest
from alerts_crash_worker import STORE, WARM_UP, deliver_once
from dagster import DagsterInstance
from dagster._core.instance.ref import InstanceRef

from mesh_dagster.alerts import Audience, Incident, IncidentBook, Route
from mesh_dagster.alerts.instance_store import InstanceBookStore

SEED = 20260311
T0 = datetime(2026, 3, 11, 7, tzinfo=UTC)
MIN_KILLS_AFTER_SEND = 8
CHANNELS = ("hook", "pager")


def incident(number: int, opened_at: datetime) -> Incident:
    return Incident(
        product="orders-daily",
        domain="orders",
        partition=(date(2026, 3, 1) + timedelta(days=number)).isoformat(),
        kind="sla_missed",
        opened_at=opened_at,
        deadline=opened_at,
        audience=Audience(routes=tuple(Route(channel=name) for name in CHANNELS)),
    )


@dataclass
class Kills:
    """How often the deliverer was killed, and where."""

    after_send: int = 0
    at_random: int = 0
    rounds: int = 0


def received(receiver: Any) -> dict[tuple[str, str], list[str]]:
    """Return, per (channel, dedup key), the notices the receiver accepted, in order."""
    got: dict[tuple[str, str], list[str]] = defaultdict(list)
    for body in receiver.accepted("/hook"):
        got[("hook", body["dedup_key"])].append(body["event"])
    actions = {"trigger": "opened", "resolve": "resolved"}
    for body in receiver.accepted("/pager"):
        got[("pager", body["dedup_key"])].append(actions[body["event_action"]])
    return got


def run_child(
    context: Any, home: Path, urls: dict[str, str], now: datetime, mode: str, rng: random.Random
) -> str:
    """Run one delivery in a child; kill it as ``mode`` says. Return how it ended."""
    reader, writer = context.Pipe(duplex=False)
    pause_after = rng.randint(1, 5) if mode == "after_send" else None
    child = context.Process(
        target=deliver_once, args=(str(home), urls, now.isoformat(), pause_after, writer)
    )
    child.start()
    writer.close()
    ended = "died"
    try:
        deadline = time.monotonic() + (rng.uniform(0.0, 0.25) if mode == "random" else 30.0)
        while time.monotonic() < deadline:
            if not reader.poll(max(0.0, min(0.05, deadline - time.monotonic()))):
                if not child.is_alive():
                    break
                continue
            try:
                message = reader.recv()
            except EOFError:
                break
            if message[0] in ("paused", "done"):
                ended = message[0]
                break
        if ended != "done" and child.is_alive():
            os.kill(child.pid or 0, signal.SIGKILL)
            ended = "paused" if ended == "paused" else "killed"
    finally:
        child.join(10)
        if child.is_alive():
            child.kill()
            child.join(10)
        reader.close()
    return ended


def test_a_deliverer_killed_at_random_loses_nothing(
    tmp_path: Path, http_receiver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(SEED)
    context = multiprocessing.get_context("forkserver")
    # Children fork from a server that has imported Dagster and mesh_dagster once (the
    # server finds the worker module on PYTHONPATH: it does not inherit sys.path).
    monkeypatch.setenv(WARM_UP, "1")
    here = str(Path(__file__).resolve().parent)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    )
    context.set_forkserver_preload([alerts_crash_worker.__name__])
    urls = {"hook": http_receiver.url("/hook"), "pager": http_receiver.url("/pager")}
    resolves: dict[int, int] = {}  # incident number -> the round it resolves in
    kills = Kills()
    started = time.monotonic()
    assert run_child(context, tmp_path, urls, T0, "clean", rng) == "done"  # starts the server
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path))) as instance:
        store = InstanceBookStore(instance, STORE)
        for round_ in range(400):
            now = T0 + timedelta(hours=round_)
            # The alert sensor's part of a tick: record what opened and resolved, once.
            book = store.load()
            # A new incident each round, until enough kills fell between send and record.
            if kills.after_send < MIN_KILLS_AFTER_SEND:
                book, _ = book.open(incident(len(resolves), now))
                resolves[len(resolves)] = round_ + 1 + rng.randint(0, 2)
            for number, resolve_round in resolves.items():
                if resolve_round == round_:
                    book, _ = book.resolve(incident(number, T0).dedup_key, at=now)
            store.save(book)
            if round_ > max(resolves.values()) and store.load() == IncidentBook():
                break
            if rng.random() < 0.15:
                http_receiver.fail(f"/{rng.choice(CHANNELS)}", rng.randint(1, 2))
            mode = rng.choices(["after_send", "random", "clean"], weights=[5, 2, 3])[0]
            ended = run_child(context, tmp_path, urls, now, mode, rng)
            kills.rounds += 1
            kills.after_send += ended == "paused"
            kills.at_random += ended == "killed"
        else:
            raise AssertionError(f"still owed after 400 rounds: {store.load().to_json()}")
    elapsed = time.monotonic() - started

    keys = {incident(number, T0).dedup_key for number in resolves}
    got = received(http_receiver)
    assert {key for _, key in got} == keys  # every notice carries its incident's key
    for channel in CHANNELS:
        for key in keys:
            events = got[(channel, key)]
            assert "opened" in events and "resolved" in events, (channel, key, events)
            assert events.index("opened") < events.index("resolved"), (channel, key, events)
    counts = Counter(event for events in got.values() for event in events)
    duplicates = sum(len(events) for events in got.values()) - 2 * len(CHANNELS) * len(resolves)
    print(
        f"seed {SEED}: {len(resolves)} incidents, {kills.rounds} deliveries, "
        f"{kills.after_send} killed between send and record, {kills.at_random} at random; "
        f"{duplicates} duplicate notices "
        f"({counts['opened']} opened, {counts['resolved']} resolved); {elapsed:.1f} s"
    )
    assert kills.after_send >= MIN_KILLS_AFTER_SEND
    assert kills.after_send <= duplicates <= kills.after_send + kills.at_random
