"""What a batch run processes: folders (recursive), glob patterns (``**`` too) and text manifests
(one path a line) expanded to video and image files, each with the relative path that names its
output (the outputs mirror the inputs' layout below the deepest folder holding all of them)."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from movenet.batch.settings import BatchError
from movenet.io.images import IMAGE_EXTENSIONS

__all__ = ["MANIFEST_EXTENSIONS", "VIDEO_EXTENSIONS", "InputItem", "collect_inputs", "largest_first", "media_kind"]

#: Suffixes read as videos (one sequence each). A GIF is a video here (``movenet track`` reads it so).
VIDEO_EXTENSIONS: frozenset[str] = frozenset(
    {".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".gif", ".mpg", ".mpeg", ".wmv", ".flv", ".ts", ".mts",
     ".3gp", ".ogv"})
#: Suffixes read as still images (each independent, as ``movenet detect``).
STILL_EXTENSIONS: frozenset[str] = IMAGE_EXTENSIONS - VIDEO_EXTENSIONS
#: A file argument with one of these suffixes is a manifest: one input path a line.
MANIFEST_EXTENSIONS: frozenset[str] = frozenset({".txt", ".lst", ".list"})


@dataclass(frozen=True)
class InputItem:
    """One input: its absolute `path`, `source` (the relative POSIX path that names its output and
    fills the ``source`` column) and `kind` ("video" or "image")."""

    path: str
    source: str
    kind: str


def media_kind(path: str | os.PathLike[str]) -> str | None:
    """"video", "image", or None for a suffix that is neither."""
    suffix = Path(path).suffix.lower()
    if suffix in VIDEO_EXTENSIONS:
        return "video"
    if suffix in STILL_EXTENSIONS:
        return "image"
    return None


def _is_glob(spec: str) -> bool:
    return glob.has_magic(spec)


def _under(path: str, folder: str | None) -> bool:
    if folder is None:
        return False
    real = os.path.realpath(path)
    return real == folder or real.startswith(folder + os.sep)


def _walk(folder: str, exclude: str | None) -> list[str]:
    """Media files below `folder`, sorted, hidden files and folders skipped, `exclude` not entered."""
    found: list[str] = []

    def fail(exc: OSError) -> None:
        raise BatchError(f"{exc.filename}: cannot list folder ({exc.strerror})")

    for root, dirs, files in os.walk(folder, onerror=fail, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not _under(os.path.join(root, d), exclude))
        found.extend(os.path.join(root, f) for f in sorted(files)
                     if not f.startswith(".") and media_kind(f) is not None)
    return found


def _glob_root(pattern: str) -> str:
    """The folder before the first component with a wildcard."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts[:-1]:
        if _is_glob(part):
            break
        fixed.append(part)
    return str(Path(*fixed)) if fixed else "."


def _read_manifest(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchError(f"{path}: cannot read the input list ({exc})") from exc
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            entries.append(line if os.path.isabs(line) else str(path.parent / line))
    if not entries:
        raise BatchError(f"{path}: the input list names no file")
    return entries


def _expand(spec: str, exclude: str | None, *, from_list: bool) -> list[tuple[str, str]]:
    """(file, root) pairs of one input argument; `root` is the folder its outputs mirror."""
    if os.path.isdir(spec):
        files = _walk(spec, exclude)
        if not files:
            raise BatchError(f"{spec}: no video or image files in this folder")
        return [(f, spec) for f in files]
    if os.path.isfile(spec) or os.path.lexists(spec):
        if not from_list and Path(spec).suffix.lower() in MANIFEST_EXTENSIONS:
            pairs: list[tuple[str, str]] = []
            for entry in _read_manifest(Path(spec)):
                pairs.extend(_expand(entry, exclude, from_list=True) if os.path.isdir(entry) or _is_glob(entry)
                             else [(entry, os.path.dirname(entry) or ".")])
            return pairs
        return [(spec, os.path.dirname(spec) or ".")]
    if _is_glob(spec):
        matches = [m for m in sorted(glob.glob(spec, recursive=True))
                   if os.path.isfile(m) and media_kind(m) is not None and not _under(m, exclude)]
        if not matches:
            raise BatchError(f"{spec}: the pattern matches no video or image file")
        root = _glob_root(spec)
        return [(m, root) for m in matches]
    if from_list:  # a missing file named in a list is that input's failure, not the run's
        return [(spec, os.path.dirname(spec) or ".")]
    raise BatchError(f"{spec}: no such file, folder or pattern")


def collect_inputs(specs: Sequence[str | os.PathLike[str]], *, exclude: str | os.PathLike[str] | None = None
                   ) -> list[InputItem]:
    """Expand `specs` (files, folders, globs, manifests) into inputs, in order, each file once.

    `exclude` (the output folder) is never entered by folder walks or globs. Files named
    explicitly (on the command line or in a manifest) are kept whatever their suffix, so that
    decoding reports what is wrong with them; folders and globs keep video and image files only.
    Raises :class:`BatchError` for a spec that names nothing."""
    if isinstance(specs, (str, os.PathLike)):
        specs = [specs]
    if not specs:
        raise BatchError("no input given: name folders, files, glob patterns or a .txt list of paths")
    excluded = os.path.realpath(exclude) if exclude is not None else None
    pairs: list[tuple[str, str]] = []
    for spec in specs:
        pairs.extend(_expand(os.fspath(spec), excluded, from_list=False))
    seen: set[str] = set()
    unique: list[tuple[str, str]] = []
    for file, root in pairs:
        absolute = os.path.abspath(file)
        if absolute not in seen:
            seen.add(absolute)
            unique.append((absolute, os.path.abspath(root)))
    base = os.path.commonpath([root for _, root in unique])
    return [InputItem(path=file, source=_relative(file, base), kind=media_kind(file) or "video")
            for file, _ in unique]


def _relative(file: str, base: str) -> str:
    return str(PurePosixPath(*Path(os.path.relpath(file, base)).parts))



def largest_first(items: Sequence[InputItem]) -> list[InputItem]:
    """`items` by file size, largest first: a video is one sequence on one worker, so starting the
    long ones first keeps one from running alone at the end (the size stands in for the work)."""
    def size(item: InputItem) -> int:
        try:
            return os.path.getsize(item.path)
        except OSError:
            return 0

    return sorted(items, key=size, reverse=True)
