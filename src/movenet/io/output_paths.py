"""Output paths of the command line checked before any work: a ``--json`` that is a folder, a
``--csv`` nobody can write, a ``--draw`` folder that is a file, ... fail at once with one line,
not with a traceback after the whole video has been processed."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from movenet.errors import MovenetError

__all__ = ["OutputPathError", "check_output_dir", "check_output_file"]


class OutputPathError(MovenetError, ValueError):
    """An output path that cannot be written (the message names the option and the path)."""


def _why(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _probe(folder: Path, option: str, shown: str) -> None:
    """Create and remove a file in `folder`: the only test that tells the truth (root, read-only
    file systems, /sys, network mounts)."""
    probe = folder / f".movenet-probe-{uuid.uuid4().hex[:12]}"
    try:
        probe.open("xb").close()
    except OSError as exc:
        raise OutputPathError(f"{option} {shown}: cannot write in {folder} ({_why(exc)})") from None
    probe.unlink(missing_ok=True)


def _make_parents(path: Path, option: str, shown: str) -> None:
    for ancestor in path.parents:  # the first that exists must be a folder
        if ancestor.exists():
            if not ancestor.is_dir():
                raise OutputPathError(f"{option} {shown}: {ancestor} is not a folder")
            break
    try:
        path.parent.mkdir(parents=True, exist_ok=True)  # the writers would make them anyway
    except OSError as exc:
        raise OutputPathError(f"{option} {shown}: cannot create the folder {path.parent} ({_why(exc)})") from None


def check_output_file(path: str | os.PathLike[str] | None, option: str) -> None:
    """OutputPathError unless `path` (None or "-" = nothing to check) can be written as a file."""
    if path is None or str(path) == "-":
        return
    target = Path(path)
    shown = str(path)
    if target.is_dir():
        raise OutputPathError(f"{option} {shown}: is a folder; give a file name")
    if target.exists():
        try:
            target.open("ab").close()  # writable? (appending nothing changes nothing)
        except OSError as exc:
            raise OutputPathError(f"{option} {shown}: cannot write it ({_why(exc)})") from None
        return
    _make_parents(target, option, shown)
    _probe(target.parent, option, shown)


def check_output_dir(path: str | os.PathLike[str] | None, option: str) -> None:
    """OutputPathError unless `path` (None = nothing to check) is, or can be made, a writable folder."""
    if path is None:
        return
    target = Path(path)
    shown = str(path)
    if target.exists() and not target.is_dir():
        raise OutputPathError(f"{option} {shown}: exists and is not a folder")
    if not target.exists():
        _make_parents(target / "x", option, shown)
    _probe(target, option, shown)
