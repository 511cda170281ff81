"""The baseline for bench_websockets: a bare ASGI app that broadcasts every message to every socket, awaiting
each send in turn as a hand-written broadcast loop does."""

rooms: dict[str, set] = {}


async def app(scope, receive, send):
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    if scope["type"] != "websocket":
        return
    await receive()
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": "welcome"})
    room = rooms.setdefault(scope["path"], set())
    room.add(send)
    try:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            for other in list(room):
                await other({"type": "websocket.send", "text": message.get("text"), "bytes": message.get("bytes")})
    finally:
        room.discard(send)
