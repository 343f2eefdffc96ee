"""Hostile and broken spec files: each is a located problem, never a traceback or a hang.

The YAML cases edit the base spec (its layout is pinned in ``test_spec_load.py``), so
line numbers can be read off that listing. None of these tests would pass quickly, or at
all, without the limit it checks: the FIFO would block forever, ``/dev/zero`` would never
end, 5,000 levels would overflow PyYAML's recursion, and the alias bomb's 10**10 values
would be walked by anything that reads the data.
"""

from __future__ import annotations

import json
import os
import random

import pytest
from spec_folder import SpecFolder, dump_yaml, product_data
from typer.testing import CliRunner

from mesh_dagster.cli.main import app
from mesh_dagster.spec.errors import SpecError
from mesh_dagster.spec.loader import display_path, spec_files
from mesh_dagster.spec.printable import printable
from mesh_dagster.spec.spec_file import MAX_SPEC_BYTES
from mesh_dagster.spec.yaml_events import MAX_DEPTH, MAX_VALUES

FILE = "specs/orders/orders_daily.yaml"
BASE = dump_yaml(product_data())


def _with(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new, 1)


def _problems_of(specs: SpecFolder, text: str) -> list[str]:
    specs.write("orders/orders_daily.yaml", text)
    return specs.problems()


# Billion laughs: ten levels of ten, 10**10 values from 390 bytes.
ALIAS_BOMB = "".join(
    f"{name}: &{name} [{','.join([f'*{previous}'] * 10 if previous else ['lol'] * 10)}]\n"
    for previous, name in zip(["", *"abcdefghi"], "abcdefghij", strict=True)
)


def test_the_limits_are_the_documented_ones() -> None:
    assert (MAX_SPEC_BYTES, MAX_DEPTH, MAX_VALUES) == (1024 * 1024, 64, 100_000)
    assert len(ALIAS_BOMB.encode()) == 390


# YAML content ------------------------------------------------------------------------------

YAML_CASES = [
    pytest.param(
        ALIAS_BOMB,
        f"{FILE}:5:29: e: the YAML has more than 100,000 values once its aliases are expanded. "
        "Each use of an alias ('*name') counts every value it repeats; a spec needs a few "
        "hundred.",
        id="alias-bomb",
    ),
    pytest.param(
        _with("  description: Daily orders.", "  description: " + "[" * 500 + "]" * 500),
        f"{FILE}:9:78: YAML nested deeper than 64 levels. A spec needs a few levels; look for "
        "a runaway bracket or indentation.",
        id="flow-500-deep",
    ),
    pytest.param(
        _with("  description: Daily orders.", "  description: " + "{a: " * 5000 + "}" * 5000),
        f"{FILE}:9:264: YAML nested deeper than 64 levels. A spec needs a few levels; look "
        "for a runaway bracket or indentation.",
        id="flow-5000-deep",
    ),
    pytest.param(
        _with(
            "  description: Daily orders.\n",
            "  description:\n" + "".join(f"{'  ' * (level + 2)}k:\n" for level in range(500)),
        ),
        f"{FILE}:72:129: YAML nested deeper than 64 levels. A spec needs a few levels; look "
        "for a runaway bracket or indentation.",
        id="block-500-deep",
    ),
    pytest.param(
        _with("  description: Daily orders.", "  description:\n" + "  - " * 5000 + "x"),
        f"{FILE}:10:251: YAML nested deeper than 64 levels. A spec needs a few levels; look "
        "for a runaway bracket or indentation.",
        id="block-5000-deep",
    ),
    pytest.param(
        _with("  description: Daily orders.", "  description: !Ref OrdersDescription"),
        f"{FILE}:9:16: spec.description: YAML tags are not supported ('!Ref'). Write the plain "
        "value; quote it if it starts with '!'.",
        id="custom-tag",
    ),
    pytest.param(
        _with("    sql: select * from raw_orders", "    sql: !!python/name:os.system"),
        f"{FILE}:29:10: spec.transform.sql: YAML tags are not supported "
        "('!!python/name:os.system'). Write the plain value; quote it if it starts with '!'.",
        id="python-tag",
    ),
    pytest.param(
        _with("  description: Daily orders.", "  description: !!binary RGFpbHkgb3JkZXJzLg=="),
        f"{FILE}:9:16: spec.description: YAML tags are not supported ('!!binary'). Write the "
        "plain value; quote it if it starts with '!'.",
        id="binary-tag",
    ),
    pytest.param(
        _with("  grain:\n", "  grain: !!set\n"),
        f"{FILE}:20:10: spec.grain: YAML tags are not supported ('!!set'). Write the plain "
        "value; quote it if it starts with '!'.",
        id="tag-on-a-sequence",
    ),
    pytest.param(
        _with("    start: '2026-01-01'", "    start: !<tag:example.com,2026:date> 2026-01-01"),
        f"{FILE}:19:12: spec.partitioning.start: YAML tags are not supported "
        "('!<tag:example.com,2026:date>'). Write the plain value; quote it if it starts "
        "with '!'.",
        id="verbatim-tag",
    ),
    pytest.param(
        _with(
            "  schedule:\n    cron: 0 6 * * *\n    timezone: UTC\n",
            "  schedule: &daily\n    cron: 0 6 * * *\n    timezone: UTC\n  sla:\n    <<: *daily\n",
        ).replace("  sla:\n    available_by", "  slo:\n    available_by"),
        f"{FILE}:14:5: spec.sla: YAML merge keys ('<<') are not supported. Write the fields "
        "out in full (an alias '*name' may repeat a whole value); quote '<<' to mean the text.",
        id="merge-key",
    ),
    pytest.param(
        _with("  grain:\n  - order_id\n", "  grain: &grain\n  - *grain\n"),
        f"{FILE}:21:5: spec.grain[0]: invalid YAML: the alias '*grain' is inside the value "
        "it repeats.",
        id="alias-inside-its-own-value",
    ),
    pytest.param(
        _with("    timezone: UTC", "    timezone: &zone UTC").replace(
            "    type: double", "    type: &zone double"
        ),
        f"{FILE}:45:11: spec.schema[3]: invalid YAML: the anchor '&zone' is already defined "
        "on line 12. Give each anchor its own name.",
        id="anchor-defined-twice",
    ),
    pytest.param(
        _with("    start: '2026-01-01'", "    start: 2026-02-30"),
        f"{FILE}:19:12: spec.partitioning.start: cannot read this value as a date or time. "
        "Quote it to keep it as text.",
        id="impossible-date",
    ),
    pytest.param(
        _with(
            "    nullable: false\n  - name: customer_id",
            "    nullable: false\n    scale: " + "9" * 5000 + "\n  - name: customer_id",
        ),
        f"{FILE}:37:12: spec.schema[0].scale: cannot read this value as an integer. Quote it "
        "to keep it as text.",
        id="integer-past-python-digit-limit",
    ),
]


@pytest.mark.parametrize(("text", "expected"), YAML_CASES)
def test_hostile_yaml_is_one_located_problem(specs: SpecFolder, text: str, expected: str) -> None:
    assert _problems_of(specs, text) == [expected]


def test_aliases_within_the_budget_load_as_if_written_out(specs: SpecFolder) -> None:
    text = _with("    timezone: UTC", "    timezone: &zone UTC").replace(
        "  sla:\n", "  sla:\n    timezone: *zone\n"
    )
    specs.write("orders/orders_daily.yaml", text)
    sla = specs.load().product("orders-daily").spec.sla
    assert sla is not None and sla.timezone == "UTC"


def test_every_tag_of_a_file_is_reported_at_once(specs: SpecFolder) -> None:
    text = _with("  description: Daily orders.", "  description: !Ref Description").replace(
        "  owner: orders-team", "  owner: !Sub ${Team}"
    )
    assert _problems_of(specs, text) == [
        f"{FILE}:6:10: metadata.owner: YAML tags are not supported ('!Sub'). Write the plain "
        "value; quote it if it starts with '!'.",
        f"{FILE}:9:16: spec.description: YAML tags are not supported ('!Ref'). Write the "
        "plain value; quote it if it starts with '!'.",
    ]


def test_core_schema_tags_are_allowed(specs: SpecFolder) -> None:
    text = _with("    timezone: UTC", "    timezone: !!str UTC").replace(
        "    nullable: false\n  - name: customer_id",
        "    nullable: !!bool false\n  - name: customer_id",
    )
    specs.write("orders/orders_daily.yaml", text)
    assert specs.load().product("orders-daily").spec.columns[0].nullable is False


# File kinds and sizes ----------------------------------------------------------------------


def _valid_elsewhere(specs: SpecFolder) -> None:
    specs.product()


def test_a_fifo_named_like_a_spec_is_refused_without_opening_it(specs: SpecFolder) -> None:
    _valid_elsewhere(specs)
    os.mkfifo(specs.root / "orders" / "pipe.yaml")
    assert specs.problems() == [
        "specs/orders/pipe.yaml:1:1: cannot read file: it is a named pipe (FIFO), not a "
        "regular file. Only regular files are read as specs."
    ]


def test_a_link_to_a_device_is_refused(specs: SpecFolder) -> None:
    _valid_elsewhere(specs)
    (specs.root / "orders" / "zero.yaml").symlink_to("/dev/zero")
    assert specs.problems() == [
        "specs/orders/zero.yaml:1:1: cannot read file: it is a device, not a regular file. "
        "Only regular files are read as specs."
    ]


def test_a_broken_link_is_named(specs: SpecFolder) -> None:
    _valid_elsewhere(specs)
    (specs.root / "orders" / "gone.yaml").symlink_to("nowhere.yaml")
    assert specs.problems() == [
        "specs/orders/gone.yaml:1:1: cannot read file: it is a symbolic link to a file that "
        "does not exist. Fix or remove the link."
    ]


def test_a_link_loop_is_named(specs: SpecFolder) -> None:
    _valid_elsewhere(specs)
    (specs.root / "orders" / "loop.yaml").symlink_to("loop.yaml")
    assert specs.problems() == [
        "specs/orders/loop.yaml:1:1: cannot read file: its symbolic links form a loop. Fix "
        "or remove the link."
    ]


def test_a_folder_named_like_a_spec_is_reported_and_not_entered(specs: SpecFolder) -> None:
    _valid_elsewhere(specs)
    (specs.root / "orders" / "old.yaml").mkdir()
    specs.write("orders/old.yaml/inner.yaml", "not: read\n")
    assert specs.problems() == [
        "specs/orders/old.yaml:1:1: cannot read file: it is a folder, not a regular file. "
        "Rename it: every file or folder named *.yaml or *.yml is read as a spec."
    ]


def test_a_linked_folder_is_not_followed(specs: SpecFolder) -> None:
    _valid_elsewhere(specs)
    (specs.root / "orders" / "again").symlink_to("..", target_is_directory=True)
    assert [str(path) for path in spec_files(specs.root)] == [FILE]


def test_a_spec_of_exactly_the_size_limit_loads_and_one_byte_more_does_not(
    specs: SpecFolder,
) -> None:
    padding = "#" * (MAX_SPEC_BYTES - len(BASE.encode()) - 1) + "\n"
    path = specs.write("orders/orders_daily.yaml", BASE + padding)
    assert path.stat().st_size == MAX_SPEC_BYTES
    assert list(specs.load().products) == ["orders-daily"]
    path.write_text(BASE + "#" + padding)
    assert specs.problems() == [
        f"{FILE}:1:1: cannot read file: it is larger than 1 MiB, the limit for a spec file. "
        "A product's spec is a few kilobytes; put each product in its own file."
    ]


def test_a_2_mib_spec_is_refused_before_it_is_read(specs: SpecFolder) -> None:
    with (specs.root / "big.yaml").open("wb") as file:
        file.truncate(2 * MAX_SPEC_BYTES)  # sparse: no 2 MiB is ever written or read
    assert specs.problems() == [
        "specs/big.yaml:1:1: cannot read file: it is larger than 1 MiB, the limit for a spec "
        "file. A product's spec is a few kilobytes; put each product in its own file."
    ]


def test_binary_garbage_is_located_at_its_first_bad_byte(specs: SpecFolder) -> None:
    path = specs.root / "orders" / "orders_daily.yaml"
    path.parent.mkdir()
    path.write_bytes(BASE.encode().replace(b"Daily orders.", b"Daily \xe9t\xff\x00\x9f."))
    assert specs.problems() == [
        f"{FILE}:9:22: cannot read file: it is not UTF-8 text. Save it as UTF-8 (a spec is "
        "text, never a binary file)."
    ]


# File names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("\x1b[2J\x1b[31mred.yaml", "\\x1b[2J\\x1b[31mred.yaml"),
        ("new\nline.yaml", "new\\nline.yaml"),
        ("evil\u202egnp.yaml", "evil\\u202egnp.yaml"),
        (os.fsdecode(b"latin\xe9.yaml"), "latin\\xe9.yaml"),
        ("café.yaml", "café.yaml"),
    ],
)
def test_file_names_are_shown_escaped(specs: SpecFolder, name: str, shown: str) -> None:
    (specs.root / name).write_text("apiVersion: [\n")
    assert display_path(specs.root / name) == f"specs/{shown}"
    assert specs.problems() == [
        f"specs/{shown}:2:1: invalid YAML: the file ends before a value, bracket or quote is "
        "complete."
    ]


def test_printable_cuts_long_text() -> None:
    assert printable("a" * 50, 10) == "aaaaaaaaa…"
    assert printable("\x00" * 5, 10) == "\\x00\\x00\\…"


# What `mesh validate` prints -------------------------------------------------------------


@pytest.fixture
def runner() -> CliRunner:
    """Return a runner for `mesh validate`, with a fixed terminal width."""
    return CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"})


def _validate(runner: CliRunner) -> tuple[int, str]:
    result = runner.invoke(app, ["validate"])
    return result.exit_code, result.output


def test_validate_reports_an_alias_bomb(runner: CliRunner, specs: SpecFolder) -> None:
    specs.write("orders/orders_daily.yaml", ALIAS_BOMB)
    assert _validate(runner) == (
        1,
        f"{FILE}:5:29: e: the YAML has more than 100,000 values once its aliases are "
        "expanded. Each use of an alias ('*name') counts every value it repeats; a spec needs "
        "a few hundred.\n"
        "✗ 1 problem in 1 file (1 file checked).\n",
    )


def test_validate_reports_a_fifo_and_a_device_and_goes_on(
    runner: CliRunner, specs: SpecFolder
) -> None:
    specs.product()
    os.mkfifo(specs.root / "pipe.yaml")
    (specs.root / "zero.yml").symlink_to("/dev/zero")
    assert _validate(runner) == (
        1,
        "specs/pipe.yaml:1:1: cannot read file: it is a named pipe (FIFO), not a regular "
        "file. Only regular files are read as specs.\n"
        "specs/zero.yml:1:1: cannot read file: it is a device, not a regular file. Only "
        "regular files are read as specs.\n"
        "✗ 2 problems in 2 files (3 files checked).\n",
    )


def test_validate_one_fifo_given_by_name(runner: CliRunner, specs: SpecFolder) -> None:
    os.mkfifo(specs.root / "pipe.yaml")
    result = runner.invoke(app, ["validate", "specs/pipe.yaml"])
    assert (result.exit_code, result.output) == (
        1,
        "specs/pipe.yaml:1:1: cannot read file: it is a named pipe (FIFO), not a regular "
        "file. Only regular files are read as specs.\n"
        "✗ 1 problem in 1 file (1 file checked).\n",
    )


def test_validate_escapes_a_file_name_in_every_format(runner: CliRunner, specs: SpecFolder) -> None:
    (specs.root / "\x1b]0;owned\x07.yaml").write_text("kind: !Ref x\n")
    text = _validate(runner)
    assert text == (
        1,
        "specs/\\x1b]0;owned\\x07.yaml:1:7: kind: YAML tags are not supported ('!Ref'). "
        "Write the plain value; quote it if it starts with '!'.\n"
        "✗ 1 problem in 1 file (1 file checked).\n",
    )
    github = runner.invoke(app, ["validate", "--format", "github"]).output
    assert github == (
        "::error file=specs/\\x1b]0;owned\\x07.yaml,line=1,col=7::kind: YAML tags are not "
        "supported ('!Ref'). Write the plain value; quote it if it starts with '!'.\n"
    )
    problems = json.loads(runner.invoke(app, ["validate", "--format", "json"]).output)
    assert problems[0]["file"] == "specs/\\x1b]0;owned\\x07.yaml"


def test_validate_reports_deep_nesting_not_a_recursion_error(
    runner: CliRunner, specs: SpecFolder
) -> None:
    # libyaml stops looking ahead at 1,000 levels of brackets and says where.
    specs.write("orders/orders_daily.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert _validate(runner) == (
        1,
        f"{FILE}:1:1003: YAML nested deeper than 64 levels. A spec needs a few levels; look "
        "for a runaway bracket or indentation.\n"
        "✗ 1 problem in 1 file (1 file checked).\n",
    )


def test_a_timezone_too_long_for_a_file_name_is_unknown_not_an_os_error(
    specs: SpecFolder,
) -> None:
    zone = "Europe/" + "x" * 300  # zoneinfo opens a file of that name: ENAMETOOLONG
    specs.product(spec={"schedule": {"timezone": zone}})
    assert specs.problems() == [
        f"{FILE}:12:5: spec.schedule.timezone: unknown timezone '{zone}'; expected an IANA "
        "name such as 'UTC' or 'Europe/Berlin'."
    ]


# Seeded fuzzing --------------------------------------------------------------------------

_FUZZ_PIECES = [
    "&a ", "*a", "<<: ", "!x ", "!!binary ", "!<tag:x> ", "[", "]", "{", "}", ": ", "- ",
    "? ", "\n", "  ", "'", '"', "\t", "%TAG ! tag:x,2000:\n", "---\n", "...\n", "\x00",
    "\x1b", "\ufeff", "9" * 5000, "2026-02-30", "=", "~", "&b [*a,*a,*a]", "|\n", ">-\n",
    "#", ",", "*", "&", "!", "[" * 100, "{a: " * 70, "- " * 70,
]  # fmt: skip


@pytest.mark.parametrize("seed", range(4))
def test_mutated_specs_give_located_problems_never_a_traceback(
    specs: SpecFolder, seed: int
) -> None:
    rng = random.Random(seed)
    reported = 0
    for _ in range(50):
        text = BASE
        for _ in range(rng.randint(1, 5)):
            at = rng.randint(0, len(text))
            roll = rng.random()
            if roll < 0.6:
                text = text[:at] + rng.choice(_FUZZ_PIECES) + text[at:]
            elif roll < 0.85:
                text = text[:at] + text[at + rng.randint(1, 30) :]
            else:
                text = text[:at] + chr(rng.randint(1, 0xD7FF)) + text[at:]
        specs.write("orders/orders_daily.yaml", text)
        try:
            specs.load()
        except SpecError as error:
            reported += 1
            for problem in error.problems:
                assert problem.file == FILE
                assert problem.line >= 1 and problem.column >= 1
                assert problem.message.endswith((".", "?")), problem
    assert reported > 30  # the mutations do break the spec
