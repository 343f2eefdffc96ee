"""Read the specs folder as it was at a git ref, and load it as a mesh."""

from __future__ import annotations

import dataclasses
import subprocess
import tempfile
from pathlib import Path

from mesh_dagster.spec.errors import SpecError
from mesh_dagster.spec.loader import load_mesh
from mesh_dagster.spec.mesh import Mesh


class GitRefError(Exception):
    """The ref, the repository or the specs folder cannot be read from git; a user's error."""


def _git(args: list[str], cwd: Path) -> bytes:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise GitRefError("git is not installed or not on PATH.") from None
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitRefError(detail[-1] if detail else f"git {args[0]} failed.")
    return result.stdout


def _repository_path(specs: Path) -> tuple[Path, str]:
    """Return the repository's top folder and the specs folder's path inside it."""
    folder = specs.resolve()
    probe = folder if folder.is_dir() else folder.parent
    while not probe.exists():
        probe = probe.parent
    try:
        top = Path(_git(["rev-parse", "--show-toplevel"], probe).decode().strip()).resolve()
    except GitRefError:
        raise GitRefError(f"'{specs}' is not inside a git repository.") from None
    return top, folder.relative_to(top).as_posix()


def _resolve_commit(ref: str, top: Path) -> str:
    if ref.startswith("-"):
        raise GitRefError(f"unknown git ref '{ref}'.")
    try:
        return _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top).decode().strip()
    except GitRefError:
        raise GitRefError(
            f"unknown git ref '{ref}'; give a branch, tag or commit (e.g. 'main', 'HEAD~1')."
        ) from None


def write_specs_at_ref(ref: str, specs: Path, target: Path) -> str:
    """Write the YAML files of ``specs`` as they were at ``ref`` under ``target``.

    Return the specs folder's path inside the repository. A folder absent at the ref
    leaves ``target`` empty (every product is then new).
    """
    top, inside = _repository_path(specs)
    commit = _resolve_commit(ref, top)
    listing = _git(["ls-tree", "-r", "-z", "--full-tree", commit, "--", inside], top)
    prefix = "" if inside == "." else f"{inside}/"
    for entry in listing.decode("utf-8").split("\0"):
        if not entry:
            continue
        meta, path = entry.split("\t", 1)
        if meta.split()[1] != "blob" or not path.endswith((".yaml", ".yml")):
            continue
        relative = path[len(prefix) :] if path.startswith(prefix) else Path(path).name
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(_git(["cat-file", "blob", f"{commit}:{path}"], top))
    return inside


def load_mesh_at_ref(ref: str, specs: Path) -> Mesh:
    """Return the mesh of the ``specs`` folder at git ``ref``.

    Raise GitRefError when the ref or repository cannot be read, and SpecError when those
    specs do not load; its problems name files as ``REF:path/in/repo.yaml``.
    """
    with tempfile.TemporaryDirectory(prefix="mesh-impact-") as folder:
        root = Path(folder)
        inside = write_specs_at_ref(ref, specs, root)
        try:
            return load_mesh(root, bind_sql=False)
        except SpecError as error:
            problems = [
                dataclasses.replace(problem, file=_label(problem.file, root, ref, inside))
                for problem in error.problems
            ]
            raise SpecError(problems) from None


def _label(file: str, root: Path, ref: str, inside: str) -> str:
    """Return a problem's file as ``REF:path/in/repo.yaml`` instead of its temporary path."""
    try:
        relative = (Path.cwd() / file).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return file
    return f"{ref}:{relative}" if inside == "." else f"{ref}:{inside}/{relative}"
