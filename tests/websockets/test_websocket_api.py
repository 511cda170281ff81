"""The WebSocket API worker code calls, checked against workerd's behaviour and error texts."""

from __future__ import annotations

import asyncio

import pytest

from pyflare.kernel.jserrors import DataCloneError, DOMException
from pyflare.websockets import WebSocketPair
from pyflare.websockets.errors import WebSocketError


def pair():
    return WebSocketPair.new().object_values()


async def settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


def record(ws, *types):
    seen = []
    for kind in types:
        ws.addEventListener(kind, lambda event, kind=kind: seen.append(
            (kind, getattr(event, "data", None) or getattr(event, "code", None))))
    return seen


def test_websocketpair_must_be_built_with_new():
    with pytest.raises(TypeError, match="cannot be invoked without 'new'"):
        WebSocketPair()
    client, server = WebSocketPair.new()  # iterable, as in workerd's own Python test
    assert client.readyState == server.readyState == 1


async def test_send_before_accept_is_refused():
    _, server = pair()
    with pytest.raises(TypeError, match=r"^You must call one of accept\(\) or state.acceptWebSocket\(\) on this "
                                        r"WebSocket before sending messages.$"):
        server.send("x")


async def test_messages_sent_before_accept_wait_for_it_in_order():
    client, server = pair()
    server.accept()
    server.send("one")
    server.send(b"two")
    seen = record(client, "message")
    await settle()
    assert seen == []
    client.accept()
    await settle()
    assert seen == [("message", "one"), ("message", b"two")]


async def test_close_handshake_between_two_accepted_ends():
    client, server = pair()
    client.accept()
    server.accept()
    client_events, server_events = record(client, "close"), record(server, "close")
    client.close(1000, "done")
    assert client.readyState == 2  # CLOSING until the peer's Close arrives
    await settle()
    assert client.readyState == server.readyState == 3  # the server answered the Close itself
    assert client_events == server_events == [("close", 1000)]
    with pytest.raises(TypeError, match=r"^Can't call WebSocket send\(\) after close\(\).$"):
        client.send("late")
    client.close()  # a second close() is ignored


@pytest.mark.parametrize(("code", "reason", "error", "text"), [
    (1005, None, "InvalidAccessError", "Invalid WebSocket close code: 1005."),
    (999, None, "InvalidAccessError", "Invalid WebSocket close code: 999."),
    (None, "why", "InvalidAccessError", "If you specify a WebSocket close reason, you must also specify a code."),
    (1000, "é" * 62, "SyntaxError", "WebSocket close reason must not be longer than 123 bytes when UTF-8 encoded."),
])
async def test_close_arguments_are_checked(code, reason, error, text):
    _, server = pair()
    server.accept()
    with pytest.raises(DOMException) as caught:
        server.close(code, reason)
    assert (caught.value.name, str(caught.value)) == (error, text)


async def test_accept_after_hibernation_or_use_is_refused():
    client, server = pair()
    server.accept()
    server.accept()  # accepting twice is fine
    client._couple(type("Sink", (), {"_receive_message": lambda *a: None})())
    with pytest.raises(TypeError, match=r"^Can't accept\(\) WebSocket that was already used in a response.$"):
        client.accept()


async def test_attachments_are_copies_and_limited_to_16_kib():
    _, server = pair()
    value = {"user": "ada", "rooms": ["a", "b"], "n": 3}
    server.serializeAttachment(value)
    value["user"] = "changed"
    copy = server.deserializeAttachment()
    assert copy == {"user": "ada", "rooms": ["a", "b"], "n": 3}
    assert copy.user == "ada"  # dicts come back with attribute access, like JS objects
    server.serializeAttachment("x" * 16_000)
    with pytest.raises(WebSocketError) as caught:
        server.serializeAttachment("x" * 16_400)
    assert str(caught.value) == ("A WebSocket 'attachment' cannot be larger than 16384 bytes.'attachment' "
                                 "was 16406 bytes.")  # 2 header + 1 tag + 3 length + 16400
    with pytest.raises(DataCloneError):
        server.serializeAttachment(object())
    server.serializeAttachment(None)
    assert server.deserializeAttachment() is None


def test_response_with_a_websocket_must_be_101():
    from pyflare.workers import Response

    client, _ = pair()
    with pytest.raises(ValueError, match=r"^Responses with a WebSocket must have status code 101.$"):
        Response(None, status=200, web_socket=client)
    assert Response(None, status=101, web_socket=client).webSocket is client


async def test_allow_half_open_leaves_the_reply_to_the_worker():
    client, server = pair()
    client.accept()
    server.accept(allowHalfOpen=True)
    states = []
    server.addEventListener("close", lambda event: states.append(server.readyState))
    client.close(1000, "half")
    await settle()
    assert states == [2]  # CLOSING: nothing answered the Close yet
    server.send("one more")  # still allowed: only close() ends the outgoing side
    server.close(1000, "now")
    await settle()
    assert server.readyState == client.readyState == 3


def test_compatibility_date_decides_the_close_behaviours():
    from pyflare.websockets.registry import Settings

    old = Settings.of("2025-11-02", [])
    assert (old.auto_reply_to_close, old.close_reason_limit) == (False, False)
    new = Settings.of("2026-04-07", [])
    assert (new.auto_reply_to_close, new.close_reason_limit) == (True, True)
    flagged = Settings.of("2026-05-01", ["web_socket_manual_reply_to_close"])
    assert flagged.auto_reply_to_close is False


async def test_close_code_is_read_as_a_number_and_none_reason_needs_a_code():
    client, server = WebSocketPair.new().object_values()
    client.accept()
    server.accept()
    client.close("1000")  # workerd reads the int parameter with ToNumber
    with pytest.raises(Exception, match="you must also specify a code"):
        server.close(None, "bye")  # None is undefined for a plain JavaScript object (Pyodide's conversion)
