"""The converted BlazePose and PoseNet networks against the TF.js runtime's raw outputs.

Two sources of reference outputs:

- the committed fixture ``tests/fixtures/networks/raw_outputs.npz`` (``scripts/
  make_network_fixtures.py``): TF.js wasm outputs on windows of the shared stills that this test
  rebuilds bit for bit (``tests/network_inputs.py``), with TF.js cpu's distance from wasm on the
  same inputs;
- live, where Node and the oracle are set up: the oracle pipeline's own network inputs and
  outputs (``run.sh --debug --dump-dir``), i.e. letterboxed and rotated crops as the reference
  makes them.

The bar for each output is 1e-4 of its scale (1e-4 absolute for outputs within [-1, 1]) or,
where TF.js disagrees with itself by more (cpu against wasm: the sigmoid segmentation mask, whose
logits reach about 1000), three times that disagreement.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from movenet.models.catalog import get_spec

from conftest import FIXTURES, SHARED_DATA, get_network
from network_inputs import CASES, array_sha256, network_input, output_views

FIXTURE = FIXTURES / "networks" / "raw_outputs.npz"
RELATIVE_BAR = 1e-4
SPREAD_FACTOR = 3.0
GRAPHS = list(dict.fromkeys(c.graph for c in CASES))


def _network(graph: str):  # noqa: ANN202 - Backend
    return get_network(graph, threads=1)


def _names(graph: str) -> list[str]:
    return [name for name, _ in get_spec(graph).outputs]


def _bar(scale: float, spread: float = 0.0) -> float:
    return max(RELATIVE_BAR * max(1.0, scale), SPREAD_FACTOR * spread)


@pytest.fixture(scope="module")
def fixture() -> tuple[dict, dict[str, np.ndarray]]:
    with np.load(FIXTURE) as data:
        arrays = {k: data[k] for k in data.files}
    return json.loads(str(arrays.pop("manifest"))), arrays


@pytest.mark.parity
@pytest.mark.parametrize("graph", GRAPHS)
def test_network_matches_tfjs_on_fixture_inputs(graph: str, fixture: tuple[dict, dict[str, np.ndarray]]) -> None:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    manifest, arrays = fixture
    assert manifest["models"][graph] == {"json_sha256": get_spec(graph).json_sha256,
                                         "bin_sha256": get_spec(graph).bin_sha256}
    entries = [(i, c) for i, c in enumerate(manifest["cases"]) if c["graph"] == graph]
    cases = {c.key: c for c in CASES if c.graph == graph}
    assert [c["key"] for _, c in entries] == list(cases) and len(entries) >= 3
    network = _network(graph)
    for i, entry in entries:
        x = network_input(cases[entry["key"]], SHARED_DATA / "stills")
        assert array_sha256(x) == entry["input_sha256"], f"{entry['key']}: input differs from the fixture's"
        views = output_views(graph, _names(graph), network.run(x))
        assert list(views) == [o["name"] for o in entry["outputs"]]
        for out in entry["outputs"]:
            got = views[out["name"]]
            assert list(got.shape) == out["shape"]
            scale = max(abs(out["min"]), abs(out["max"]))
            bar = _bar(scale, out["cpu_wasm_max"])
            sampled = got.reshape(-1)[arrays[f"c{i}/{out['name']}/idx"]].astype(np.float64)
            worst = float(np.abs(sampled - arrays[f"c{i}/{out['name']}/val"]).max())
            print(f"{entry['key']} {out['name']}: max |ours - tfjs| {worst:.2e} (bar {bar:.1e}; "
                  f"tfjs cpu-wasm {out['cpu_wasm_max']:.1e})")
            assert worst <= bar, f"{entry['key']} {out['name']}: {worst:.3g} > {bar:.3g}"
            for stat, value in (("min", got.min()), ("max", got.max()), ("mean", got.mean(dtype=np.float64)),
                                ("mean_abs", np.abs(got).mean(dtype=np.float64))):
                assert abs(float(value) - out[stat]) <= bar, f"{entry['key']} {out['name']} {stat}"


# -- live: the oracle pipeline's exact network inputs -------------------------------------------

_ORACLE = Path(os.environ.get("TFJS_ORACLE", SHARED_DATA.parent / "tools" / "tfjs-oracle" / "run.sh"))
_LIVE_STILLS = ("astronaut.png", "tfjs_pose.jpg")


def _oracle_dump(tmp_path: Path, args: list[str]) -> Path:
    if shutil.which("node") is None or not _ORACLE.is_file():
        pytest.skip(f"the TF.js oracle ({_ORACLE}) or node is not available")
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    dump = tmp_path / "dump"
    cmd = [str(_ORACLE), *args, "--debug", "--dump-dir", str(dump), "--warmup", "0", "--images-independent",
           *(str(SHARED_DATA / "stills" / s) for s in _LIVE_STILLS)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-1000:]
    return dump


def _check_dumps(graph: str, dump: Path, in_suffix: str, out_prefix: str, files: list[str]) -> None:
    inputs = sorted(dump.glob(f"frame*{in_suffix}"))
    assert len(inputs) == len(_LIVE_STILLS)
    for x_file in inputs:
        stem = str(x_file)[: -len(in_suffix)]
        ours = output_views(graph, _names(graph), _network(graph).run(np.load(x_file)))
        ref = output_views(graph, _names(graph), [np.load(f"{stem}{out_prefix}{f}.npy") for f in files])
        for name, expected in ref.items():
            diff = np.abs(ours[name].astype(np.float64) - expected)
            if name == "activation_segmentation":
                # sigmoid of logits up to ~1000: a 1e-4 relative logit difference moves p by up to
                # ~0.02 where p = 0.5 (TF.js cpu vs wasm: the same size); the mean stays ~1e-6.
                assert diff.mean() <= 1e-5 and diff.max() <= 0.05, (name, diff.mean(), diff.max())
            else:
                bar = _bar(float(np.abs(expected).max()))
                assert diff.max() <= bar, f"{graph} {x_file.name} {name}: {diff.max():.3g} > {bar:.3g}"
            print(f"{graph} {x_file.name[:10]} {name}: max |ours - tfjs| {diff.max():.2e}")


@pytest.mark.parity
def test_blazepose_networks_on_oracle_pipeline_inputs(tmp_path: Path) -> None:
    dump = _oracle_dump(tmp_path, ["--model", "blazepose-full", "--smoothing", "off", "--segmentation", "on"])
    _check_dumps("blazepose-detector", dump, "_detector_input.npy", "_detector_", ["output"])
    _check_dumps("blazepose-full", dump, "_landmark_input.npy", "_landmark_", _names("blazepose-full"))


@pytest.mark.parity
def test_posenet_network_on_oracle_pipeline_inputs(tmp_path: Path) -> None:
    dump = _oracle_dump(tmp_path, ["--model", "posenet"])  # the library's default 257x257
    _check_dumps("posenet", dump, "_input.npy", "_output_", _names("posenet"))
