from js import Date, HTMLRewriter
from workers import Response, WorkerEntrypoint


class Banner:
    def element(self, element):
        element.prepend("<p><strong>Rewritten by the worker</strong></p>", html=True)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/rewritten"):
            page = await self.env.ASSETS.fetch("https://assets.local/")
            return HTMLRewriter.new().on("body", Banner()).transform(page)
        if "/api/time" in request.url:
            return Response.json({"now_ms": Date.now()})
        return Response("Only /api/* and /rewritten reach this worker.", status=404)
