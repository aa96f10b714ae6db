"""Fuzzing (issue 17): random and mutated images (arrays, files, bytes), video bytes, HTTP bodies,
query strings and WebSocket messages. Never a traceback, never a 5xx, never a hang; afterwards the
server still answers correctly. Bounded: a fixed number of examples per test (derandomized, so a
run is reproducible), a timeout on every request and decode; about 30-60 s in all.

Run alone with ``pytest -m fuzz``; skip with ``-m "not fuzz"``.
"""

from __future__ import annotations

import io
import json
import string
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pytest
from PIL import Image

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is not installed: pip install -e '.[test]'")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from movenet.cli.common import example_image  # noqa: E402
from movenet.errors import MovenetError  # noqa: E402

from conftest import detector_on, get_network  # noqa: E402

pytestmark = pytest.mark.fuzz

#: What a bad input may raise in the library: our errors, or ValueError/TypeError with a message.
EXPECTED = (MovenetError, ValueError, TypeError)
FUZZ = settings(max_examples=100, deadline=None, derandomize=True, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
FUZZ_SERVER = settings(FUZZ, max_examples=80)
REQUEST_TIMEOUT_S = 30.0


# --- strategies -------------------------------------------------------------------------------------


@st.composite
def encoded_images(draw: st.DrawFn) -> bytes:
    """A small valid image file in one of Pillow's formats and modes."""
    width, height = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    fmt = draw(st.sampled_from(["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"]))
    mode = draw(st.sampled_from(["RGB", "L", "RGBA", "P", "1", "I;16"] if fmt in ("PNG", "TIFF") else ["RGB", "L"]))
    seed = draw(st.integers(0, 2**32 - 1))
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    image = Image.fromarray(pixels).convert(mode if mode != "I;16" else "L")
    if mode == "I;16":
        image = Image.fromarray(np.asarray(image, np.uint16) * 257)
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return buf.getvalue()


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[bytes]) -> bytes:
    """`base` with random bytes flipped, a piece cut out or inserted, or truncated."""
    data = bytearray(draw(base))
    for _ in range(draw(st.integers(0, 8))):
        if not data:
            break
        kind = draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
        pos = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[pos] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del data[pos:pos + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=64))
        else:
            del data[pos:]
    return bytes(data)


image_bytes = st.one_of(encoded_images(), mutated(encoded_images()), st.binary(max_size=512))
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
              st.text(max_size=20)),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)
OPTION_NAMES = ["model", "smoothing", "min_pose_score", "tracker", "max_poses", "multipose_max_dim", "type", "id"]
option_values = st.one_of(
    st.sampled_from(["lightning", "thunder", "multipose", "SinglePose.Lightning", "none", "keypoint", "boundingBox",
                     "true", "false", "nan", "inf", "-1", "0", "1e400", "32", "64", "96", "4096", "32000000000000",
                     "9" * 500, "", " ", "null", "[[[[", "\x00"]),
    st.integers(-10**6, 10**6).map(str), st.floats().map(str), st.text(max_size=30))


@st.composite
def query_strings(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(st.text(string.printable, max_size=80))  # raw, unencoded
    pairs = draw(st.lists(st.tuples(st.sampled_from(OPTION_NAMES) | st.text(max_size=10), option_values), max_size=5))
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs)


@st.composite
def ws_messages(draw: st.DrawFn) -> str | bytes:
    kind = draw(st.sampled_from(["config", "json", "text", "deep", "frame", "raw", "header"]))
    if kind == "deep":  # nesting deep enough to break a recursive parser
        depth = draw(st.integers(1, 30_000))
        return draw(st.sampled_from(["[", '{"a":'])) * depth
    if kind == "config":
        config = draw(st.dictionaries(st.sampled_from(OPTION_NAMES), json_values | option_values, max_size=4))
        return json.dumps({"type": draw(st.sampled_from(["config", "reset", "ping", "dance"])), **config})
    if kind == "json":
        return json.dumps(draw(json_values))
    if kind == "text":
        return draw(st.text(max_size=200))
    from movenet.web.messages import pack_frame

    image = draw(image_bytes)
    if kind == "frame":
        header = draw(st.dictionaries(st.sampled_from(["id", "timestamp_ms", "x"]), json_values, max_size=3))
        return pack_frame(image, header) if header else image
    if kind == "header":  # a length prefix that may lie, then anything (deeply nested JSON included)
        head = draw(st.binary(max_size=64) | st.integers(1, 30_000).map(lambda n: b"[" * n + b"]" * n))
        size = draw(st.just(len(head)) | st.integers(0, 2**32 - 1))
        return size.to_bytes(4, "big") + head + image
    return draw(st.binary(max_size=256))


# --- the library --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def detectors() -> dict[str, Any]:
    return {name: detector_on(name) for name in ("lightning", "multipose")}


@FUZZ
@given(array=hnp.arrays(st.sampled_from([np.uint8, np.float32, np.int16, np.bool_, np.uint16, np.float64]),
                        hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=40)),
       model=st.sampled_from(["lightning", "multipose"]),
       timestamp=st.none() | st.floats() | st.integers(-10**20, 10**20))
def test_library_random_arrays(detectors: dict[str, Any], array: np.ndarray, model: str, timestamp: Any) -> None:
    try:
        poses = detectors[model].estimate_poses(array, timestamp)
    except EXPECTED as exc:
        assert str(exc), type(exc)
    else:
        assert isinstance(poses, list)


@FUZZ
@given(data=image_bytes, model=st.sampled_from(["lightning", "multipose"]))
def test_library_random_image_files(detectors: dict[str, Any], tmp_path_factory: pytest.TempPathFactory,
                                    data: bytes, model: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "image.png"
    path.write_bytes(data)
    try:
        poses = detectors[model].estimate_poses(path)
    except EXPECTED as exc:
        assert str(path) in str(exc)  # the message names the file
    else:
        assert isinstance(poses, list)


class _Seed(bytes):
    """Bytes that print short (Hypothesis prints the arguments of a failing example)."""

    def __repr__(self) -> str:
        return f"<seed mp4, {len(self)} bytes>"


@pytest.fixture(scope="module")
def seed_video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from movenet.io.video_writer import VideoWriter

    path = tmp_path_factory.mktemp("video") / "seed.mp4"
    rng = np.random.default_rng(0)
    with VideoWriter(path, 48, 32, 10) as writer:
        for _ in range(4):
            writer.write(rng.integers(0, 256, (32, 48, 3), dtype=np.uint8))
    return _Seed(path.read_bytes())


def _decode_all(path: Path) -> list[Any]:
    """Frames of `path` (at most 50) read on a thread: a hang fails instead of blocking the run."""
    from movenet.io.video import read_video

    outcome: list[Any] = []

    def run() -> None:
        try:
            frames = []
            for frame, t_ms in read_video(path):
                assert frame.ndim == 3 and frame.dtype == np.uint8 and np.isfinite(t_ms)
                frames.append(t_ms)
                if len(frames) >= 50:
                    break
            outcome.append(frames)
        except BaseException as exc:  # noqa: BLE001 - judged by the caller
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(REQUEST_TIMEOUT_S)
    assert not thread.is_alive(), f"decoding {path} hangs"
    return outcome


@FUZZ
@given(data=st.data())
def test_video_random_and_mutated_bytes(seed_video: bytes, tmp_path_factory: pytest.TempPathFactory,
                                        data: st.DataObject) -> None:
    blob = bytes(data.draw(st.one_of(mutated(st.just(seed_video)), st.binary(max_size=2048))))
    path = tmp_path_factory.mktemp("fuzzvideo") / "clip.mp4"
    path.write_bytes(blob)
    (result,) = _decode_all(path)
    if isinstance(result, BaseException):
        from movenet.io.video import VideoError

        assert isinstance(result, VideoError), repr(result)
        assert str(path) in str(result)


# --- the server ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    pytest.importorskip("fastapi", reason="the web extra is not installed: pip install 'movenet[web]'")
    pytest.importorskip("websockets.sync.client", reason="the websockets package is not installed")
    from serve_process import serve_process

    get_network("lightning")
    with serve_process(tmp_path_factory.mktemp("fuzzserve"), "--preload", "lightning,multipose",
                       "--max-body-mb", "1") as proc:
        yield proc


@pytest.fixture(scope="module")
def reference_answer(server: Any) -> dict[str, Any]:
    import httpx

    response = httpx.post(f"{server.base}/v1/poses", content=example_image().read_bytes(), timeout=60)
    assert response.status_code == 200
    return response.json()


def _check_http(response: Any) -> None:
    assert response.status_code < 500, response.text[:300]
    if response.status_code >= 400:
        body = response.json()
        assert body["status"] == response.status_code and body["error"]


@pytest.mark.usefixtures("reference_answer")  # taken before the fuzzing, compared after it
@FUZZ_SERVER
@given(body=image_bytes | st.binary(max_size=64), query=query_strings(),
       content_type=st.sampled_from([None, "image/png", "image/jpeg", "application/octet-stream", "text/plain",
                                     "multipart/form-data; boundary=x", "application/json", "image/", ";;", "\t"]))
def test_http_random_bodies_and_queries(server: Any, body: bytes, query: str, content_type: str | None) -> None:
    import httpx

    headers = {} if content_type is None else {"content-type": content_type}
    try:
        response = httpx.post(f"{server.base}/v1/poses?{query}", content=body, headers=headers,
                              timeout=REQUEST_TIMEOUT_S)
    except (httpx.InvalidURL, httpx.LocalProtocolError):
        return  # the client refuses to send it
    _check_http(response)
    if response.status_code == 200:
        frame = response.json()
        assert isinstance(frame["poses"], list) and frame["width"] >= 1


@pytest.mark.usefixtures("reference_answer")
@FUZZ_SERVER
@given(messages=st.lists(ws_messages(), min_size=1, max_size=6), query=query_strings())
def test_websocket_random_messages(server: Any, messages: list[str | bytes], query: str) -> None:
    from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI
    from websockets.sync.client import connect

    try:
        ws = connect(f"{server.ws_base}/v1/stream?{query}", open_timeout=REQUEST_TIMEOUT_S, close_timeout=5,
                     max_size=None)
    except InvalidURI:
        return
    except InvalidStatus as exc:  # a request line HTTP itself refuses (a raw space, ...): 400
        assert exc.response.status_code < 500, exc
        return
    with ws:
        first = json.loads(ws.recv(timeout=REQUEST_TIMEOUT_S))
        if first["type"] == "error":  # a bad query: a 4xx message, then close 1008
            assert 400 <= first["status"] < 500
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=REQUEST_TIMEOUT_S)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
            return
        assert first["type"] == "hello"
        for message in messages:
            ws.send(message)
            try:
                reply = json.loads(ws.recv(timeout=REQUEST_TIMEOUT_S))
            except ConnectionClosed as exc:  # only for a message over the size limit
                assert exc.rcvd is not None and exc.rcvd.code == 1009, exc
                return
            assert reply["type"] in ("poses", "error", "config", "pong", "reset"), reply
            if reply["type"] == "error":
                assert 400 <= reply["status"] < 500, reply


def test_server_still_answers_correctly_after_the_fuzzing(server: Any, reference_answer: dict[str, Any]) -> None:
    """Runs last in this module: the same answer as before the fuzzing, no traceback in the log."""
    import httpx
    from websockets.sync.client import connect

    from movenet.web.messages import pack_frame

    jpeg = example_image().read_bytes()
    response = httpx.post(f"{server.base}/v1/poses", content=jpeg, timeout=60)
    assert response.status_code == 200 and response.json() == reference_answer
    with connect(f"{server.ws_base}/v1/stream?smoothing=false", open_timeout=30) as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "hello"
        ws.send(pack_frame(jpeg, {"id": 1}))
        reply = json.loads(ws.recv(timeout=60))
    assert reply["frame"]["poses"] == reference_answer["poses"]
    log = server.log()
    for bad in ("Traceback", "Exception in ASGI", "internal error", '" 500'):
        assert bad not in log, log[-4000:]
    assert server.alive()
