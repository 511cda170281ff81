"""The baseline: a bare Starlette app returning the same body as the hello worker."""

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def hello(request):
    return PlainTextResponse("Hello World!")


app = Starlette(routes=[Route("/{path:path}", hello)])
