"""`movenet serve`'s HTTP API and WebSocket stream, in-process with FastAPI's TestClient (no sockets)."""

from __future__ import annotations

import io
import json
import re
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install 'movenet[web]'")
pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")

with warnings.catch_warnings():  # newer Starlette prefers the httpx2 package; httpx works the same here
    warnings.filterwarnings("ignore", message="Using `httpx` with")
    from fastapi.testclient import TestClient  # noqa: E402
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from movenet.cli.main import example_image, main  # noqa: E402
from movenet.families.movenet.singlepose import SinglePoseDetector  # noqa: E402
from movenet.skeletons import COCO_17
from movenet.web.app import STATIC_DIR, create_app, pack_frame  # noqa: E402

from conftest import get_network  # noqa: E402


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    get_network("lightning")  # skip the module when the weights are not fetched
    # TestClient's requests say "Host: testserver"; a real server allows only its own names.
    with TestClient(create_app(network_loader=get_network, allowed_hosts=["testserver"])) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def small_client() -> Iterator[TestClient]:
    """A server with tiny limits: 4 KiB bodies and frames, 1 megapixel images."""
    get_network("lightning")
    app = create_app(network_loader=get_network, max_body_bytes=4096, max_pixels=1_000_000,
                     allowed_hosts=["testserver"])
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def example_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("web") / "astronaut.png"
    Image.open(example_image()).save(path)
    return path


def _png_bytes(image: np.ndarray | Image.Image) -> bytes:
    buf = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(buf, format="PNG")
    return buf.getvalue()


def _assert_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status and isinstance(body["error"], str) and body["error"]
    return body


def _assert_frames_equal(got: dict[str, Any], expected: dict[str, Any], *, tol: float = 1e-6) -> None:
    assert len(got["poses"]) == len(expected["poses"])
    for pose, ref in zip(got["poses"], expected["poses"], strict=True):
        assert pose.keys() == ref.keys()
        assert pose["id"] == ref["id"]
        assert pose["score"] == pytest.approx(ref["score"], abs=tol)
        assert (pose["box"] is None) == (ref["box"] is None)
        if pose["box"] is not None:
            assert pose["box"] == pytest.approx(ref["box"], abs=tol)
        assert [k["name"] for k in pose["keypoints"]] == [k["name"] for k in ref["keypoints"]]
        for k, r in zip(pose["keypoints"], ref["keypoints"], strict=True):
            assert (k["x"], k["y"], k["score"]) == pytest.approx((r["x"], r["y"], r["score"]), abs=tol)


# --- POST /v1/poses ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "fmt"), [("lightning", "png"), ("thunder", "png"), ("multipose", "png"),
                                            ("lightning", "jpg")])
def test_post_matches_movenet_detect(client: TestClient, example_png: Path, capsys: pytest.CaptureFixture[str],
                                     model: str, fmt: str) -> None:
    path = example_png if fmt == "png" else example_image()
    assert main(["detect", "--json", "-", "--model", model, str(path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    (expected,) = doc["frames"]
    mime = "image/png" if fmt == "png" else "image/jpeg"
    response = client.post(f"/v1/poses?model={model}", content=path.read_bytes(), headers={"content-type": mime})
    assert response.status_code == 200, response.text
    assert response.headers["x-movenet-model"] == model
    got = response.json()
    assert list(got) == list(expected) == ["index", "source", "width", "height", "poses"]
    assert (got["index"], got["source"], got["width"], got["height"]) == (0, None, 512, 512)
    assert len(got["poses"]) == 1
    _assert_frames_equal(got, expected)
    # Every request is independent: the same image again gives the same answer (no crop or track state).
    again = client.post(f"/v1/poses?model={model}", content=path.read_bytes(), headers={"content-type": mime})
    assert again.json() == got


def test_post_without_content_type_and_with_curl_default(client: TestClient, example_png: Path) -> None:
    body = example_png.read_bytes()
    plain = client.post("/v1/poses", content=body)
    assert plain.status_code == 200
    curl = client.post("/v1/poses", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert curl.status_code == 200 and curl.json() == plain.json()
    alias = client.post("/v1/poses?model=SinglePose.Lightning", content=body)
    assert alias.status_code == 200 and alias.json() == plain.json()


def test_post_errors_are_json_and_the_server_keeps_serving(client: TestClient, example_png: Path) -> None:
    png = example_png.read_bytes()
    cases = [
        (b"hello", "text/plain", 415),
        (b'{"image": 1}', "application/json", 415),
        (png, "multipart/form-data; boundary=xyz", 415),
        (b"this is not an image at all", "image/png", 415),
        (png[: len(png) // 2], "image/png", 400),  # truncated
        (b"", "image/png", 400),
    ]
    for body, mime, status in cases:
        _assert_error(client.post("/v1/poses", content=body, headers={"content-type": mime}), status)
    for query in ("model=nope", "min_pose_score=2", "min_pose_score=abc", "max_poses=0", "tracker=magic",
                  "model=multipose&multipose_max_dim=100"):
        error = _assert_error(client.post(f"/v1/poses?{query}", content=png), 422)
        if query == "model=nope":
            assert "lightning" in error["error"]
    _assert_error(client.get("/no/such/page"), 404)
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.post("/v1/poses", content=png).status_code == 200


def test_body_and_pixel_limits(small_client: TestClient, example_png: Path) -> None:
    big = example_png.read_bytes()
    assert len(big) > 4096
    error = _assert_error(small_client.post("/v1/poses", content=big, headers={"content-type": "image/png"}), 413)
    assert "limit" in error["error"]
    # No Content-Length (chunked): the limit is enforced on the bytes as they stream in.
    chunks = (big[i:i + 1000] for i in range(0, len(big), 1000))
    response = small_client.post("/v1/poses", content=chunks, headers={"content-type": "image/png"})
    assert "content-length" not in response.request.headers
    _assert_error(response, 413)
    # A tiny file that decodes to a huge image.
    bomb = _png_bytes(Image.new("1", (2000, 2000)))
    assert len(bomb) <= 4096
    assert "pixels" in _assert_error(small_client.post("/v1/poses", content=bomb), 413)["error"]
    buf = io.BytesIO()
    Image.open(example_image()).resize((64, 64)).save(buf, format="JPEG", quality=70)
    small = buf.getvalue()
    assert len(small) <= 4096
    assert small_client.post("/v1/poses", content=small).status_code == 200
    assert small_client.get("/healthz").json()["status"] == "ok"


# --- GET endpoints, pages, docs ---------------------------------------------------------------------


def test_models_healthz_and_docs(client: TestClient) -> None:
    client.post("/v1/poses", content=example_image().read_bytes())  # lightning is loaded now
    models = client.get("/v1/models").json()
    assert models["default"] == "lightning"
    rows = {m["name"]: m for m in models["models"]}
    assert list(rows) == ["lightning", "thunder", "multipose", "blazepose-lite", "blazepose-full", "blazepose-heavy",
                          "posenet"]
    assert rows["lightning"]["loaded"] and rows["lightning"]["available"]
    assert (rows["lightning"]["input_size"], rows["thunder"]["input_size"], rows["multipose"]["input_size"]) == (
        192, 256, None)
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and "lightning" in health["models_loaded"] and health["streams"] == 0
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/v1/poses"]["post"]
    assert "image/png" in post["requestBody"]["content"] and {"200", "413", "415", "422"} <= set(post["responses"])
    for page in ("/", "/docs"):
        response = client.get(page)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in response.headers["content-security-policy"]
    assert client.get("/redoc").status_code == 404  # FastAPI's CDN-based pages are off


def test_static_files_load_nothing_from_elsewhere(client: TestClient) -> None:
    files = sorted(STATIC_DIR.iterdir())
    assert {f.name for f in files} >= {"index.html", "app.js", "style.css", "docs.html", "docs.js"}
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), f.name
        assert not re.search(r"""url\(\s*["']?(https?:)?//""", text), f.name
        assert not re.search(r"""(import|fetch)\s*\(\s*["'](https?:)?//""", text), f.name
        assert not re.search(r"https?://(?!127\.0\.0\.1|localhost)", text), f.name  # no other host named
        assert client.get(f"/static/{f.name}").status_code == 200


# --- WebSocket /v1/stream ---------------------------------------------------------------------------


def test_stream_protocol(client: TestClient, example_png: Path) -> None:
    png = example_png.read_bytes()
    with client.websocket_connect("/v1/stream?model=lightning&smoothing=true") as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello" and hello["protocol"] == 1
        assert hello["config"]["model"] == "lightning" and hello["config"]["smoothing"] is True
        ws.send_bytes(pack_frame(png, {"id": 7, "timestamp_ms": 1000.0}))
        reply = ws.receive_json()
        assert (reply["type"], reply["id"], reply["model"], reply["timestamp_source"]) == ("poses", 7, "lightning",
                                                                                           "client")
        frame = reply["frame"]
        assert list(frame) == ["index", "source", "width", "height", "timestamp_ms", "poses"]
        assert (frame["index"], frame["source"], frame["timestamp_ms"]) == (0, None, 1000.0)
        assert len(frame["poses"]) == 1 and reply["inference_ms"] > 0
        ws.send_bytes(png)  # a bare image: the server's receive time is the timestamp
        reply = ws.receive_json()
        assert (reply["id"], reply["timestamp_source"], reply["frame"]["index"]) == (None, "server", 1)
        ws.send_text(json.dumps({"type": "config", "model": "thunder", "smoothing": False}))
        config = ws.receive_json()
        assert config == {"type": "config", "config": {**hello["config"], "model": "thunder", "smoothing": False},
                          "skeleton": COCO_17.to_json()}
        assert hello["skeleton"] == COCO_17.to_json() and hello["skeleton"]["edges"][0] == [0, 1]
        ws.send_bytes(pack_frame(png, {"id": "frame-8"}))
        reply = ws.receive_json()
        assert (reply["id"], reply["model"], reply["smoothing"]) == ("frame-8", "thunder", False)
        ws.send_text('{"type": "ping"}')
        assert ws.receive_json() == {"type": "pong"}
        ws.send_text('{"type": "reset"}')
        assert ws.receive_json() == {"type": "reset"}


def test_stream_garbage_gets_errors_and_the_stream_goes_on(client: TestClient, example_png: Path) -> None:
    png = example_png.read_bytes()
    with client.websocket_connect("/v1/stream") as ws:
        assert ws.receive_json()["type"] == "hello"
        sends: list[tuple[str | bytes, int]] = [
            ("not json", 400),
            ("[1, 2]", 400),
            ('{"type": "dance"}', 400),
            ('{"type": "config", "model": "nope"}', 422),
            ('{"type": "config", "bogus": 1}', 422),
            ('{"type": "config", "min_pose_score": 7}', 422),
            (b"\x00\x00\x00\x10{", 400),  # header longer than the message
            (b"\x00\x00\x00\x02[]" + png, 400),  # header not an object
            (b"\x00\x00\x00\x03\xff\xfe\xfd" + png, 400),  # header not UTF-8
            (pack_frame(png, {"timestamp_ms": "soon"}), 400),
            (pack_frame(png, {"id": [1]}), 400),
            (b"garbage!" * 50, 415),
            (b"", 400),
        ]
        for message, status in sends:
            if isinstance(message, str):
                ws.send_text(message)
            else:
                ws.send_bytes(message)
            reply = ws.receive_json()
            assert (reply["type"], reply["status"]) == ("error", status), (message[:40], reply)
        ws.send_bytes(pack_frame(png[: len(png) // 2], {"id": 5}))
        reply = ws.receive_json()
        assert (reply["type"], reply["status"], reply["id"]) == ("error", 400, 5)
        ws.send_bytes(pack_frame(png, {"id": 6, "timestamp_ms": 0}))
        reply = ws.receive_json()
        assert reply["type"] == "poses" and reply["id"] == 6 and reply["model"] == "lightning"


def test_stream_bad_query_oversized_message_and_foreign_origin(client: TestClient, small_client: TestClient,
                                                               example_png: Path) -> None:
    with client.websocket_connect("/v1/stream?model=nope") as ws:
        reply = ws.receive_json()
        assert (reply["type"], reply["status"]) == ("error", 422)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1008
    with small_client.websocket_connect("/v1/stream") as ws:
        assert ws.receive_json()["type"] == "hello"
        ws.send_bytes(example_png.read_bytes())  # over the 4 KiB limit
        reply = ws.receive_json()
        assert (reply["type"], reply["status"]) == ("error", 413)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1009
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect("/v1/stream", headers={"origin": "http://evil.example"}):
            pass
    assert refused.value.code == 1008
    with client.websocket_connect("/v1/stream", headers={"origin": "http://testserver"}) as ws:
        assert ws.receive_json()["type"] == "hello"  # the page's own origin is welcome


def test_a_frame_that_fails_unexpectedly_is_answered_with_its_id(client: TestClient, example_png: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug while decoding a frame (here: a decoder that raises) gives that frame a 500 with its
    id, in order, and the stream goes on."""
    import movenet.web.sessions as sessions

    real = sessions.decode_image

    def flaky(data: bytes, max_pixels: int, what: str) -> np.ndarray:
        if len(data) == 3:
            raise RuntimeError("a bug")
        return real(data, max_pixels, what)

    monkeypatch.setattr(sessions, "decode_image", flaky)
    png = example_png.read_bytes()
    with client.websocket_connect("/v1/stream") as ws:
        assert ws.receive_json()["type"] == "hello"
        ws.send_bytes(pack_frame(png, {"id": 1}))
        ws.send_bytes(pack_frame(b"bug", {"id": 2}))
        ws.send_bytes(pack_frame(png, {"id": 3}))
        replies = [ws.receive_json() for _ in range(3)]
    assert [(r["type"], r["id"]) for r in replies] == [("poses", 1), ("error", 2), ("poses", 3)]
    assert replies[1]["status"] == 500 and "RuntimeError" in replies[1]["error"]


def test_a_quiet_stream_is_closed_and_gives_its_place_back() -> None:
    with pytest.raises(ValueError, match="stream_idle_timeout"):
        create_app(network_loader=get_network, stream_idle_timeout=0)
    app = create_app(network_loader=get_network, allowed_hosts=["testserver"], max_streams=1, stream_idle_timeout=0.5)
    with TestClient(app) as client:
        with client.websocket_connect("/v1/stream") as quiet:
            assert quiet.receive_json()["type"] == "hello"
            reply = quiet.receive_json()  # nothing sent for half a second
            assert (reply["type"], reply["status"]) == ("error", 408) and "no message for 0.5 s" in reply["error"]
            with pytest.raises(WebSocketDisconnect) as closed:
                quiet.receive_json()
            assert closed.value.code == 1000
        with client.websocket_connect("/v1/stream") as next_client:  # the one place is free again
            assert next_client.receive_json()["type"] == "hello"
            next_client.send_text(json.dumps({"type": "ping"}))
            assert next_client.receive_json()["type"] == "pong"  # a client that talks is not cut off


def test_streams_beyond_the_limit_are_told_to_come_back_later(example_png: Path) -> None:
    with pytest.raises(ValueError, match="max_streams"):
        create_app(network_loader=get_network, max_streams=0)
    app = create_app(network_loader=get_network, allowed_hosts=["testserver"], max_streams=2)
    with TestClient(app) as client, client.websocket_connect("/v1/stream") as first, \
            client.websocket_connect("/v1/stream") as second:
        assert first.receive_json()["type"] == second.receive_json()["type"] == "hello"
        with client.websocket_connect("/v1/stream") as third:
            reply = third.receive_json()
            assert (reply["type"], reply["status"]) == ("error", 503) and "limit" in reply["error"]
            with pytest.raises(WebSocketDisconnect) as closed:
                third.receive_json()
            assert closed.value.code == 1013
        assert client.get("/healthz").json()["streams"] == 2  # the refused one was never counted
        second.send_bytes(pack_frame(example_png.read_bytes(), {"id": 1}))
        assert second.receive_json()["type"] == "poses"  # the open streams go on
    with TestClient(app) as client:
        assert client.get("/healthz").json()["streams"] == 0  # each closed stream gave its place back
    with TestClient(app) as client, client.websocket_connect("/v1/stream") as again:
        assert again.receive_json()["type"] == "hello"  # a stream that closed frees its place


def test_stream_client_leaving_mid_frame_does_not_hurt_the_server(client: TestClient, example_png: Path) -> None:
    png = example_png.read_bytes()
    for _ in range(3):
        with client.websocket_connect("/v1/stream?model=thunder") as ws:
            ws.receive_json()
            ws.send_bytes(pack_frame(png, {"id": 1, "timestamp_ms": 0}))
            # leave without reading the reply, while the frame is being processed
    deadline = time.monotonic() + 10
    while client.get("/healthz").json()["streams"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.get("/healthz").json() | {"models_loaded": []} == {
        "status": "ok", "version": client.get("/healthz").json()["version"], "models_loaded": [], "streams": 0}
    with client.websocket_connect("/v1/stream") as ws:
        ws.receive_json()
        ws.send_bytes(png)
        assert ws.receive_json()["type"] == "poses"


def _video_frames(path: Path, count: int) -> list[tuple[np.ndarray, float]]:
    from movenet.io.video import read_video

    frames = []
    for image, t_ms in read_video(path):
        frames.append((image, t_ms))
        if len(frames) == count:
            break
    return frames


def test_two_streams_keep_their_own_smoothing_state(client: TestClient, shared_data: Path) -> None:
    """Two clients interleaving frames of two videos get what two separate sequential runs get."""
    count = 10
    videos = [_video_frames(shared_data / "videos" / name, count)
              for name in ("tfjs_dance_pose_1.mp4", "tfjs_squats.mp4")]
    encoded = [[_png_bytes(image) for image, _ in frames] for frames in videos]
    network = get_network("lightning")

    def run(frames: list[tuple[np.ndarray, float]], detector: SinglePoseDetector) -> list[list[dict[str, Any]]]:
        return [json.loads(json.dumps([p.to_dict() for p in detector.estimate_poses(image, t)]))
                for image, t in frames]

    expected = [run(frames, SinglePoseDetector(network, 192)) for frames in videos]
    assert all(len(poses) == 1 for run_ in expected for poses in run_)

    got: list[list[list[dict[str, Any]]]] = [[], []]
    with client.websocket_connect("/v1/stream?model=lightning") as ws_a, \
            client.websocket_connect("/v1/stream?model=lightning") as ws_b:
        sockets = (ws_a, ws_b)
        for ws in sockets:
            assert ws.receive_json()["config"]["smoothing"] is True
        for i in range(count):
            for v, ws in enumerate(sockets):  # both frames are in flight before either reply is read
                ws.send_bytes(pack_frame(encoded[v][i], {"id": i, "timestamp_ms": videos[v][i][1]}))
            for v, ws in enumerate(sockets):
                reply = ws.receive_json()
                assert reply["type"] == "poses" and reply["id"] == i
                got[v].append(reply["frame"]["poses"])
    assert got[0] == expected[0]
    assert got[1] == expected[1]

    # The test has teeth: one shared detector fed the interleaved frames answers differently.
    shared = SinglePoseDetector(network, 192)
    mixed = [run([frame], shared)[0] for pair in zip(*videos, strict=True) for frame in pair]
    assert mixed[0::2] != expected[0]


def test_two_multipose_streams_have_their_own_track_ids(client: TestClient, example_png: Path) -> None:
    png = example_png.read_bytes()
    ids = []
    with client.websocket_connect("/v1/stream?model=multipose") as ws_a, \
            client.websocket_connect("/v1/stream?model=multipose") as ws_b:
        for ws in (ws_a, ws_b):
            assert ws.receive_json()["type"] == "hello"
        for t in (0, 33, 66):
            for ws in (ws_a, ws_b):
                ws.send_bytes(pack_frame(png, {"timestamp_ms": t}))
            for ws in (ws_a, ws_b):
                ids.append([p["id"] for p in ws.receive_json()["frame"]["poses"]])
    assert ids == [[1]] * 6  # the person keeps id 1 in each stream; a shared tracker would hand out 2


# --- movenet serve ----------------------------------------------------------------------------------


def test_serve_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    import uvicorn

    from movenet.cli.serve import add_serve_parser

    parser = argparse.ArgumentParser(prog="movenet")
    add_serve_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["serve"])
    assert (args.host, args.port, args.max_body_mb, args.preload) == ("127.0.0.1", 8000, 8.0, ["lightning"])
    for bad in (["--port", "70000"], ["--max-body-mb", "0"], ["--preload", "tiny"]):
        with pytest.raises(SystemExit):
            parser.parse_args(["serve", *bad])
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    args = parser.parse_args(["serve", "--port", "8123", "--max-body-mb", "0.5", "--preload", "none"])
    assert args.func(args) == 0
    ((app, options),) = calls
    assert (options["host"], options["port"]) == ("127.0.0.1", 8123)
    assert app.state.movenet.max_body_bytes == 512 * 1024
    assert options["ws_max_size"] > 512 * 1024


def test_the_server_leaves_one_core_to_its_own_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """By default the server runs each inference on all physical cores but one (at least one); --threads
    (create_app(threads=N)) sets it. Read from the ONNX Runtime session's own settings."""
    get_network("lightning")
    from movenet.web import app as web_app
    from movenet.web.options import StreamConfig

    for cores, expected in ((1, 1), (2, 1), (8, 7)):
        monkeypatch.setattr(web_app, "physical_cores", lambda cores=cores: cores)
        assert web_app.default_server_threads() == expected
    monkeypatch.setattr(web_app, "physical_cores", lambda: 3)
    for threads, expected in ((None, 2), (1, 1)):
        served = StreamConfig(model="lightning").build(create_app(threads=threads).state.movenet.pool)
        assert isinstance(served, SinglePoseDetector)
        options = served.network._session.get_session_options()  # type: ignore[attr-defined]
        assert options.intra_op_num_threads == expected


def test_the_server_lets_idle_inference_threads_sleep() -> None:
    """The server shares its cores (event loop, decoding, the browser on the same machine): its
    ONNX Runtime sessions are built with spinning off, the library's own default keeps it on;
    the outputs are the same either way."""
    get_network("lightning")
    import movenet
    from movenet.web.options import StreamConfig

    server = create_app().state.movenet
    served = StreamConfig(model="lightning").build(server.pool)
    assert isinstance(served, SinglePoseDetector) and served.network.spin_wait is False
    library = movenet.create_detector("lightning")
    assert isinstance(library, SinglePoseDetector) and library.network.spin_wait is True
    frame = np.asarray(Image.open(example_image()).convert("RGB"))
    ours, theirs = served.estimate_poses(frame), library.estimate_poses(frame)
    assert [(k.x, k.y, k.score) for k in ours[0].keypoints] == [(k.x, k.y, k.score) for k in theirs[0].keypoints]
