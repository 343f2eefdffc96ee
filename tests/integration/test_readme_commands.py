"""The README's commands, run as a new user would: every ```bash block, in a fresh copy.

Which documents: ``README.md``; and, while ``README.md`` does not include them, the sections
it is assembled from that hold the new user's path (``SECTIONS``: the quick start of
``docs/README-head.md``, then the tour of ``docs/README-tour.md``), as one document. Each
runs in its own temporary copy of the repository (tracked and unignored files, no ``.venv``:
``MESH_VENV`` lets ``scripts/setup.sh`` link this virtualenv instead of installing one).

How blocks run: in document order, each with ``bash -e -o pipefail`` and exit code 0
expected. What a reader's terminal keeps from one command to the next carries over: the
exported variables (``source .venv/bin/activate``, ``export DAGSTER_HOME=...``) and the
working directory. The caller's ``DAGSTER_*``/``MESH_*`` variables and active virtualenv
are removed first; ``MESH_DEV_PORT`` is set to a free port so the run command does not
take 3000.

Markers, a comment line inside a block (nothing else is skipped, and an unknown marker
fails the test):

``# doc-test: background``
    The block starts a server that runs until stopped (the run command). It is started in
    the background; the Dagster UI must come up with its code location loaded before the
    next block runs. After the document's last block it is stopped with SIGINT, as Ctrl-C
    would, must exit 0, and no process of the copy may be left.
``# doc-test: exit N``
    The block shows a failure (a rule that blocks a publish, a spec error): it must exit N.
``# doc-test: skip REASON: explanation``
    The block is not run. REASON must be one of ``SKIP_REASONS``, and the explanation is
    required.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fixtures.mesh_dev import (
    REPO,
    copy_project,
    fresh_environment,
    kill_processes_mentioning,
    processes_mentioning,
    wait_for,
)
from fixtures.servers import free_ports, tail

from mesh_dagster.dev.webserver import ReloadError, location_state

pytestmark = [pytest.mark.integration]

README = "README.md"
# The sections README.md is assembled from that hold the new user's path, in README order.
SECTIONS = ("docs/README-head.md", "docs/README-tour.md")
SKIP_REASONS = {
    "recursive": "runs the test suite, which runs this doc-test",
    "production": "needs production infrastructure: an AWS account, a PostgreSQL server, "
    "a Kubernetes or ECS cluster, real secrets",
    "network": "needs the network beyond loopback: a git remote, a package index",
    "benchmark": "a timing run that takes minutes on purpose; benchmarks are not tests",
}
BLOCK_TIMEOUT = 600.0
READY_TIMEOUT = 240.0
STOP_TIMEOUT = 60.0
SHELL_LANGUAGES = {"sh", "shell", "console", "zsh", "shell-session", "bash-session"}

_FENCE = re.compile(r"^(`{3,})\s*([\w+-]*)\s*$")
_MARKER = re.compile(r"^\s*#\s*doc-test:\s*(.*?)\s*$")
_SKIP = re.compile(r"^skip\s+([\w-]+)\s*:\s*(\S.*)$")
_EXIT = re.compile(r"^exit\s+(\d+)$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a document."""

    document: str
    line: int
    language: str
    source: str

    @property
    def where(self) -> str:
        """Return ``document:line`` of the opening fence."""
        return f"{self.document}:{self.line}"

    def markers(self) -> list[str]:
        """Return the text of the block's ``# doc-test:`` comments."""
        return [m.group(1) for line in self.source.splitlines() if (m := _MARKER.match(line))]


@dataclass(frozen=True)
class Plan:
    """What the doc-test does with a bash block."""

    block: Block
    action: str  # "run", "background" or "skip"
    exit_code: int = 0
    reason: str = ""


def fenced_blocks(text: str, document: str) -> list[Block]:
    """Return the fenced code blocks of a Markdown text, in order."""
    blocks: list[Block] = []
    opened: tuple[str, int, str] | None = None
    lines: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        fence = _FENCE.match(line)
        if opened is None:
            if fence:
                opened, lines = (fence.group(1), number, fence.group(2).lower()), []
        elif fence and fence.group(1) == opened[0] and not fence.group(2):
            blocks.append(Block(document, opened[1], opened[2], "\n".join(lines) + "\n"))
            opened = None
        else:
            lines.append(line)
    assert opened is None, f"{document}:{opened[1]}: a code fence is never closed"
    return blocks


def plan_block(block: Block) -> Plan:
    """Return what to do with a bash block; raise ValueError for a bad marker."""
    markers = block.markers()
    if len(markers) > 1:
        raise ValueError(f"{block.where}: one doc-test marker per block, found {markers}")
    if not markers:
        return Plan(block, "run")
    marker = markers[0]
    if marker == "background":
        return Plan(block, "background")
    if match := _EXIT.match(marker):
        code = int(match.group(1))
        if code == 0:
            raise ValueError(f"{block.where}: 'exit 0' is the default; remove the marker")
        return Plan(block, "run", exit_code=code)
    if match := _SKIP.match(marker):
        reason = match.group(1)
        if reason not in SKIP_REASONS:
            raise ValueError(
                f"{block.where}: skip reason '{reason}' is not one of {sorted(SKIP_REASONS)}"
            )
        return Plan(block, "skip", reason=f"{reason}: {match.group(2)}")
    raise ValueError(
        f"{block.where}: unknown marker '# doc-test: {marker}'; use 'background', "
        "'exit N' or 'skip REASON: explanation'"
    )


def bash_blocks(document: str) -> list[Block]:
    """Return the ```bash blocks of a document of the repository."""
    text = (REPO / document).read_text()
    return [block for block in fenced_blocks(text, document) if block.language == "bash"]


def readme_documents() -> list[str]:
    """Return README.md (if assembled) and every README section under docs/."""
    sections = sorted(str(path.relative_to(REPO)) for path in (REPO / "docs").glob("README-*.md"))
    return ([README] if (REPO / README).exists() else []) + sections


# --- The markers themselves: checked in every README section, run or not. ---


@pytest.mark.parametrize("document", readme_documents())
def test_every_marker_is_known_and_every_skip_gives_an_allowed_reason(document: str) -> None:
    problems = []
    for block in bash_blocks(document):
        try:
            plan_block(block)
        except ValueError as error:
            problems.append(str(error))
    assert problems == []


@pytest.mark.parametrize("document", readme_documents())
def test_shell_commands_are_fenced_as_bash_so_none_escapes_the_doc_test(document: str) -> None:
    text = (REPO / document).read_text()
    hidden = [
        block.where for block in fenced_blocks(text, document) if block.language in SHELL_LANGUAGES
    ]
    assert hidden == [], f"fence these blocks as ```bash (or ```text for output): {hidden}"


def test_markers_are_parsed_as_documented() -> None:
    def plan(source: str) -> Plan:
        return plan_block(Block("doc.md", 3, "bash", source))

    assert plan("ls\n").action == "run"
    assert plan("# doc-test: background\nbash scripts/run.sh\n").action == "background"
    assert plan("# doc-test: exit 1\nfalse\n").exit_code == 1
    skipped = plan("# doc-test: skip production: needs AWS\naws s3 ls\n")
    assert (skipped.action, skipped.reason) == ("skip", "production: needs AWS")
    for source, message in [
        ("# doc-test: skip lazy: too slow\n", "doc.md:3: skip reason 'lazy' is not one of"),
        ("# doc-test: skip production\n", "doc.md:3: unknown marker '# doc-test: skip prod"),
        ("# doc-test: exit 0\n", "doc.md:3: 'exit 0' is the default; remove the marker"),
        ("# doc-test: backgroud\n", "doc.md:3: unknown marker '# doc-test: backgroud'"),
        ("# doc-test: background\n# doc-test: exit 1\n", "doc.md:3: one doc-test marker"),
    ]:
        with pytest.raises(ValueError, match=re.escape(message)):
            plan(source)


def test_fenced_blocks_keep_languages_lines_and_nested_fences() -> None:
    text = "# T\n\n```bash\necho one\n```\n\n````markdown\n```bash\nnot run\n```\n````\n"
    blocks = fenced_blocks(text, "x.md")
    assert [(b.line, b.language, b.source) for b in blocks] == [
        (3, "bash", "echo one\n"),
        (7, "markdown", "```bash\nnot run\n```\n"),
    ]


# --- Running a document. ---


@dataclass
class Terminal:
    """The state a reader's terminal keeps between commands, and the servers it started."""

    project: Path
    env: dict[str, str]
    logs: Path
    cwd: Path = field(init=False)
    servers: list[tuple[Block, subprocess.Popen[bytes], Path]] = field(default_factory=list)
    count: int = 0

    def __post_init__(self) -> None:
        self.cwd = self.project

    def _script(self, block: Block, keep_state: bool) -> tuple[Path, Path]:
        self.count += 1
        script = self.logs / f"block-{self.count:02d}.sh"
        log = self.logs / f"block-{self.count:02d}.log"
        state = ""
        if keep_state:
            # Whatever happens, record what a terminal would keep for the next command.
            env_file, cwd_file = self.logs / "state.env", self.logs / "state.cwd"
            state = f"trap 'status=$?; env -0 > {env_file}; pwd > {cwd_file}; exit $status' EXIT\n"
        script.write_text(f"set -eo pipefail\n{state}# {block.where}\n{block.source}")
        return script, log

    def run(self, block: Block) -> int:
        """Run a block to its end and return its exit code."""
        script, log = self._script(block, keep_state=True)
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["bash", str(script)],
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                code = process.wait(timeout=BLOCK_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise AssertionError(
                    f"{block.where}: still running after {BLOCK_TIMEOUT:.0f}s:\n{tail(log)}"
                ) from None
        self._load_state()
        return code

    def _load_state(self) -> None:
        env_file, cwd_file = self.logs / "state.env", self.logs / "state.cwd"
        if not env_file.exists():
            return
        pairs = (item.split("=", 1) for item in env_file.read_text().split("\0") if "=" in item)
        self.env = {k: v for k, v in pairs if k not in ("PWD", "OLDPWD", "SHLVL", "_")}
        self.cwd = Path(cwd_file.read_text().strip())

    def start(self, block: Block) -> None:
        """Start a background block and return once the Dagster UI it serves is ready."""
        script, log = self._script(block, keep_state=False)
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["bash", str(script)],
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.servers.append((block, process, log))
        url = f"http://127.0.0.1:{self.env['MESH_DEV_PORT']}"

        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(
                    f"{block.where}: exited {process.returncode} instead of serving:\n{tail(log)}"
                )
            try:
                state = location_state(url, "mesh", timeout=5)
            except ReloadError:
                return False
            if state is not None and state.error:
                raise AssertionError(f"{block.where}: the code location failed:\n{state.error}")
            return state is not None and state.loaded

        wait_for(ready, READY_TIMEOUT, f"{block.where} to serve the Dagster UI at {url}")

    def stop_servers(self) -> list[str]:
        """Stop the background blocks as Ctrl-C would; return what went wrong."""
        problems = []
        for block, process, log in self.servers:
            if process.poll() is not None:
                problems.append(f"{block.where}: exited early ({process.returncode}):\n{tail(log)}")
                continue
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
            try:
                code = process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                problems.append(f"{block.where}: did not stop on SIGINT:\n{tail(log)}")
                continue
            if code != 0:
                problems.append(f"{block.where}: exited {code} on SIGINT:\n{tail(log)}")
        return problems


def included_in_readme(documents: tuple[str, ...]) -> bool:
    """Return whether README.md holds every bash block of ``documents`` (so they run there)."""
    if not (REPO / README).exists():
        return False
    readme = {block.source for block in bash_blocks(README)}
    return all(block.source in readme for doc in documents for block in bash_blocks(doc))


def test_readme_includes_the_new_users_path() -> None:
    assert included_in_readme(SECTIONS), "run scripts/assemble_readme.py"


@pytest.mark.timeout(1800)
def test_every_command_runs_in_a_fresh_copy(tmp_path: Path, artifacts_dir: Path) -> None:
    documents = (README,)
    plans = [plan_block(block) for document in documents for block in bash_blocks(document)]
    assert plans, f"{documents} hold no bash block"
    project = copy_project(tmp_path / "project")
    logs = tmp_path / "logs"
    logs.mkdir()
    (port,) = free_ports(1)
    terminal = Terminal(project, fresh_environment(MESH_DEV_PORT=str(port)), logs)
    transcript = artifacts_dir / f"doc-test-{'+'.join(Path(d).stem for d in documents)}.log"
    failures: list[str] = []
    try:
        for plan in plans:
            if plan.action == "skip":
                continue
            if plan.action == "background":
                terminal.start(plan.block)
                continue
            code = terminal.run(plan.block)
            if code != plan.exit_code:
                log = logs / f"block-{terminal.count:02d}.log"
                failures.append(
                    f"{plan.block.where}: exit {code}, expected {plan.exit_code}:\n"
                    f"{plan.block.source}--- output ---\n{tail(log)}"
                )
                break
    finally:
        failures += terminal.stop_servers()
        left = processes_mentioning(str(project))
        if left:
            failures.append(f"processes left running: {left}")
            kill_processes_mentioning(str(project))
        transcript.write_text(
            "\n".join(
                f"===== {path.name}\n{path.read_text(errors='replace')}"
                for path in sorted(logs.glob("block-*"))
            )
        )
    assert failures == [], "\n\n".join(failures)
    skipped = [f"{plan.block.where}: {plan.reason}" for plan in plans if plan.action == "skip"]
    print(f"{documents}: {len(plans) - len(skipped)} blocks run; skipped: {skipped}")
