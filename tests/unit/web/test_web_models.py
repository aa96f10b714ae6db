"""`movenet serve` with BlazePose and PoseNet: the HTTP API gives what `movenet detect` / the Python
API give, the person mask travels compactly, the options reach the detector and are bounded, and the
WebSocket stream accepts them (in-process, FastAPI's TestClient)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install 'movenet[web]'")
pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with")
    from fastapi.testclient import TestClient  # noqa: E402

from movenet.cli.main import example_image, main  # noqa: E402
from movenet.io.images import load_image  # noqa: E402
from movenet.web.app import create_app, pack_frame  # noqa: E402
from movenet.web.masks import MASK_MAX_SIDE, compact_mask, decode_compact_mask  # noqa: E402
from movenet.web.options import MAX_INPUT_RESOLUTION, MAX_POSENET_POSES, StreamConfig, stream_options  # noqa: E402

from conftest import detector_on, get_network  # noqa: E402

JPEG = {"content-type": "image/jpeg"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    for graph in ("blazepose-detector", "blazepose-lite", "blazepose-full", "posenet"):
        get_network(graph)  # skip the module when the weights are not fetched
    with TestClient(create_app(network_loader=get_network, allowed_hosts=["testserver"])) as test_client:
        yield test_client


def _post(client: TestClient, query: str, body: bytes | None = None) -> Any:
    return client.post(f"/v1/poses?{query}", content=body or Path(example_image()).read_bytes(), headers=JPEG)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 5)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


# --- the compact mask ------------------------------------------------------------------------------


def test_compact_mask_is_an_8_bit_png_at_most_256_px_holding_the_probabilities() -> None:
    yy, xx = np.mgrid[0:480, 0:640]
    mask = np.clip((xx - 100) / 400, 0, 1).astype(np.float32) * (yy > 120)
    compact = compact_mask(mask)
    assert (compact["width"], compact["height"]) == (MASK_MAX_SIDE, 192)
    decoded = decode_compact_mask(compact)
    assert decoded.shape == (192, 256) and decoded.dtype == np.float32
    expected = np.asarray(Image.fromarray(mask).resize((256, 192), Image.Resampling.BILINEAR))
    assert np.abs(decoded - expected).max() <= 0.5 / 255 + 1e-6  # only the 8-bit rounding
    small = compact_mask(np.full((40, 30), 0.75, np.float32))  # never scaled up
    assert (small["width"], small["height"]) == (30, 40)
    assert np.allclose(decode_compact_mask(small), round(0.75 * 255) / 255)
    assert len(compact["png_base64"]) < 20_000


# --- HTTP -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["blazepose-lite", "blazepose-full", "posenet"])
def test_post_matches_movenet_detect(client: TestClient, capsys: pytest.CaptureFixture[str], model: str) -> None:
    assert main(["detect", "--json", "-", "--model", model, str(example_image())]) == 0
    (expected,) = json.loads(capsys.readouterr().out)["frames"]
    expected["source"] = None  # the CLI names the file; the API has only bytes
    response = _post(client, f"model={model}")
    assert response.status_code == 200, response.text
    got = response.json()
    assert _rounded(got) == _rounded(expected)
    (pose,) = got["poses"]
    if model.startswith("blazepose"):
        assert len(pose["keypoints"]) == len(pose["keypoints_3d"]) == 33
        assert all("z" in k for k in pose["keypoints"])
        assert "segmentation" not in pose  # only when asked for
    else:
        assert len(pose["keypoints"]) == 17 and "keypoints_3d" not in pose


def test_post_blazepose_segmentation_returns_the_detectors_mask(client: TestClient) -> None:
    response = _post(client, "model=blazepose-full&segmentation=1")
    assert response.status_code == 200, response.text
    (pose,) = response.json()["poses"]
    rgb = load_image(example_image())
    (reference,) = detector_on("blazepose-full", enable_segmentation=True).estimate_poses(rgb)
    assert reference.segmentation is not None
    assert pose["segmentation"] == compact_mask(reference.segmentation)
    mask = decode_compact_mask(pose["segmentation"])
    assert max(mask.shape) == MASK_MAX_SIDE and 0.05 < (mask > 0.5).mean() < 0.8  # a person, not everything
    assert _rounded(pose["keypoints"]) == _rounded([k.to_dict() for k in reference.keypoints])


def test_post_posenet_options_reach_the_detector(client: TestClient) -> None:
    rgb = load_image(example_image())
    options = {"max_poses": 4, "score_threshold": 0.3, "nms_radius": 30.0, "input_resolution": 385}
    expected = [p.to_dict() for p in detector_on("posenet", **options).estimate_poses(rgb)]
    response = _post(client, "model=posenet&max_poses=4&score_threshold=0.3&nms_radius=30&input_resolution=385")
    assert response.status_code == 200, response.text
    assert _rounded(response.json()["poses"]) == _rounded(json.loads(json.dumps(expected)))
    assert len(expected) > 1  # multi-person decoding ran
    pair = _post(client, "model=posenet&input_resolution=300,200")
    assert pair.status_code == 200
    assert _rounded(pair.json()["poses"]) == _rounded(json.loads(json.dumps(
        [p.to_dict() for p in detector_on("posenet", input_resolution=(300, 200)).estimate_poses(rgb)])))


@pytest.mark.parametrize(("query", "words"), [
    (f"model=posenet&input_resolution={MAX_INPUT_RESOLUTION + 16}", f"at most {MAX_INPUT_RESOLUTION}"),
    ("model=posenet&input_resolution=" + "9" * 400, f"at most {MAX_INPUT_RESOLUTION}"),
    ("model=posenet&input_resolution=257,5000", f"at most {MAX_INPUT_RESOLUTION}"),
    ("model=posenet&input_resolution=0", "input_resolution"),
    ("model=posenet&input_resolution=abc", "input_resolution"),
    (f"model=posenet&max_poses={MAX_POSENET_POSES + 1}", f"at most {MAX_POSENET_POSES}"),
    ("model=posenet&max_poses=" + "7" * 300, f"at most {MAX_POSENET_POSES}"),
    ("model=posenet&nms_radius=0", "nms_radius"),
    ("model=posenet&score_threshold=1.5", "score_threshold"),
    ("model=blazepose-full&max_poses=2", "one person"),
    ("model=blazepose-full&segmentation=maybe", "segmentation"),
])
def test_post_bad_or_too_large_options_are_a_422_naming_them(client: TestClient, query: str, words: str) -> None:
    response = _post(client, query)
    assert response.status_code == 422, response.text
    assert words in response.json()["error"]


def test_models_lists_every_family_with_its_options(client: TestClient) -> None:
    models = {m["name"]: m for m in client.get("/v1/models").json()["models"]}
    assert {"blazepose-lite", "blazepose-full", "blazepose-heavy", "posenet"} <= set(models)
    assert (models["blazepose-full"]["family"], models["blazepose-full"]["keypoints"]) == ("blazepose", 33)
    full = models["blazepose-full"]["options"]
    assert "segmentation" in full and "max_poses" not in full
    assert {"max_poses", "score_threshold", "nms_radius", "input_resolution"} <= set(models["posenet"]["options"])
    assert "segmentation" not in models["lightning"]["options"]
    assert models["posenet"]["keypoints"] == 17


# --- WebSocket ---------------------------------------------------------------------------------------


def test_stream_switches_to_blazepose_with_mask_then_posenet(client: TestClient) -> None:
    body = Path(example_image()).read_bytes()
    rgb = load_image(example_image())
    with client.websocket_connect("/v1/stream") as ws:
        hello = ws.receive_json()
        assert hello["model_options"]["blazepose-lite"] == list(stream_options("blazepose-lite"))
        ws.send_text(json.dumps({"type": "config", "model": "blazepose-lite", "segmentation": True}))
        reply = ws.receive_json()
        assert reply["type"] == "config" and reply["config"]["segmentation"] is True
        assert len(reply["skeleton"]["keypoints"]) == 33
        detector = detector_on("blazepose-lite", enable_segmentation=True)
        for k in range(3):  # the stream's own detector: tracking and smoothing across frames
            ws.send_bytes(pack_frame(body, {"id": k, "timestamp_ms": 100.0 * k}))
            frame = ws.receive_json()["frame"]
            (expected,) = detector.estimate_poses(rgb, 100.0 * k)
            (pose,) = frame["poses"]
            assert _rounded(pose["keypoints_3d"]) == _rounded([p.to_dict() for p in expected.keypoints_3d])
            assert pose["segmentation"] == compact_mask(expected.segmentation)
        ws.send_text(json.dumps({"type": "config", "model": "posenet", "max_poses": 3, "input_resolution": 2049}))
        error = ws.receive_json()
        assert (error["type"], error["status"]) == ("error", 422) and "at most 1025" in error["error"]
        ws.send_text(json.dumps({"type": "config", "model": "posenet", "max_poses": 3}))
        assert ws.receive_json()["config"]["model"] == "posenet"
        ws.send_bytes(pack_frame(body, {"id": "p"}))
        poses = ws.receive_json()["frame"]["poses"]
        expected_poses = detector_on("posenet", max_poses=3).estimate_poses(rgb)
        assert _rounded(poses) == _rounded(json.loads(json.dumps([p.to_dict() for p in expected_poses])))
        assert all(len(p["keypoints"]) == 17 for p in poses)
        ws.send_text(json.dumps({"type": "config", "model": "blazepose-lite"}))  # max_poses kept, not applied
        assert ws.receive_json()["type"] == "config"


def test_stream_config_validates_new_options_whatever_the_model() -> None:
    config = StreamConfig().updated({"input_resolution": "385,289", "segmentation": "on", "nms_radius": "15"})
    assert (config.input_resolution, config.segmentation, config.nms_radius) == ((385, 289), True, 15.0)
    assert "input_resolution" not in config.detector_options()  # lightning does not take it
    with pytest.raises(ValueError, match="at most 1025"):
        StreamConfig().updated({"input_resolution": [257, 1100]})
    with pytest.raises(ValueError, match="at most 6"):
        StreamConfig().updated({"model": "multipose", "max_poses": 7})
    assert StreamConfig().updated({"model": "posenet", "max_poses": 7}).detector_options()["max_poses"] == 7
    assert "max_poses" not in StreamConfig().updated({"model": "blazepose-full", "max_poses": 7}).detector_options()
    assert "max_poses" not in StreamConfig().updated({"model": "posenet"}).detector_options()  # PoseNet's default
