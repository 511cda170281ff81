"""The fastest baseline: a raw ASGI app (no framework) returning the same body as the hello worker."""

START = {"type": "http.response.start", "status": 200,
         "headers": [(b"content-type", b"text/plain;charset=UTF-8"), (b"content-length", b"12")]}
BODY = {"type": "http.response.body", "body": b"Hello World!"}


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send(START)
    await send(BODY)
