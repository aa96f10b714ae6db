"""Checksums of the files we make (converted and quantised ONNX models): a ``NAME.sha256`` file
(``sha256sum`` format) written beside each one when it is made and checked before it is used, so a
damaged, truncated or emptied file is noticed and made again instead of giving wrong poses.

Checking costs one sha256 of the file per process (about 10-20 ms for Lightning's 9 MB, 45 ms for
Thunder's 25 MB on a busy 2-core machine; remembered per (path, size, mtime, ctime, inode), like the
weights' checks in :mod:`movenet.models.fetch`).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

__all__ = ["checksum_path", "file_problem", "write_checksum", "write_checked"]

_HASHED: dict[tuple[str, int, int, int, int], str] = {}


def checksum_path(path: Path) -> Path:
    """Where the checksum of `path` lives: ``path`` + ``.sha256``."""
    return path.with_name(path.name + ".sha256")


def _sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    digest = _HASHED.get(key)
    if digest is None:
        h = hashlib.sha256()
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        digest = h.hexdigest()
        _HASHED[key] = digest
    return digest


def file_problem(path: Path) -> str | None:
    """None when `path` exists and matches its checksum; else what is wrong with it ("is missing",
    "is empty", "has no checksum ...", "does not match its checksum ...", "cannot be read ...")."""
    try:
        size = path.stat().st_size
        if size == 0:
            return "is empty"
        try:
            recorded = checksum_path(path).read_text().split()[0]
        except FileNotFoundError:
            return "has no checksum (made by an older movenet)"
        except IndexError:
            return "has an empty checksum file"
        if _sha256(path) != recorded:
            return f"does not match its checksum (damaged or truncated: {size:,} bytes)"
    except FileNotFoundError:
        return "is missing"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    return None


def _write_new(path: Path, data: bytes) -> None:
    # open(..., "xb") makes the file with the umask's mode (0644 under umask 022), as any file the
    # user creates; tempfile.mkstemp would make it 0600, unreadable to a team sharing the cache.
    with path.open("xb") as f:
        f.write(data)


def write_checksum(path: Path) -> None:
    """(Re)write the checksum file of `path` from its current content (atomically)."""
    target = checksum_path(path)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.part")
    try:
        _write_new(tmp, f"{_sha256(path)}  {path.name}\n".encode())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_checked(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (a crash never leaves a partial file under the name), with
    the umask's mode, and its checksum beside it."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.part")
    try:
        _write_new(tmp, data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    write_checksum(path)
