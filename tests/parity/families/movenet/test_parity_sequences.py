"""Parity with the official TF.js MoveNet on video sequences (crop loop and smoothing over time).

Reference outputs were produced by ../shared/tools/tfjs-oracle (wasm backend, one sequence per run
from a fresh detector state, timestamps k*1000/30 ms) with scripts/make_sequence_fixtures.py. Each
sequence is rebuilt here from ../shared/data by tests/sequences.py and checked frame by frame
against the sha256 the oracle saw.

Two checks per sequence and model:

* ``test_sequence_matches_tfjs`` (strict): every frame starts from the crop region the reference
  started from (recorded by the oracle at full precision), everything else carries over as usual
  (keypoint smoothing, crop low-pass filter, pose dropped -> state reset). Keypoints within 1 px,
  scores within 0.001 and the next crop region within 1e-4 of the reference's.
* ``test_sequence_free_running`` (loose): a detector left to itself. The crop loop feeds each
  frame's output back into the next frame's input, so the ~1e-6 float differences between ONNX
  Runtime and the TF.js wasm kernels grow into pixel differences after a few frames. TF.js does
  the same to itself: its cpu backend drifts from its wasm backend by up to 22 px, and only
  one sequence in seven keeps 99% of keypoints within 1 px (``sequence_lightning_cpu.json``);
  ``test_tfjs_backends_drift_apart_too`` holds the numbers, and the loose bounds are ones the
  TF.js cpu backend meets.
"""

from __future__ import annotations

import json
import math
from functools import cache, lru_cache
from typing import Any

import numpy as np
import pytest

from movenet.calculators.filters import timestamp_ms_to_us
from movenet.families.movenet.constants import INPUT_SIZES
from movenet.families.movenet.singlepose import SinglePoseDetector

from conftest import FIXTURES, SHARED_DATA, get_network
from sequences import SEQUENCE_NAMES, SEQUENCES, ffmpeg_versions, load_frames, run_sequence, timestamp_ms
from transforms import rgb_sha256

TOL_PX = 1.0
MIN_SCORE = 0.3
MIN_SHARE = 0.99
SCORE_TOL = 1e-3  # fixture scores are rounded to 4 decimals
CROP_TOL = 1e-4  # normalized crop coordinates
# Free-running bounds (see the module docstring), on the reference's confident keypoints: median
# and 90th percentile distance, and the first frame (same input as the reference). The TF.js cpu
# backend vs its wasm backend: median 0.0008-0.94, p90 0.005-3.3 px over the seven sequences.
FREE_MEDIAN_PX = 2.0
FREE_P90_PX = 6.0
FREE_FIRST_FRAME_PX = 0.05

# (fixture file stem, model, smoothing)
FIXTURE_RUNS = (
    ("sequence_lightning", "lightning", True),
    ("sequence_thunder", "thunder", True),
    ("sequence_lightning_smoothing_off", "lightning", False),
)


@cache
def _fixture(stem: str) -> dict[str, Any]:
    doc = json.loads((FIXTURES / "oracle" / f"{stem}.json").read_text())
    by_seq: dict[str, list[dict[str, Any]]] = {}
    for frame in doc["frames"]:
        name, _, k = frame["case"].partition("#")
        by_seq.setdefault(name, []).append(frame)
        assert int(k) == len(by_seq[name]) - 1, f"{stem}: frames of {name} out of order"
    return {"doc": doc, "frames": by_seq}


@lru_cache(maxsize=1)
def _frames(name: str) -> tuple[np.ndarray, ...]:
    """The rebuilt frames of a sequence, checked against the oracle's sha256 (the last sequence is
    kept: the test cases are ordered by sequence, so each is decoded once)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    ref = _fixture("sequence_lightning")["frames"][name]
    frames = load_frames(name, SHARED_DATA)
    assert len(frames) == len(ref), f"{name}: {len(frames)} frames, the oracle saw {len(ref)}"
    bad = [k for k, (f, r) in enumerate(zip(frames, ref, strict=True)) if rgb_sha256(f) != r["rgb_sha256"]]
    if bad:
        if SEQUENCES[name].ffmpeg_decoded:
            recorded = _fixture("sequence_lightning")["doc"]["decoders"]["ffmpeg"]
            pytest.skip(
                f"{name}: {len(bad)} of {len(frames)} frames decoded by FFmpeg differ from the fixture's "
                f"(first: #{bad[0]}): another FFmpeg build converts YUV to RGB differently. "
                f"FFmpeg here {ffmpeg_versions()}, fixtures made with {recorded}"
            )
        pytest.fail(f"{name}: rebuilt frames {bad[:10]} differ from the oracle's input")
    return tuple(frames)


def _keypoints(pose: Any) -> np.ndarray:
    return np.array([[kp.x, kp.y, kp.score] for kp in pose.keypoints])


def _distances(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Distances of the reference's confident keypoints (score >= 0.3); both (17, 3) x, y, score."""
    confident = ref[:, 2] >= MIN_SCORE
    return np.hypot(*(got[confident, :2] - ref[confident, :2]).T)


def _run(stem: str, model: str, smoothing: bool, name: str, force_crop: bool) -> dict[str, Any]:
    """A fresh detector over the sequence. With ``force_crop`` every frame starts from the
    reference's crop region. Returns per-frame distance arrays and the problems found."""
    ref_frames = _fixture(stem)["frames"][name]
    frames = _frames(name)
    for k, ref in enumerate(ref_frames):
        assert abs(timestamp_ms(k) - ref["timestamp_ms"]) < 1e-4
    detector = SinglePoseDetector(get_network(model), INPUT_SIZES[model], model=model, enable_smoothing=smoothing)
    ref_crops = [ref["crop"] for ref in ref_frames] if force_crop else None
    poses, crops = run_sequence(detector, frames, ref_crops)
    per_frame: list[np.ndarray] = []
    problems: list[str] = []
    crop_err = 0.0
    for k, (ours, ref) in enumerate(zip(poses, ref_frames, strict=True)):
        if len(ours) != len(ref["poses"]):
            problems.append(f"{name}#{k}: {len(ours)} poses, reference {len(ref['poses'])}")
            continue
        for pose, rp in zip(ours, ref["poses"], strict=True):
            got, ref_kp = _keypoints(pose), np.array(rp["keypoints"])
            per_frame.append(_distances(got, ref_kp))
            if force_crop:
                score_err = max(abs(pose.score - rp["score"]), float(np.abs(got[:, 2] - ref_kp[:, 2]).max()))
                if score_err > SCORE_TOL:
                    problems.append(f"{name}#{k}: scores differ from the reference by {score_err:.4f}")
        # The crop this frame leaves is the next frame's starting crop in the reference.
        if force_crop and k + 1 < len(ref_frames):
            nxt, ours_crop = ref_frames[k + 1]["crop"], crops[k]
            if (nxt is None) != (ours_crop is None):
                problems.append(f"{name}#{k}: next crop {ours_crop}, reference {nxt}")
            elif nxt is not None and ours_crop is not None:
                crop_err = max(crop_err, max(abs(a - b) for a, b in zip(ours_crop.as_box(), nxt, strict=True)))
    if crop_err > CROP_TOL:
        problems.append(f"{name}: next crop region differs from the reference's by {crop_err:.2e}")
    return {"per_frame": per_frame, "problems": problems, "crop_err": crop_err}


def _crop_is_fed_back(stem: str, name: str) -> bool:
    """False when the reference's crop never depended on the previous frame's output: every frame
    has a pose and every crop after the first is the same (the padded whole image when no hips
    are seen, as on the astronaut). A free-running detector then repeats the strict test exactly."""
    frames = _fixture(stem)["frames"][name]
    crops = {tuple(f["crop"]) for f in frames[1:] if f["crop"] is not None}
    return not (all(f["poses"] for f in frames) and len(crops) <= 1)


def _summary(per_frame: list[np.ndarray]) -> dict[str, float]:
    d = np.concatenate(per_frame)
    return {
        "n": float(d.size),
        "share_1px": float((d <= TOL_PX).mean()),
        "median": float(np.median(d)),
        "p90": float(np.percentile(d, 90)),
        "max": float(d.max()),
        "first_frame_max": float(per_frame[0].max()) if per_frame[0].size else 0.0,
    }


def _free_running_violations(s: dict[str, float]) -> list[str]:
    """The loose bounds of a free-running detector (see the module docstring)."""
    out = []
    if s["first_frame_max"] > FREE_FIRST_FRAME_PX:
        out.append(f"first frame off by {s['first_frame_max']:.4f} px")
    if s["median"] > FREE_MEDIAN_PX:
        out.append(f"median {s['median']:.2f} px > {FREE_MEDIAN_PX}")
    if s["p90"] > FREE_P90_PX:
        out.append(f"90th percentile {s['p90']:.2f} px > {FREE_P90_PX}")
    return out


def _fmt(s: dict[str, float]) -> str:
    return (
        f"{int(s['n'])} confident keypoints, {s['share_1px']:.2%} within {TOL_PX} px, median {s['median']:.4f}, "
        f"p90 {s['p90']:.3f}, max {s['max']:.4f} px"
    )


def test_timestamps_are_the_oracles() -> None:
    """k*1000/30 ms gives the oracle's microseconds trunc(k*100000/3) (frame 0 at t=0 passes
    the one-euro filter unchanged)."""
    for k in range(2000):
        assert timestamp_ms_to_us(timestamp_ms(k)) == k * 100000 // 3 == math.trunc((0 + k * (1000 / 30)) * 1000)


def test_fixtures_cover_every_sequence() -> None:
    for stem, _, smoothing in FIXTURE_RUNS:
        doc = _fixture(stem)["doc"]
        names = [s["name"] for s in doc["sequences"]]
        assert names == list(_fixture(stem)["frames"])
        assert doc["oracle"]["config"]["detector"]["enableSmoothing"] is smoothing
        assert doc["oracle"]["config"]["fps"] == 30 and doc["oracle"]["config"]["warmup"] == 0
        assert doc["oracle"]["backend"]["name"] == "wasm"
        if smoothing:
            assert names == list(SEQUENCE_NAMES), stem
        for s in doc["sequences"]:
            frames = _fixture(stem)["frames"][s["name"]]
            assert s["frames"] == len(frames)
            assert s["with_pose"] == sum(1 for f in frames if f["poses"])
            assert frames[0]["crop"] is None
    # The sequences are rebuilt identically for every model.
    shas = {stem: {n: [f["rgb_sha256"] for f in fr] for n, fr in _fixture(stem)["frames"].items()}
            for stem, _, _ in FIXTURE_RUNS}
    for stem in shas:
        for name, sha in shas[stem].items():
            assert sha == shas["sequence_lightning"][name], (stem, name)
    # The pan over tfjs_pose.jpg crosses empty sky and sea: the pose is dropped and found again.
    pan = _fixture("sequence_lightning")["frames"]["panzoom_tfjs_pose"]
    assert 0 < sum(1 for f in pan if f["poses"]) < len(pan)


# TF.js's cpu backend against its wasm backend, Lightning, smoothing on (sequence_lightning_cpu.json):
# share of the wasm run's confident keypoints within 1 px of the cpu run's, per sequence.
TFJS_CPU_VS_WASM_SHARE = {
    "tfjs_dance_pose_1": 0.9387, "tfjs_squats": 0.5268, "mmpose_body3d_studio": 0.9346,
    "tfjs_combined_squat_dance_left": 0.9887, "posetrack18_000001": 0.8053,
    "panzoom_tfjs_pose": 0.6284, "panzoom_astronaut": 0.9977,
}


def test_tfjs_backends_drift_apart_too() -> None:
    """The reference against itself (no data needed): TF.js's cpu backend vs its wasm backend on
    every sequence. Same frames with and without a pose, but two TF.js backends of the same
    model already disagree by up to 2 px on some first frames (near-equal heatmap maxima) and drift
    pixels apart over most sequences: the reference misses the 99%-within-1-px bar against itself
    on six of the seven. The free-running bounds we hold ourselves to are ones it meets, first
    frame aside (ours matches the wasm backend's first frame to 0.05 px)."""
    cpu = _fixture("sequence_lightning_cpu")
    assert cpu["doc"]["oracle"]["backend"]["name"] == "cpu"
    assert sorted(cpu["frames"]) == sorted(SEQUENCE_NAMES)
    below = []
    for name, frames in cpu["frames"].items():
        wasm = _fixture("sequence_lightning")["frames"][name]
        per_frame = []
        for a, b in zip(frames, wasm, strict=True):
            assert a["rgb_sha256"] == b["rgb_sha256"]
            assert len(a["poses"]) == len(b["poses"])
            for pa, pb in zip(a["poses"], b["poses"], strict=True):
                per_frame.append(_distances(np.array(pa["keypoints"]), np.array(pb["keypoints"])))
        s = _summary(per_frame)
        print(f"TF.js cpu vs TF.js wasm, lightning, {name}: {_fmt(s)}, first frame {s['first_frame_max']:.3f} px")
        assert s["share_1px"] == pytest.approx(TFJS_CPU_VS_WASM_SHARE[name], abs=5e-5)
        assert s["median"] <= FREE_MEDIAN_PX and s["p90"] <= FREE_P90_PX, (name, _fmt(s))
        below += [name] if s["share_1px"] < MIN_SHARE else []
    assert len(below) == 6, below


_CASES = [
    pytest.param(stem, model, smoothing, name, id=f"{name}-{stem.removeprefix('sequence_')}")
    for name in SEQUENCE_NAMES
    for stem, model, smoothing in FIXTURE_RUNS
    if name in _fixture(stem)["frames"]
]


@pytest.mark.parametrize(("stem", "model", "smoothing", "name"), _CASES)
def test_sequence_matches_tfjs(stem: str, model: str, smoothing: bool, name: str) -> None:
    result = _run(stem, model, smoothing, name, force_crop=True)
    assert not result["problems"], result["problems"][:10]
    s = _summary(result["per_frame"])
    print(f"{stem} {name} (reference crops): {_fmt(s)}; next crop within {result['crop_err']:.1e}")
    assert s["share_1px"] >= MIN_SHARE, _fmt(s)


# Free-running: the smoothing-on runs (the strict test covers smoothing off), where the crop
# depends on the previous frame (else it is the strict test again).
_FREE_CASES = [
    pytest.param(stem, model, smoothing, name, id=f"{name}-{stem.removeprefix('sequence_')}")
    for name in SEQUENCE_NAMES
    for stem, model, smoothing in FIXTURE_RUNS
    if smoothing and name in _fixture(stem)["frames"] and _crop_is_fed_back(stem, name)
]


@pytest.mark.parametrize(("stem", "model", "smoothing", "name"), _FREE_CASES)
def test_sequence_free_running(stem: str, model: str, smoothing: bool, name: str) -> None:
    result = _run(stem, model, smoothing, name, force_crop=False)
    assert not result["problems"], result["problems"][:10]
    s = _summary(result["per_frame"])
    print(f"{stem} {name} (free-running): {_fmt(s)}")
    violations = _free_running_violations(s)
    assert not violations, (violations, _fmt(s))
