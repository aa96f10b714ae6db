"""End to end in a real browser: `movenet serve` on a free 127.0.0.1 port, Debian's chromium (headless,
driven by Playwright) with a fake camera playing frames of a real clip, the live page streaming them.

Needs the python `playwright` package (its bundled browsers are NOT used: no `playwright install`)
and a chromium binary (`apt-get install chromium`; `MOVENET_CHROMIUM` overrides /usr/bin/chromium).
Set `MOVENET_WEB_SCREENSHOT=path.png` to keep the screenshot taken during the test.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install 'movenet[web]'")
uvicorn = pytest.importorskip("uvicorn", reason="the web extra is not installed: pip install 'movenet[web]'")
sync_api = pytest.importorskip("playwright.sync_api", reason="the python playwright package is not installed")
if not any(importlib.util.find_spec(lib) for lib in ("websockets", "wsproto")):
    pytest.skip("uvicorn has no WebSocket library: pip install websockets", allow_module_level=True)

from movenet.families.movenet.singlepose import SinglePoseDetector  # noqa: E402
from movenet.web.app import FrameEvent, create_app, decode_image  # noqa: E402

from browser import launch_chromium  # noqa: E402
from conftest import get_network  # noqa: E402

CLIP = Path("videos") / "tfjs_dance_pose_1.mp4"
CAMERA_SIZE = 256
CAMERA_FRAMES = 60


def write_y4m(source: Path, target: Path, *, frames: int = CAMERA_FRAMES, size: int = CAMERA_SIZE) -> int:
    """Decode the first `frames` frames of `source` (PyAV) into a YUV4MPEG2 (C420) file of size x size
    at 30 fps, the format Chromium's fake camera plays in a loop. Returns the frame count written."""
    import av

    written = 0
    with av.open(str(source)) as container, open(target, "wb") as out:
        out.write(f"YUV4MPEG2 W{size} H{size} F30:1 Ip A1:1 C420\n".encode("ascii"))
        for frame in container.decode(container.streams.video[0]):
            planes = frame.reformat(width=size, height=size, format="yuv420p").to_ndarray()
            assert planes.shape == (size * 3 // 2, size)  # Y, then U and V, each (size/2)^2
            out.write(b"FRAME\n")
            out.write(planes.tobytes())
            written += 1
            if written == frames:
                break
    return written


@pytest.fixture(scope="module")
def fake_camera(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    clip = shared_data / CLIP
    if not clip.is_file():
        pytest.skip(f"{clip} is absent")
    target = tmp_path_factory.mktemp("camera") / "camera.y4m"
    assert write_y4m(clip, target) == CAMERA_FRAMES
    return target


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[FrameEvent]]]:
    """The real app under uvicorn in a thread, on a free port of 127.0.0.1; records every stream frame."""
    get_network("lightning")  # skip when the weights are absent
    events: list[FrameEvent] = []
    app = create_app(network_loader=get_network, frame_hook=events.append)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = srv.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", events
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(fake_camera: Path) -> Iterator[Any]:
    with launch_chromium(["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                          f"--use-file-for-fake-video-capture={fake_camera}"]) as instance:
        yield instance


def _wait_for_model(page: Any, model: str, frames: int = 3) -> None:
    page.wait_for_function(
        """([model, frames]) => {
            const log = window.poseLog;
            return log.length >= frames && log.slice(-frames).every((e) => e.model === model);
        }""", arg=[model, frames], timeout=30_000)


@pytest.mark.browser
def test_live_page_streams_the_fake_camera_and_draws_the_servers_poses(
        server: tuple[str, list[FrameEvent]], browser: Any, shared_data: Path, tmp_path: Path) -> None:
    base, events = server
    clip = shared_data / CLIP
    outside: list[str] = []
    console_errors: list[str] = []
    context = browser.new_context(viewport={"width": 1100, "height": 720})
    page = context.new_page()

    def local_only(route: Any) -> None:  # network rule: nothing but 127.0.0.1
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", local_only)
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))

    page.goto(f"{base}/")
    assert page.title() == "MoveNet live"
    page.click("#start")
    page.wait_for_function("() => window.poseLog.length >= 10", timeout=30_000)
    page.wait_for_function("() => Number(document.querySelector('#fps').textContent) > 0", timeout=10_000)
    assert float(page.text_content("#fps") or "0") > 0
    assert page.text_content("#model-readout") == "lightning"
    assert "ms" in (page.text_content("#latency") or "")
    shot = tmp_path / "live.png"
    page.screenshot(path=str(shot))
    if os.environ.get("MOVENET_WEB_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["MOVENET_WEB_SCREENSHOT"])
    log = page.evaluate("() => window.poseLog")

    # What the page drew is what the server answered for those frames.
    replies = {event.reply["id"]: event for event in events}
    seen_person = 0
    for entry in log:
        event = replies[entry["id"]]
        assert entry["model"] == event.reply["model"] == "lightning"
        assert entry["frame"] == event.reply["frame"]
        assert entry["latency_ms"] > 0
        frame, drawn = entry["frame"], entry["drawn"]
        sx, sy = drawn["scale"]
        assert (sx * frame["width"], sy * frame["height"]) == pytest.approx(tuple(drawn["canvas"]))
        assert len(drawn["poses"]) == len(frame["poses"])
        for shown, pose in zip(drawn["poses"], frame["poses"], strict=True):
            expected = [(k["name"], k["x"] * sx, k["y"] * sy) for k in pose["keypoints"]
                        if k["score"] >= drawn["min_score"]]
            assert [k["name"] for k in shown["keypoints"]] == [name for name, _, _ in expected]
            for k, (_, x, y) in zip(shown["keypoints"], expected, strict=True):
                assert (k["x"], k["y"]) == pytest.approx((x, y), abs=1e-9)
            seen_person += len(expected) >= 10
    assert seen_person >= len(log) // 2, "the dancer should be found in most frames"
    assert {(e["frame"]["width"], e["frame"]["height"]) for e in log} == {(CAMERA_SIZE, CAMERA_SIZE)}

    # The server's answers are right: the JPEGs it got, replayed through a fresh detector in order.
    first_stream = events[0].stream
    stream = [e for e in events if e.stream == first_stream][:25]
    assert all(e.header["timestamp_ms"] == e.reply["timestamp_ms"] for e in stream)
    detector = SinglePoseDetector(get_network("lightning"), 192)
    for event in stream:
        poses = detector.estimate_poses(decode_image(event.image), event.header["timestamp_ms"])
        assert json.loads(json.dumps([p.to_dict() for p in poses])) == event.reply["frame"]["poses"]

    # Switching the model changes what the server runs and what the page reports.
    page.select_option("#model", "thunder")
    _wait_for_model(page, "thunder")
    assert page.text_content("#model-readout") == "thunder"
    page.select_option("#model", "multipose")
    _wait_for_model(page, "multipose")
    assert page.text_content("#model-readout") == "multipose"
    last = page.evaluate("() => window.poseLog[window.poseLog.length - 1]")
    assert all(p["box"] is not None and p["id"] is not None for p in last["drawn"]["poses"])

    page.click("#stop")
    assert page.text_content("#status") == "stopped"

    # A local video file instead of the camera: 576x576 frames go out scaled to the 320 px "frame size sent".
    page.evaluate("() => { window.poseLog.length = 0; }")
    page.select_option("#source", "file")
    page.set_input_files("#file", str(clip))  # choosing the file starts the stream
    page.wait_for_function("() => window.poseLog.length >= 3", timeout=30_000)
    sizes = page.evaluate("() => window.poseLog.map((e) => [e.frame.width, e.frame.height])")
    assert {tuple(size) for size in sizes} == {(320, 320)}
    page.click("#stop")
    page.goto(f"{base}/docs")  # the API docs render offline too
    page.wait_for_selector(".op code >> text='/v1/poses'", timeout=10_000)
    context.close()
    assert outside == [], f"the page tried to reach other hosts: {outside}"
    assert console_errors == [], console_errors


_LAST_MASKED_REPLY = """() => {
    // The last reply drawn is the one on the canvases now (drawing and logging happen together).
    const entry = window.poseLog[window.poseLog.length - 1];
    if (!entry || !entry.drawn.mask) return null;
    const canvas = document.getElementById('mask');
    const alpha = [];
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < data.length; i += 4) alpha.push(data[i]);
    return { entry, width: canvas.width, height: canvas.height, alpha };
}"""


def _check_drawn(entry: dict[str, Any], keypoints: int) -> None:
    """The page drew every pose of the reply with `keypoints` keypoints, those above its threshold."""
    frame, drawn = entry["frame"], entry["drawn"]
    assert len(drawn["poses"]) == len(frame["poses"])
    for shown, pose in zip(drawn["poses"], frame["poses"], strict=True):
        assert len(pose["keypoints"]) == keypoints
        sx, sy = drawn["scale"]
        expected = [(k["name"], k["x"] * sx, k["y"] * sy) for k in pose["keypoints"]
                    if k["score"] >= drawn["min_score"]]
        assert [k["name"] for k in shown["keypoints"]] == [name for name, _, _ in expected]
        got = [v for k in shown["keypoints"] for v in (k["x"], k["y"])]
        assert got == pytest.approx([v for _, x, y in expected for v in (x, y)])


@pytest.mark.browser
def test_live_page_runs_blazepose_with_its_mask_and_posenet(server: tuple[str, list[FrameEvent]], browser: Any) -> None:
    import numpy as np
    from PIL import Image

    from movenet.web.masks import decode_compact_mask

    base, events = server
    get_network("blazepose-detector")
    get_network("blazepose-lite")
    get_network("posenet")
    context = browser.new_context(viewport={"width": 1100, "height": 720})
    page = context.new_page()
    console_errors: list[str] = []
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))
    page.goto(f"{base}/?model=blazepose-lite")
    page.click("#start")
    _wait_for_model(page, "blazepose-lite")
    assert page.is_visible("#segmentation-label") and not page.is_visible("#max-poses-label")
    log = page.evaluate("() => window.poseLog.filter((e) => e.model === 'blazepose-lite')")
    with_pose = [e for e in log if e["frame"]["poses"]]
    assert with_pose, "BlazePose should find the dancer"
    for entry in with_pose:
        _check_drawn(entry, 33)
        assert len(entry["frame"]["poses"][0]["keypoints_3d"]) == 33
        assert "segmentation" not in entry["frame"]["poses"][0]  # only when asked for

    # The person mask: each reply carries it, the page tints it on #mask where it is.
    page.check("#segmentation")
    page.wait_for_function(f"() => ({_LAST_MASKED_REPLY})() !== null", timeout=30_000)
    shown = page.evaluate(_LAST_MASKED_REPLY)
    compact = shown["entry"]["frame"]["poses"][0]["segmentation"]
    assert max(compact["width"], compact["height"]) <= 256
    reply = next(e.reply for e in events if e.reply.get("id") == shown["entry"]["id"] and e.reply["model"] ==
                 "blazepose-lite")
    assert reply["frame"]["poses"][0]["segmentation"] == compact  # what the server sent
    mask = decode_compact_mask(compact)
    size = (shown["width"], shown["height"])
    on_canvas = np.asarray(Image.fromarray(mask).resize(size, Image.Resampling.BILINEAR))
    alpha = np.asarray(shown["alpha"], dtype=np.float32).reshape(size[1], size[0])
    person, background = on_canvas > 0.5, on_canvas < 0.05
    assert person.sum() > 100 and background.sum() > 100
    assert (alpha[person] > 50).mean() > 0.95, "the mask is tinted where the person is"
    assert (alpha[background] < 20).mean() > 0.95, "and clear elsewhere"

    # PoseNet: 17 keypoints, its "max people" control instead of the mask.
    page.select_option("#model", "posenet")
    _wait_for_model(page, "posenet")
    assert page.is_visible("#max-poses-label") and not page.is_visible("#segmentation-label")
    entry = page.evaluate("() => window.poseLog[window.poseLog.length - 1]")
    assert len(entry["frame"]["poses"]) == 1  # single-person decoding by default
    _check_drawn(entry, 17)
    page.select_option("#max-poses", "3")
    page.wait_for_function("() => window.poseLog.length >= 3 && window.poseLog.slice(-3).every("
                           "(e) => e.model === 'posenet' && e.frame.poses.length === 3)", timeout=30_000)
    _check_drawn(page.evaluate("() => window.poseLog[window.poseLog.length - 1]"), 17)
    page.click("#stop")
    context.close()
    assert console_errors == [], console_errors
