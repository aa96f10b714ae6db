"""The converted-model cache (issue 17, items 8-9): a damaged, truncated or empty converted .onnx is
noticed (a sha256 written beside it at conversion time) and rebuilt with a one-line message, and
converted files get the umask's mode like every other file. Works on copies of the weights in a
temporary folder, so the shared cache is never touched."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from movenet.cli.common import example_image
from movenet.cli.main import main
from movenet.models import fetch
from movenet.models.catalog import get_spec

from conftest import get_network

SOURCES = ("movenet-lightning.json", "movenet-lightning.bin")


def _onnx_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("movenet-lightning.*.onnx"))


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder with the Lightning weights and their conversion, made under umask 002."""
    get_network("lightning")  # skip when the weights are not fetched
    json_path, bin_path = fetch.model_files("lightning", fetch=False)
    folder = tmp_path_factory.mktemp("converted")
    for path in (json_path, bin_path):
        shutil.copyfile(path, folder / path.name)
    from movenet.models.store import onnx_model_path

    old = os.umask(0o002)
    try:
        path = onnx_model_path("lightning", folder)
    finally:
        os.umask(old)
    assert path.parent == folder
    yield folder


@pytest.fixture
def models(converted: Path, tmp_path: Path) -> Path:
    """A private copy of `converted` (weights, .onnx and whatever lies beside it)."""
    folder = tmp_path / "models"
    shutil.copytree(converted, folder)
    fetch._VERIFIED.clear()
    return folder


def _detect(capsys: pytest.CaptureFixture[str], folder: Path) -> tuple[int, dict, str]:
    rc = main(["detect", "--model-dir", str(folder), "--json", "-", str(example_image())])
    out, err = capsys.readouterr()
    return rc, json.loads(out), err


def _keypoints(doc: dict) -> np.ndarray:
    (frame,) = doc["frames"]
    (pose,) = frame["poses"]
    return np.array([(k["x"], k["y"], k["score"]) for k in pose["keypoints"]])


def test_converted_model_has_its_checksum_beside_it_and_the_umask_mode(converted: Path) -> None:
    (onnx,) = _onnx_files(converted)
    mode = stat.S_IMODE(onnx.stat().st_mode)
    assert mode == 0o664, oct(mode)  # 0o666 & ~umask 002, like any file the user makes (was 0600)
    checksum = onnx.with_name(onnx.name + ".sha256")
    assert stat.S_IMODE(checksum.stat().st_mode) == 0o664
    digest, name = checksum.read_text().split()
    assert name == onnx.name and digest == hashlib.sha256(onnx.read_bytes()).hexdigest()
    assert not list(converted.glob("*.part"))  # no temporary file left behind


def _random_middle(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.seek(size // 2)
        f.write(np.random.default_rng(17).integers(0, 256, 64 * 1024, dtype=np.uint8).tobytes())
    assert path.stat().st_size == size


def _truncate(path: Path) -> None:
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 3)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _no_checksum(path: Path) -> None:  # converted by a movenet without checksums
    path.with_name(path.name + ".sha256").unlink()


@pytest.mark.parametrize("damage", [_random_middle, _truncate, _empty, _no_checksum],
                         ids=["64k-random-bytes", "truncated", "empty", "no-checksum"])
def test_damaged_converted_model_is_rebuilt_with_one_line(models: Path, capsys: pytest.CaptureFixture[str],
                                                          damage) -> None:  # noqa: ANN001
    rc, expected, _ = _detect(capsys, models)
    assert rc == 0
    (onnx,) = _onnx_files(models)
    good = onnx.read_bytes()
    damage(onnx)
    rc, doc, err = _detect(capsys, models)
    assert rc == 0, err
    np.testing.assert_allclose(_keypoints(doc), _keypoints(expected), atol=1e-6)
    lines = [line for line in err.splitlines() if "no input given" not in line]
    assert len(lines) == 1 and onnx.name in lines[0] and "converting" in lines[0], err
    assert "Traceback" not in err
    assert onnx.read_bytes() == good  # rebuilt, identical (the conversion is deterministic)
    # Once rebuilt, it is trusted again: no message on the next run.
    rc, again, err = _detect(capsys, models)
    assert rc == 0 and [line for line in err.splitlines() if "no input given" not in line] == []
    assert again == expected


def test_intact_model_is_not_rebuilt(models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (onnx,) = _onnx_files(models)
    before = onnx.stat().st_mtime_ns
    rc, _, err = _detect(capsys, models)
    assert rc == 0 and "converting" not in err
    assert onnx.stat().st_mtime_ns == before
    assert {get_spec("lightning").json_file, get_spec("lightning").bin_file} == set(SOURCES)
