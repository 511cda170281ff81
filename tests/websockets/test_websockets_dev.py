"""WebSockets through ``pyflare dev``: a real port, a real client (the websockets library), real signals."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import write_worker
from tests.core.test_cli_dev import DevProcess
from tests.websockets.conftest import ECHO_CONFIG, ECHO_WORKER
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect


def _start(folder: Path) -> DevProcess:
    return DevProcess(write_worker(folder, ECHO_CONFIG, {"src/entry.py": ECHO_WORKER}), "--no-reload", "--no-persist")


def _kill(proc: DevProcess) -> None:
    if proc.proc.poll() is None:
        proc.proc.kill()
        proc.proc.wait()


@pytest.fixture(scope="module")
def shared_dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevProcess]:
    proc = _start(tmp_path_factory.mktemp("echo"))
    yield proc
    _kill(proc)


@pytest.fixture
def dev(shared_dev: DevProcess) -> DevProcess:
    """One pyflare dev for the tests that leave it running (each test opens its sockets on its own path)."""
    return shared_dev


@pytest.fixture
def own_dev(tmp_path: Path) -> Iterator[DevProcess]:
    proc = _start(tmp_path / "echo")
    yield proc
    _kill(proc)


def ws_url(dev: DevProcess, path: str = "/ws") -> str:
    return dev.url.replace("http://", "ws://") + path


def events_once(dev: DevProcess, path: str, count: int, timeout: float = 10) -> list:
    """The events the worker recorded for sockets opened on ``path``, once ``count`` are there (the close
    reaches the worker after the client has seen it)."""
    deadline = time.monotonic() + timeout
    while True:
        events = httpx.get(dev.url + "/events", params={"of": path}, timeout=5).json()
        if len(events) >= count or time.monotonic() > deadline:
            return events


def test_messages_and_close_over_a_real_port(dev):
    with connect(ws_url(dev, "/ws/messages")) as ws:
        assert ws.recv(timeout=5) == "hello"
        ws.send("hi")
        assert ws.recv(timeout=5) == "echo:hi"
        ws.send(b"\x01")
        assert ws.recv(timeout=5) == b"bin:\x01"
        ws.close(3002, "done")
    assert events_once(dev, "/ws/messages", 1) == [
        {"type": "close", "code": 3002, "reason": "done", "wasClean": True, "readyState": 3}]


def test_worker_initiated_close_reaches_the_client(dev):
    with connect(ws_url(dev, "/ws/server-close")) as ws:
        assert ws.recv(timeout=5) == "hello"
        ws.send("close-me")
        with pytest.raises(ConnectionClosed) as caught:
            ws.recv(timeout=5)
    assert (caught.value.rcvd.code, caught.value.rcvd.reason) == (4000, "as you wish")


def test_a_dropped_connection_is_an_unclean_1006_close(dev):
    with connect(ws_url(dev, "/ws/dropped")) as ws:
        assert ws.recv(timeout=5) == "hello"
        ws.socket.shutdown(socket.SHUT_RDWR)  # no Close frame: the TCP connection just ends
    # readyState stays CLOSING (2): nothing was sent back, as in workerd.
    assert events_once(dev, "/ws/dropped", 1) == [
        {"type": "close", "code": 1006, "wasClean": False, "readyState": 2,
         "reason": "WebSocket disconnected without sending Close frame."}]


def test_oversized_message_closes_with_1009(dev):
    with connect(ws_url(dev, "/ws/oversized"), max_size=None) as ws:
        assert ws.recv(timeout=5) == "hello"
        ws.send(b"x" * (32 * 1024 * 1024 + 1))
        with pytest.raises(ConnectionClosed) as caught:
            ws.recv(timeout=10)
    assert caught.value.rcvd.code == 1009
    assert events_once(dev, "/ws/oversized", 1)[0]["type"] == "error"


def test_stopping_dev_closes_every_socket_cleanly(own_dev):
    with contextlib.ExitStack() as stack:
        clients = [stack.enter_context(connect(ws_url(own_dev))) for _ in range(3)]
        for ws in clients:
            assert ws.recv(timeout=5) == "hello"
        code, stderr = own_dev.stop()
        assert code == 0
        assert "Traceback" not in stderr
        assert stderr.count("GET /ws 101") == 3  # logged when each handshake was answered
        for ws in clients:
            with pytest.raises(ConnectionClosed) as caught:
                ws.recv(timeout=5)
            assert caught.value.rcvd is not None and caught.value.rcvd.code == 1012  # Service Restart


def test_the_chatroom_example_over_a_real_port():
    import json

    config = Path(__file__).parent.parent.parent / "examples" / "chatroom"
    proc = DevProcess(config, "--no-reload", "--no-persist")
    try:
        with connect(ws_url(proc, "/websocket")) as ada, connect(ws_url(proc, "/websocket")) as bob:
            assert json.loads(ada.recv(timeout=5))["type"] == "history"
            assert json.loads(bob.recv(timeout=5))["type"] == "history"
            ada.send(json.dumps({"user": "ada", "text": "hi"}))
            assert json.loads(bob.recv(timeout=5))["text"] == "hi"
            assert json.loads(ada.recv(timeout=5))["text"] == "hi"
        code, stderr = proc.stop()
        assert code == 0 and "Traceback" not in stderr
    finally:
        if proc.proc.poll() is None:
            proc.proc.kill()
            proc.proc.wait()
