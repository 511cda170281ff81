from urllib.parse import parse_qs, urljoin, urlparse

from greeting import greet
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        if url.path == "/":
            name = parse_qs(url.query).get("name", ["world"])[0]
            return Response(greet(self.env.GREETING, name))
        if url.path == "/json":
            return Response.json({
                "greeting": self.env.GREETING,
                "has_token": bool(self.env.API_TOKEN),
                "colo": request.cf.colo,
            })
        if url.path == "/echo" and request.method == "POST":
            return Response(await request.text(), headers={"content-type": request.headers.get("content-type", "text/plain")})
        if url.path == "/old":
            return Response.redirect(urljoin(request.url, "/"), 301)  # an absolute URL, as Cloudflare needs
        return Response("Not found", status=404)

    async def scheduled(self, controller, env, ctx):
        print(f"cron {controller.cron} ran at {controller.scheduledTime}")
