"""Thumbnails with the Images binding; runs unchanged on Cloudflare Python Workers.

POST /info                  the posted image's format, size in bytes, width and height
POST /thumbnail?size=N      a square N x N WebP thumbnail (cropped to fill, 64..1024, default 256)
GET  /                      this text
"""

from urllib.parse import parse_qs, urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        if request.method != "POST":
            return Response(f"{__doc__.strip()}\n")
        try:
            if url.path == "/info":
                return Response.json(await self.env.IMAGES.info(request.body))
            if url.path == "/thumbnail":
                size = int((parse_qs(url.query).get("size") or ["256"])[0])
                size = max(64, min(size, 1024))
                result = await (self.env.IMAGES.input(request.body)
                                .transform({"width": size, "height": size, "fit": "cover", "gravity": "center"})
                                .output({"format": "image/webp", "quality": 82}))
                return result.response({"headers": {"cache-control": "public, max-age=86400"}})
        except Exception as error:  # ImagesError: not an image, a bad option...
            return Response.json({"error": str(error)}, status=400)
        return Response("Not found", status=404)
