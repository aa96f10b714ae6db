"""The second engine (OpenVINO) and the opt-in precisions (int8, bf16, fp16).

* OpenVINO fp32 must pass the very checks ONNX Runtime passes: the raw network output against
  TF.js (tests/parity/models/test_converter.py) and the keypoints of the still images within 1 px
  (tests/parity/families/movenet/test_parity_images.py, and MultiPose's in
  tests/unit/families/movenet/test_multipose.py). Those tests are run here unchanged, with
  their `get_network` pointed at the OpenVINO network. They skip when
  OpenVINO is not installed (or older than 2025.4, which cannot compile the graphs).
* The fast precisions cannot match TF.js to a pixel; they must give the same poses as fp32 on the
  bundled example image within a bound set from measurements (docs/performance.md):
  - int8: mean shift of the confident keypoints <= 6 px on the 512x512 image. Measured 2.5-3.8 px
    (Lightning, Thunder, MultiPose; both engines); quantising every convolution, the recipe's
    naive form, gives 11.6 (Lightning) and 14.2 px (Thunder), and fp32 Lightning and Thunder
    disagree by 6.2 px.
  - bf16 / fp16: mean shift <= 3 px. Measured bf16: 0.4 (Lightning), 1.5 (Thunder), 1.0 px
    (MultiPose).
* Unknown backends and precisions, and precisions a backend or CPU cannot run, are ValueErrors.

Each network is loaded once per session (module-level cache), so the file runs in well under a
minute once the int8 file is cached (quantising Lightning takes about 5 s, once).
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest
import test_converter as converter_tests
import test_multipose as multipose_tests
import test_parity_images as image_tests

from conftest import get_network


def _openvino_missing() -> str | None:
    """Why the OpenVINO backend cannot load here (not installed, too old), or None."""
    if importlib.util.find_spec("openvino") is None:
        return "OpenVINO is not installed (pip install 'openvino>=2025.4')"
    try:
        import movenet.runtime.openvino  # noqa: F401
    except ImportError as exc:
        return str(exc)
    return None


OPENVINO_MISSING = _openvino_missing()
needs_openvino = pytest.mark.skipif(OPENVINO_MISSING is not None, reason=str(OPENVINO_MISSING))

#: Bound on the mean shift (px) of the confident keypoints from fp32 on the example image.
MAX_MEAN_SHIFT_PX = {"int8": 6.0, "bf16": 3.0, "fp16": 3.0}
MIN_SCORE = 0.3

_networks: dict[tuple[str, str, str], Any] = {}


def network(model: str, backend: str = "onnxruntime", precision: str = "fp32") -> Any:
    """The `model` network on `backend` at `precision`, loaded once per session (skips without weights)."""
    base = get_network(model)  # ONNX Runtime fp32; skips when the weights are absent
    key = (model, backend, precision)
    if key == (model, "onnxruntime", "fp32"):
        return base
    if key not in _networks:
        from movenet.api import load_network

        _networks[key] = load_network(model, backend=backend, precision=precision)
    return _networks[key]


# ----------------------------------------------------------------------------- OpenVINO parity


@needs_openvino
@pytest.mark.parametrize("model", ["lightning", "thunder", "multipose"])
def test_openvino_raw_output_matches_tfjs(model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(converter_tests, "get_network", lambda name: network(name, "openvino"))
    converter_tests.test_converted_network_matches_tfjs_raw_output(model)


@needs_openvino
@pytest.mark.parametrize("model", ["lightning", "thunder"])
def test_openvino_keypoints_match_tfjs_on_stills(model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image_tests, "get_network", lambda name: network(name, "openvino"))
    image_tests.test_keypoints_match_tfjs_on_stills_and_transformed_stills(model)


@needs_openvino
def test_openvino_multipose_stills_match_tfjs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(multipose_tests, "get_network", lambda name: network(name, "openvino"))
    multipose_tests.test_stills_match_tfjs()


@needs_openvino
def test_openvino_backend_contract() -> None:
    """Same interface as ONNX Runtime: names, output order, float32 copies, dynamic input shapes."""
    ort_net = network("multipose")
    ov_net = network("multipose", "openvino")
    assert ov_net.name == "openvino"
    assert ov_net.input_name == ort_net.input_name
    assert ov_net.output_names == ort_net.output_names
    rng = np.random.default_rng(0)
    for shape in [(1, 256, 192, 3), (1, 160, 256, 3), (1, 256, 192, 3)]:  # a shape seen again reuses its compile
        x = rng.integers(0, 256, size=shape, dtype=np.int32)
        got, expected = ov_net.run(x), ort_net.run(x)
        assert len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            assert g.dtype == np.float32 and g.shape == e.shape
            np.testing.assert_allclose(g, e, atol=1e-4)
    first = ov_net.run(x)[0]
    ov_net.run(np.zeros_like(x))
    np.testing.assert_array_equal(first, ov_net.run(x)[0])  # results are not overwritten by the next call


# ----------------------------------------------------------------------------- fast precisions


def _example_pose_shift(model: str, backend: str, precision: str) -> tuple[float, float, int]:
    """(mean keypoint shift px, pose score difference, confident keypoints) between fp32 and the
    variant on the bundled example image."""
    from movenet.families.movenet.constants import INPUT_SIZES
    from movenet.families.movenet.multipose import MultiPoseDetector
    from movenet.families.movenet.singlepose import SinglePoseDetector
    from movenet.io.images import example_image_path as example_image

    def detect(net: Any) -> Any:
        det = (MultiPoseDetector(net) if model == "multipose"
               else SinglePoseDetector(net, INPUT_SIZES[model], model=model))
        poses = det.estimate_poses(example_image())
        assert len(poses) == 1, f"{model} {backend} {precision}: {len(poses)} poses on the example image"
        return poses[0]

    base = detect(network(model))
    other = detect(network(model, backend, precision))
    ref = np.array([[k.x, k.y, k.score] for k in base.keypoints])
    got = np.array([[k.x, k.y] for k in other.keypoints])
    confident = ref[:, 2] >= MIN_SCORE
    shift = np.hypot(*(got[confident] - ref[confident, :2]).T)
    return float(shift.mean()), abs(other.score - base.score), int(confident.sum())


@pytest.mark.parametrize(("model", "backend", "precision"), [
    ("lightning", "onnxruntime", "int8"),
    pytest.param("lightning", "openvino", "int8", marks=needs_openvino),
    pytest.param("lightning", "openvino", "bf16", marks=needs_openvino),
    pytest.param("thunder", "openvino", "bf16", marks=needs_openvino),
    pytest.param("multipose", "openvino", "bf16", marks=needs_openvino),
])
def test_precision_gives_poses_close_to_fp32(model: str, backend: str, precision: str) -> None:
    if backend == "openvino" and precision in ("bf16", "fp16"):
        from movenet.runtime.openvino import supported_precisions

        if precision not in supported_precisions():
            pytest.skip(f"this CPU has no {precision} support in OpenVINO")
    mean_shift, score_diff, confident = _example_pose_shift(model, backend, precision)
    assert confident >= 8
    assert mean_shift <= MAX_MEAN_SHIFT_PX[precision], f"mean keypoint shift {mean_shift:.2f} px"
    assert score_diff <= 0.1


def test_int8_file_is_cached_beside_fp32_and_quantised() -> None:
    import onnx

    from movenet.families.movenet.calibration import calibration
    from movenet.models.store import model_path, onnx_model_path

    get_network("lightning")  # skip without weights
    path = model_path("lightning", precision="int8", calibration=calibration("lightning"))
    assert path.is_file() and "-int8." in path.name
    assert path.parent == onnx_model_path("lightning").parent
    assert model_path("lightning", precision="int8", calibration=calibration("lightning")) == path  # made once
    ops = [n.op_type for n in onnx.load(str(path), load_external_data=False).graph.node]
    assert ops.count("QuantizeLinear") >= 20 and "Conv" in ops  # quantised, the stem and heads kept float


@needs_openvino
@pytest.mark.parametrize("model", ["lightning", "multipose"])  # static and dynamic input shapes
def test_openvino_fp16_runs_or_says_the_cpu_lacks_it(model: str) -> None:
    from movenet.runtime.openvino import supported_precisions

    get_network(model)  # skip without weights
    if "fp16" in supported_precisions():
        mean_shift, _, _ = _example_pose_shift(model, "openvino", "fp16")
        assert mean_shift <= MAX_MEAN_SHIFT_PX["fp16"]
    else:  # OpenVINO would silently run bf16 or fp32: we refuse, at load time
        from movenet.models.store import load_network

        with pytest.raises(ValueError, match="not supported by this CPU"):
            load_network(model, backend="openvino", precision="fp16")


# ----------------------------------------------------------------------------- errors


def test_unknown_backend_and_precision_are_value_errors() -> None:
    from movenet.api import create_detector
    from movenet.runtime import create_backend

    with pytest.raises(ValueError, match="unknown backend 'tensorrt'.*onnxruntime, openvino"):
        create_detector("lightning", backend="tensorrt")
    with pytest.raises(ValueError, match="unknown precision 'fp8'.*fp32, fp16, bf16, int8"):
        create_detector("lightning", precision="fp8")
    with pytest.raises(ValueError, match="unknown precision"):
        create_detector("multipose", precision="int4")
    with pytest.raises(ValueError, match="precision 'bf16' needs backend='openvino'"):
        create_detector("thunder", backend="onnxruntime", precision="bf16")
    with pytest.raises(ValueError, match="unknown backend"):
        create_backend("model.onnx", backend="nope")
    with pytest.raises(ValueError, match="cannot run precision 'fp16'"):
        create_backend("model.onnx", backend="onnxruntime", inference_precision="fp16")


def test_openvino_missing_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without OpenVINO installed, backend='openvino' says how to install it."""
    import sys

    from movenet.runtime import BackendUnavailableError, backend_available, create_backend

    monkeypatch.setitem(sys.modules, "movenet.runtime.openvino", None)  # import fails as if not installed
    with pytest.raises(BackendUnavailableError, match="backend 'openvino' is not available.*pip install"):
        create_backend("model.onnx", backend="openvino")
    assert not backend_available("openvino")
    assert backend_available("onnxruntime") and not backend_available("nope")
