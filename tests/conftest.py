"""Shared fixtures: the shared data folder, and one loaded network per model per test session.

Layout: ``tests/unit/`` (fast, mirrors the package) and ``tests/parity/`` (against the TF.js
oracle's outputs; every test there is marked ``parity``); browser tests are marked ``browser``.
``python -m pytest -m "not parity and not browser"`` is the fast loop.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from movenet.errors import ModelFileError

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MOVENET_SHARED", REPO.parent / "shared"))
SHARED_DATA = SHARED / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TESTS = Path(__file__).resolve().parent

# Some test modules reuse others by module name (the OpenVINO checks rerun the ONNX Runtime
# parity tests): put every test folder on sys.path, as pytest's default import mode would once
# it had collected them. Test file names are unique across the folders.
for _folder in sorted({p.parent for p in TESTS.glob("*/**/test_*.py")}):
    if str(_folder) not in sys.path:
        sys.path.append(str(_folder))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/parity/ is a parity test."""
    parity = TESTS / "parity"
    for item in items:
        if parity in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.parity)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or skip: the real images are never committed to this repo."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent (set MOVENET_SHARED)")
    return SHARED_DATA


_networks: dict[tuple[str, int | None], object] = {}


def get_network(name: str, threads: int | None = None):  # noqa: ANN201 - Backend
    """The converted network for `name` (on `threads` intra-op threads), loaded once per session;
    skip when the weights are absent."""
    key = (name, threads)
    if key not in _networks:
        from movenet.models.fetch import model_files
        from movenet.models.store import load_network

        try:
            model_files(name, fetch=False)
        except ModelFileError as exc:
            pytest.skip(f"{name} weights not available ({exc}); run `movenet models fetch`")
        _networks[key] = load_network(name, threads=threads)
    return _networks[key]


@pytest.fixture(scope="session")
def lightning_network():
    return get_network("lightning")


@pytest.fixture(scope="session")
def thunder_network():
    return get_network("thunder")


def detector_on(model: str, **options: object):  # noqa: ANN201 - PoseDetector
    """A fresh detector for `model` (options as in create_detector) on this session's loaded networks."""
    from movenet.api import EngineOptions, Networks, build_detector

    networks = Networks(EngineOptions(), lambda name, engine: get_network(name))
    return build_detector(model, networks, **options)
