"""Records a page view per request in Workers Analytics Engine; runs unchanged on Cloudflare Python Workers.

Every GET writes one data point: blob1 = path, blob2 = country, blob3 = user agent family, double1 = 1 (a
view), double2 = the response size in bytes, index1 = path (the sampling key).
"""

from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path or "/"
        body = f"{__doc__.strip()}\n\nYou are on {path}\n"
        cf = getattr(request, "cf", None) or {}
        country = (cf.get("country") if isinstance(cf, dict) else getattr(cf, "country", None)) or "XX"
        agent = (request.headers.get("user-agent") or "").split("/")[0] or "unknown"
        self.env.VIEWS.writeDataPoint({
            "blobs": [path, country, agent],
            "doubles": [1, len(body.encode())],
            "indexes": [path],
        })
        return Response(body)
