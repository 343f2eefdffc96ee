"""The processes the suite starts stop from any parent, even one that ignores SIGINT.

A shell's background job ignores SIGINT, and Dagster maps SIGTERM to SIGINT's handler, so
both can be ignored; spawned children inherit ignored signals. Here pytest runs tests that
start processes (spawned writers, a SeaweedFS server) under such a parent: they must pass
and stop well within a short timeout instead of hanging for the whole suite's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixtures.mesh_dev import processes_mentioning

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
IGNORING_PARENT = """\
import signal, sys
import pytest
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
sys.exit(pytest.main(sys.argv[1:]))
"""


def group_members(group: int) -> list[int]:
    """Return the live (not zombie) processes of process group ``group``."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == group:
            found.append(int(entry.name))
    return found


def run_ignoring_signals(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """Return the result of pytest ``args`` in a parent ignoring SIGINT and SIGTERM.

    Fails if any process it started (its group) outlives it.
    """
    process = subprocess.Popen(
        [sys.executable, "-c", IGNORING_PARENT, *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # SIGKILL cannot be ignored
        output, _ = process.communicate(timeout=30)
        raise AssertionError(f"pytest did not end within {timeout:.0f}s:\n{output}") from None
    # multiprocessing's resource tracker ends once the pipe of its parent closes.
    deadline = time.monotonic() + 15
    while group_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert group_members(process.pid) == [], output
    return subprocess.CompletedProcess(process.args, process.returncode, output, "")


def test_concurrent_writers_stop_under_a_parent_ignoring_sigint(tmp_path: Path) -> None:
    test = (
        "tests/integration/test_s3_delta.py::test_concurrent_writers_of_different_periods_both_land"
    )
    # The inner timeout (SIGALRM, which is not ignored) fails a hang and runs the
    # fixtures' teardown; the outer one is the last resort.
    result = run_ignoring_signals(
        test,
        "-q",
        "-p",
        "no:cacheprovider",
        "--timeout",
        "150",
        "--basetemp",
        str(tmp_path / "inner"),
        timeout=240,
    )
    assert result.returncode == 0, result.stdout
    assert "1 passed" in result.stdout.splitlines()[-1]
    # The SeaweedFS server (in a session of its own, its data under the inner basetemp)
    # was stopped by its fixture.
    assert processes_mentioning(str(tmp_path / "inner")) == []
