"""`movenet serve` against hostile and careless clients (issue 17, items 11-14): a real server
process on 127.0.0.1, spoken to over sockets as a client would (httpx, websockets, raw sockets)."""

from __future__ import annotations

import io
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install 'movenet[web]'")
pytest.importorskip("uvicorn", reason="the web extra is not installed: pip install 'movenet[web]'")
httpx = pytest.importorskip("httpx")
ws_client = pytest.importorskip("websockets.sync.client", reason="the websockets package is not installed")
from websockets.exceptions import ConnectionClosed  # noqa: E402

from movenet.cli.common import example_image  # noqa: E402
from movenet.web.messages import pack_frame  # noqa: E402

from conftest import get_network  # noqa: E402
from serve_process import ServeProcess, serve_process  # noqa: E402

BODY_TIMEOUT_S = 2


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    get_network("lightning")  # skip when the weights are not fetched
    with serve_process(tmp_path_factory.mktemp("serve"), "--preload", "lightning", "--log-level", "info",
                       "--allowed-host", "movenet.test", "--body-timeout", str(BODY_TIMEOUT_S)) as proc:
        yield proc
        assert proc.alive()


def _png(size: int = 8) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (size, size), (90, 120, 150)).save(buf, format="PNG")
    return buf.getvalue()


def _example_jpeg() -> bytes:
    return example_image().read_bytes()


def _assert_no_traceback(log: str) -> None:
    for bad in ("Traceback", "Exception in ASGI application", "RecursionError", "internal error"):
        assert bad not in log, log[-3000:]


def _connect(server: ServeProcess, query: str = "", **kw: Any):  # noqa: ANN202 - a websockets ClientConnection
    return ws_client.connect(f"{server.ws_base}/v1/stream{query}", open_timeout=20, close_timeout=5, **kw)


def _reply(ws: Any) -> dict[str, Any]:
    return json.loads(ws.recv(timeout=60))


def _still_serves(server: ServeProcess) -> None:
    response = httpx.post(f"{server.base}/v1/poses", content=_example_jpeg(), timeout=60)
    assert response.status_code == 200 and len(response.json()["poses"]) == 1
    assert httpx.get(f"{server.base}/healthz", timeout=10).json()["status"] == "ok"


# --- item 11: size-like options are bounded -------------------------------------------------------


@pytest.mark.parametrize("query", ["model=multipose&multipose_max_dim=4096",
                                   "model=multipose&multipose_max_dim=32000000000000",
                                   "model=multipose&multipose_max_dim=" + "3" * 400 + "2",
                                   "model=multipose&max_poses=7"])
def test_post_size_options_beyond_the_limit_get_422_naming_it(server: ServeProcess, query: str) -> None:
    mark = server.log_mark()
    start = time.monotonic()
    response = httpx.post(f"{server.base}/v1/poses?{query}", content=_png(), timeout=60)
    assert response.status_code == 422, response.text[:300]
    body = response.json()
    assert body["status"] == 422
    limit = "6" if "max_poses" in query else "1024"
    assert f"at most {limit}" in body["error"], body["error"]
    assert time.monotonic() - start < 10  # refused up front, not computed
    _assert_no_traceback(server.log_since(mark))


def test_post_multipose_dim_within_the_limit_still_works(server: ServeProcess) -> None:
    response = httpx.post(f"{server.base}/v1/poses?model=multipose&multipose_max_dim=512&max_poses=6",
                          content=_example_jpeg(), timeout=60)
    assert response.status_code == 200, response.text
    assert response.json()["width"] == 512  # (at 512 the close-up astronaut scores below 0.25: no pose)


def test_stream_size_options_and_timestamps_are_bounded_and_the_stream_goes_on(server: ServeProcess) -> None:
    mark = server.log_mark()
    with _connect(server) as ws:
        assert _reply(ws)["type"] == "hello"
        for config, status, words in [
            ({"model": "multipose", "multipose_max_dim": 4096}, 422, "at most 1024"),
            ({"model": "multipose", "multipose_max_dim": 32000000000000}, 422, "at most 1024"),
            ({"model": "multipose", "multipose_max_dim": 10 ** 400}, 422, "at most 1024"),
            ({"model": "multipose", "max_poses": 10 ** 300}, 422, "at most 6"),
            ({"min_pose_score": 10 ** 400}, 422, "min_pose_score"),
        ]:
            ws.send(json.dumps({"type": "config", **config}))
            reply = _reply(ws)
            assert (reply["type"], reply["status"]) == ("error", status), reply
            assert words in reply["error"], reply
        png = _png()
        for header in ({"timestamp_ms": 1e306}, {"timestamp_ms": -1e306}, {"timestamp_ms": 10 ** 400}):
            ws.send(pack_frame(png, header))
            reply = _reply(ws)
            assert (reply["type"], reply["status"]) == ("error", 400), reply
            assert "timestamp_ms" in reply["error"]
        ws.send(pack_frame(_example_jpeg(), {"id": 1, "timestamp_ms": 1.7e12}))  # Date.now() is fine
        reply = _reply(ws)
        assert reply["type"] == "poses" and reply["id"] == 1 and len(reply["frame"]["poses"]) == 1
    with _connect(server, "?model=multipose&multipose_max_dim=4096") as ws:
        reply = _reply(ws)
        assert (reply["type"], reply["status"]) == ("error", 422) and "at most 1024" in reply["error"]
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    _assert_no_traceback(server.log_since(mark))


# --- item 12: deeply nested JSON -----------------------------------------------------------------


def test_deeply_nested_json_gets_400_and_the_stream_goes_on(server: ServeProcess) -> None:
    mark = server.log_mark()
    with _connect(server) as ws:
        assert _reply(ws)["type"] == "hello"
        for text in ("[" * 60_000, "[" * 30_000 + "]" * 30_000,
                     '{"type": "config", "model": ' + "[" * 40 + "]" * 40 + "}"):
            ws.send(text)
            reply = _reply(ws)
            assert (reply["type"], reply["status"]) == ("error", 400), reply
            assert "nests deeper than" in reply["error"]
        head = ("[" * 30_000 + "]" * 30_000).encode()
        for message in (len(head).to_bytes(4, "big") + head + _png(),
                        pack_frame(_png(), {"id": 3, "extra": json.loads("[" * 50 + "]" * 50)})):
            ws.send(message)
            reply = _reply(ws)
            assert (reply["type"], reply["status"]) == ("error", 400), reply
            assert "nests deeper than" in reply["error"]
        ws.send('{"type": "ping"}')
        assert _reply(ws) == {"type": "pong"}
        ws.send(pack_frame(_example_jpeg(), {"id": 4, "timestamp_ms": 0}))
        reply = _reply(ws)
        assert reply["type"] == "poses" and reply["id"] == 4
    _assert_no_traceback(server.log_since(mark))


# --- item 13: a client leaving mid-upload ---------------------------------------------------------


def _raw_request(server: ServeProcess, head: str, body: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(head.encode("latin-1") + body)
    return sock


def _read_response(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        pass
    return data


def test_client_leaving_mid_upload_logs_one_line_and_no_traceback(server: ServeProcess) -> None:
    mark = server.log_mark()
    for _ in range(3):
        head = (f"POST /v1/poses HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: image/jpeg\r\n"
                "Content-Length: 100000\r\n\r\n")
        sock = _raw_request(server, head, _example_jpeg()[:5000])
        time.sleep(0.3)
        sock.close()  # gone, 95 KB short
    time.sleep(1.0)
    _still_serves(server)
    log = server.log_since(mark)
    _assert_no_traceback(log)
    lines = [line for line in log.splitlines() if line.strip() and "/healthz" not in line
             and '"POST /v1/poses HTTP/1.1" 200' not in line]
    assert len(lines) <= 3, log  # one line per client that left, at most


# --- item 14: Host allow-list, cross-origin POSTs, stalled uploads --------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example",
                                  "localhost.evil.example:{port}", "[::2]:{port}"])
def test_unknown_host_is_refused_over_http_and_websocket(server: ServeProcess, host: str) -> None:
    host = host.format(port=server.port)
    for path in ("/healthz", "/", "/v1/models"):
        response = httpx.get(f"{server.base}{path}", headers={"host": host}, timeout=10)
        assert response.status_code == 403, (path, response.text[:200])
        assert "--allowed-host" in response.json()["error"]
    response = httpx.post(f"{server.base}/v1/poses", headers={"host": host}, content=_png(), timeout=10)
    assert response.status_code == 403
    handshake = (f"GET /v1/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    with _raw_request(server, handshake) as sock:
        answer = _read_response(sock, 5)
    assert answer.startswith(b"HTTP/1.1 403"), answer[:200]


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST.:{port}", "[::1]:{port}",
                                  "127.0.0.1", "movenet.test:{port}"])
def test_local_names_and_allowed_hosts_are_served(server: ServeProcess, host: str) -> None:
    response = httpx.get(f"{server.base}/healthz", headers={"host": host.format(port=server.port)}, timeout=10)
    assert response.status_code == 200, response.text


def test_cross_origin_post_is_refused_same_origin_is_served(server: ServeProcess) -> None:
    jpeg = _example_jpeg()
    for origin in ("http://evil.example", "null", f"http://localhost.evil.example:{server.port}",
                   f"http://127.0.0.1:{server.port + 1}"):
        response = httpx.post(f"{server.base}/v1/poses", content=jpeg, timeout=30,
                              headers={"origin": origin, "content-type": "text/plain"})
        assert response.status_code == 403, (origin, response.text[:200])
        assert "cross-origin" in response.json()["error"]
    for headers in ({"origin": server.base}, {}):
        response = httpx.post(f"{server.base}/v1/poses", content=jpeg, headers=headers, timeout=60)
        assert response.status_code == 200, response.text
    # A cross-origin GET is harmless (the page cannot read the answer) and still served.
    assert httpx.get(f"{server.base}/healthz", headers={"origin": "http://evil.example"}, timeout=10).status_code == 200
    with pytest.raises(Exception) as refused:  # noqa: B017 - websockets' InvalidStatus
        with _connect(server, origin="http://evil.example"):
            pass
    assert "403" in str(refused.value)


def test_stalled_upload_gets_408_and_is_closed(server: ServeProcess) -> None:
    mark = server.log_mark()
    head = (f"POST /v1/poses HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: image/jpeg\r\n"
            "Content-Length: 100000\r\n\r\n")
    start = time.monotonic()
    with _raw_request(server, head, _example_jpeg()[:1000]) as sock:
        answer = _read_response(sock, BODY_TIMEOUT_S + 10)  # returns when the server closes
    elapsed = time.monotonic() - start
    assert answer.startswith(b"HTTP/1.1 408"), answer[:300]
    assert b"--body-timeout" in answer
    assert BODY_TIMEOUT_S - 0.5 < elapsed < BODY_TIMEOUT_S + 8
    _assert_no_traceback(server.log_since(mark))
    _still_serves(server)


def test_allowed_hosts_of_the_serve_command() -> None:
    import socket as socket_module

    from movenet.cli.serve import allowed_hosts
    from movenet.web.security import host_allowed

    hosts, any_ip = allowed_hosts("127.0.0.1", [])
    assert not any_ip and {"localhost", "127.0.0.1", "::1"} <= set(hosts)
    assert not host_allowed("192.168.1.5:8000", hosts, any_ip=any_ip)
    hosts, any_ip = allowed_hosts("192.168.1.5", ["pose.lan"])
    assert host_allowed("192.168.1.5:8000", hosts) and host_allowed("POSE.lan:8000", hosts)
    assert not host_allowed("evil.example", hosts)
    hosts, any_ip = allowed_hosts("0.0.0.0", [])  # every interface: any IP address, and this machine's name
    assert any_ip and socket_module.gethostname() in hosts
    assert host_allowed("10.1.2.3:8000", hosts, any_ip=any_ip) and host_allowed("[fe80::1]:8000", hosts, any_ip=True)
    assert not host_allowed("evil.example:8000", hosts, any_ip=any_ip)
    assert host_allowed("anything.example", ["*"]) and host_allowed(None, [])


# --- the stream reads ahead: replies stay in order, and careless clients cost nothing lasting ----


def test_stream_replies_in_order_with_frames_and_messages_interleaved(server: ServeProcess) -> None:
    frame = _example_jpeg()
    with _connect(server, "?model=lightning") as ws:
        assert _reply(ws)["type"] == "hello"
        ws.send(json.dumps({"type": "ping"}))
        for i in range(6):
            ws.send(pack_frame(frame, {"id": i, "timestamp_ms": 33 * i}))
            if i == 2:
                ws.send("not json")
            if i == 3:  # frames decoded ahead of the detection: their errors still come in order
                ws.send(pack_frame(frame[: len(frame) // 3], {"id": "cut"}))
                ws.send(pack_frame(frame, {"id": "late", "timestamp_ms": "soon"}))
        replies = [_reply(ws) for _ in range(10)]
    assert [(r["type"], r.get("id")) for r in replies] == [
        ("pong", None), ("poses", 0), ("poses", 1), ("poses", 2), ("error", None), ("poses", 3), ("error", "cut"),
        ("error", None), ("poses", 4), ("poses", 5)]  # a header it refuses: no id taken from it
    assert [r["timestamp_ms"] for r in replies if r["type"] == "poses"] == [33 * i for i in range(6)]
    assert [r["status"] for r in replies if r["type"] == "error"] == [400, 400, 400]


def test_clients_that_leave_or_never_read_do_not_hold_the_server(server: ServeProcess) -> None:
    mark = server.log_mark()
    frame = _example_jpeg()
    with _connect(server, "?model=lightning") as ws:  # leaves with 30 frames unanswered
        _reply(ws)
        for i in range(30):
            ws.send(pack_frame(frame, {"id": i}))
    with _connect(server, "?model=lightning", max_queue=1) as ws:  # sends, never reads its replies
        _reply(ws)
        for i in range(40):
            ws.send(pack_frame(frame, {"id": i}))
        _still_serves(server)  # while that stream's replies pile up unread
        time.sleep(1)
    deadline = time.monotonic() + 30
    while httpx.get(f"{server.base}/healthz", timeout=10).json()["streams"] != 0:
        assert time.monotonic() < deadline, "streams were not closed"
        time.sleep(0.2)
    _still_serves(server)
    _assert_no_traceback(server.log_since(mark))
