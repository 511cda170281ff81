"""Server-sent events from a Starlette app, with a lifespan, as on Cloudflare's Python Workers."""

import asyncio
from contextlib import asynccontextmanager

import asgi
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route
from workers import WorkerEntrypoint


@asynccontextmanager
async def lifespan(app):
    # Runs around every request (as Cloudflare's adapter runs it); what it yields is request.state.
    yield {"motd": "Welcome to the event stream"}


async def home(request: Request) -> JSONResponse:
    visits = request.scope["env"].VISITS
    count = int(await visits.get("count") or 0) + 1
    await visits.put("count", str(count))
    return JSONResponse({"motd": request.state.motd, "visits": count})


async def events(request: Request) -> StreamingResponse:
    count = int(request.query_params.get("count", "5"))
    interval = float(request.query_params.get("interval", "1"))

    async def stream():
        for tick in range(count):
            yield f"event: tick\ndata: {tick}\n\n"  # each event reaches the client as it is sent
            if tick < count - 1:
                await asyncio.sleep(interval)

    return StreamingResponse(stream(), media_type="text/event-stream")


app = Starlette(routes=[Route("/", home), Route("/events", events)], lifespan=lifespan)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await asgi.fetch(app, request.js_object, self.env, self.ctx)
