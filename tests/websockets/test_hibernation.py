"""Durable Object WebSocket hibernation: sockets outlive the instance, attachments and tags survive,
auto-responses never wake the object, and every limit fails with workerd's text."""

from __future__ import annotations

import json
import sys

import pytest
from httpx_ws import WebSocketDisconnect
from tests.websockets.conftest import ROOM_CONFIG, ROOM_WORKER

from pyflare.kernel.jserrors import RangeError
from pyflare.testing import evict_durable_object, run_in_durable_object
from pyflare.websockets.errors import WebSocketError
from pyflare.workers.js import WebSocketRequestResponsePair


@pytest.fixture
async def rooms(start_worker):
    return await start_worker(ROOM_CONFIG, {"src/entry.py": ROOM_WORKER}, clock="manual")


def lobby(mf):
    return mf.env.ROOM.getByName("lobby")


def is_live(mf) -> bool:
    stub = lobby(mf)
    return stub._host.layer.live(stub._address) is not None


async def worker_module(mf):
    """The worker's module as loaded (its globals: LOG, GATE...)."""
    return await run_in_durable_object(lobby(mf), lambda obj, ctx: sys.modules[type(obj).__module__])


async def log(mf) -> list:
    return list((await worker_module(mf)).LOG)


async def test_broadcast_reaches_every_socket(rooms):
    async with rooms.websocket("/?name=ada") as ada, rooms.websocket("/?name=bob") as bob:
        assert await ada.receive_text() == "welcome ada"
        assert await bob.receive_text() == "welcome bob"
        await ada.send_text("hello")
        assert await ada.receive_text() == "ada: hello"
        assert await bob.receive_text() == "ada: hello"


async def test_after_eviction_the_next_message_constructs_the_object_and_sockets_remain(rooms):
    async with rooms.websocket("/?name=ada") as ada, rooms.websocket("/?name=bob") as bob:
        await ada.receive_text(), await bob.receive_text()
        assert evict_durable_object(lobby(rooms))
        assert not is_live(rooms)  # the instance is gone; the sockets are still open
        await bob.send_text("who")
        assert json.loads(await bob.receive_text()) == ["bob", "ada"]  # newest first, attachments intact
        assert is_live(rooms)
        await bob.send_text("tags")
        assert json.loads(await bob.receive_text()) == ["bob", "everyone"]
        await bob.send_text("still here")
        assert await ada.receive_text() == "bob: still here"
    assert (await log(rooms)).count("constructed") == 2


async def test_idle_objects_hibernate_on_the_clock(rooms):
    async with rooms.websocket("/?name=ada") as ada:
        await ada.receive_text()
        await rooms.idle()
        rooms.clock.advance(9)
        assert is_live(rooms)
        rooms.clock.advance(1)  # 10 s without an event: workerd frees the actor, keeping its sockets
        assert not is_live(rooms)
        await ada.send_text("who")
        assert json.loads(await ada.receive_text()) == ["ada"]


async def test_auto_response_is_answered_without_waking_the_object(rooms):
    async with rooms.websocket("/?name=ada") as ada:
        await ada.receive_text()
        evict_durable_object(lobby(rooms))
        await ada.send_text("ping")
        assert await ada.receive_text() == "pong"
        assert not is_live(rooms)
        await ada.send_text("pinged")
        assert await ada.receive_text() == "True"  # getWebSocketAutoResponseTimestamp saw it
    assert (await log(rooms)).count("constructed") == 2


async def test_binary_messages_arrive_as_an_arraybuffer(rooms):
    async with rooms.websocket("/?name=ada") as ada:
        await ada.receive_text()
        await ada.send_bytes(b"\x00\xff")
        assert await ada.receive_bytes() == b"got \x00\xff"


async def test_client_close_calls_webSocketClose_and_gets_the_reply(rooms):
    async with rooms.websocket("/?name=ada") as ada:
        await ada.receive_text()
        await ada.close(4001, "leaving")
    await rooms.idle()
    entries = await log(rooms)
    assert "close ada 4001 leaving True" in entries
    assert await run_in_durable_object(lobby(rooms), lambda obj, ctx: len(ctx.getWebSockets())) == 0


async def test_oversized_message_calls_webSocketError(start_worker):
    worker = ROOM_WORKER.replace("class Default", '''
    async def webSocketError(self, ws, error):
        LOG.append("error " + str(error))

class Default''')
    mf = await start_worker(ROOM_CONFIG, {"src/entry.py": worker}, clock="manual")
    async with mf.websocket("/?name=ada") as ada:
        await ada.receive_text()
        await ada.send_bytes(b"x" * (32 * 1024 * 1024 + 1))
        with pytest.raises(WebSocketDisconnect) as caught:
            await ada.receive_text()
    assert caught.value.code == 1009
    await mf.idle()
    assert any(line.startswith("error WebSocket protocol error; statusCode = 1009") for line in await log(mf))


def new_pair():
    from pyflare.workers.js import WebSocketPair

    return WebSocketPair.new().object_values()


@pytest.mark.parametrize(("call", "error", "text"), [
    (lambda ctx, s: ctx.acceptWebSocket(s, [str(i) for i in range(11)]), WebSocketError,
     "a Hibernatable WebSocket cannot have more than 10 tags"),
    (lambda ctx, s: ctx.acceptWebSocket(s, ["x" * 257]), WebSocketError,
     '"' + "x" * 257 + '" is longer than the max tag length (256 characters).'),
    (lambda ctx, s: (s.accept(), ctx.acceptWebSocket(s)), WebSocketError,
     "Cannot call `acceptWebSocket()` if the WebSocket was already accepted via `accept()`"),
    (lambda ctx, s: ctx.getTags(s), WebSocketError,
     "you must call 'acceptWebSocket()' before attempting to access the tags of a WebSocket."),
    (lambda ctx, s: (s.accept(), ctx.getTags(s)), WebSocketError, "only hibernatable websockets can have tags."),
    (lambda ctx, s: ctx.setHibernatableWebSocketEventTimeout(604_800_001), WebSocketError,
     "Event timeout should not exceed 604800000 ms."),
    (lambda ctx, s: ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair.new("p" * 2049, "q")),
     RangeError, "Request cannot be larger than 2048 bytes. A request of size 2049 was provided."),
    (lambda ctx, s: ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair.new("p", "é" * 1025)),
     RangeError, "Response cannot be larger than 2048 bytes. A response of size 2050 was provided."),
])
async def test_hibernation_limits_fail_with_workerds_text(rooms, call, error, text):
    def attempt(obj, ctx):
        _, server = new_pair()
        with pytest.raises(error) as caught:
            call(ctx, server)
        return str(caught.value)

    assert await run_in_durable_object(lobby(rooms), attempt) == text


async def test_duplicate_tags_are_ignored_and_settings_read_back(rooms):
    def check(obj, ctx):
        from pyflare.workers.js import WebSocketRequestResponsePair

        _, server = new_pair()
        ctx.acceptWebSocket(server, ["a", "b", "a"] + ["a"] * 20)
        ctx.setWebSocketAutoResponse(WebSocketRequestResponsePair.new("p", "q"))
        ctx.setHibernatableWebSocketEventTimeout(5000)
        pair = ctx.getWebSocketAutoResponse()
        result = (ctx.getTags(server), pair.request, pair.response, ctx.getHibernatableWebSocketEventTimeout(),
                  len(ctx.getWebSockets("a")), len(ctx.getWebSockets("nope")))
        ctx.setWebSocketAutoResponse()
        ctx.setHibernatableWebSocketEventTimeout(0)
        return result + (ctx.getWebSocketAutoResponse(), ctx.getHibernatableWebSocketEventTimeout())

    assert await run_in_durable_object(lobby(rooms), check) == (["a", "b"], "p", "q", 5000, 1, 0, None, None)


async def test_the_socket_stub_fetch_returns_can_be_accepted_by_the_caller(rooms):
    import asyncio

    response = await lobby(rooms).fetch("http://do/?name=caller", headers={"Upgrade": "websocket"})
    assert response.status == 101
    ws = response.web_socket
    received: asyncio.Queue = asyncio.Queue()
    ws.addEventListener("message", lambda event: received.put_nowait(event.data))
    ws.accept()
    assert await asyncio.wait_for(received.get(), 5) == "welcome caller"
    ws.send("who")
    assert json.loads(await asyncio.wait_for(received.get(), 5)) == ["caller"]
    closed: asyncio.Future = asyncio.get_running_loop().create_future()
    ws.addEventListener("close", lambda event: closed.set_result((event.code, event.reason)))
    ws.close(1000, "done")
    assert await asyncio.wait_for(closed, 5) == (1000, "done")  # webSocketClose answered with ws.close()


async def test_an_event_over_the_timeout_resets_the_object(start_worker):
    import asyncio

    worker = ROOM_WORKER.replace('        if message == "who":', '''        if message == "limit":
            self.ctx.setHibernatableWebSocketEventTimeout(1000)  # applies to the events after this one
            ws.send("limited")
            return
        if message == "hang":
            LOG.append("hanging")
            await asyncio.Event().wait()
        if message == "who":''').replace("import json\n", "import asyncio\nimport json\n", 1)
    mf = await start_worker(ROOM_CONFIG, {"src/entry.py": worker}, clock="manual")
    async with mf.websocket("/?name=ada") as ada:
        await ada.receive_text()
        await ada.send_text("limit")
        assert await ada.receive_text() == "limited"
        await ada.send_text("hang")
        await ada.send_text("who")  # waits behind the hanging event
        while "hanging" not in await log(mf):
            await asyncio.sleep(0)
        mf.clock.advance(1)  # 1 s on the clock: "Actor exceeded event execution time", the object is reset
        assert json.loads(await ada.receive_text()) == ["ada"]  # the socket stayed; a new instance answered
    assert (await log(mf)).count("constructed") == 2


async def test_sockets_accepted_with_accept_keep_their_object_alive(start_worker):
    worker = ROOM_WORKER.replace("self.ctx.acceptWebSocket(server, [name, \"everyone\"])", "server.accept()")
    mf = await start_worker(ROOM_CONFIG, {"src/entry.py": worker}, clock="manual")
    async with mf.websocket("/?name=ada") as ada:
        assert await ada.receive_text() == "welcome ada"
        await mf.idle()
        mf.clock.advance(60)
        assert is_live(mf)  # an open accept()-ed socket holds the object
        evict_durable_object(lobby(mf))  # a reset drops the connection
        with pytest.raises(WebSocketDisconnect) as caught:
            await ada.receive_text()
        assert caught.value.code == 1011


async def test_closing_pyflare_closes_sockets_with_1012(rooms):
    async with rooms.websocket("/?name=ada") as ada:
        await ada.receive_text()
        await rooms.close()
        with pytest.raises(WebSocketDisconnect) as caught:
            await ada.receive_text()
    assert caught.value.code == 1012


async def test_legacy_on_handler_names_are_called(start_worker):
    worker = ROOM_WORKER.replace("async def webSocketMessage(self, ws, message):",
                                 "async def on_webSocketMessage(self, ws, message):")
    mf = await start_worker(ROOM_CONFIG, {"src/entry.py": worker}, clock="manual")
    async with mf.websocket("/?name=ada") as ada:
        await ada.receive_text()
        await ada.send_text("who")
        assert json.loads(await ada.receive_text()) == ["ada"]


async def test_a_busy_object_makes_the_connection_stop_reading(start_worker):
    import asyncio

    worker = ROOM_WORKER.replace('        if message == "who":', '''        if message == "wait":
            await GATE.wait()
            return
        if message == "who":''').replace("LOG = []", "import asyncio\nLOG = []\nGATE = asyncio.Event()")
    mf = await start_worker(ROOM_CONFIG, {"src/entry.py": worker}, clock="manual")
    async with mf.websocket("/?name=ada") as ada:
        await ada.receive_text()
        await ada.send_text("wait")
        for n in range(200):
            await ada.send_text(f"m{n}")
        for _ in range(50):
            await asyncio.sleep(0)
        socket = await run_in_durable_object(lobby(mf), lambda obj, ctx: ctx.getWebSockets()[0])
        assert 0 < len(socket._hibernation.events) <= 64  # the rest waits unread, as TCP would hold it
        (await worker_module(mf)).GATE.set()
        await ada.send_text("who")
        replies = [await ada.receive_text() for _ in range(201)]
        assert replies[-1] == '["ada"]' and replies[0] == "ada: m0"
