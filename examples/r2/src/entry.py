"""R2 example: upload, download (with Range support) and list with a delimiter.

    PUT    /files/<key>        upload the request body (Content-Type is kept)
    GET    /files/<key>        download; honours Range (one range: 206; past the end: 416; several: the
                               whole object, 200), If-None-Match, If-Modified-Since
    HEAD   /files/<key>        metadata only
    DELETE /files/<key>        delete
    GET    /list?prefix=a/     list one "folder" level: objects and sub-prefixes
"""

from urllib.parse import parse_qs, unquote, urlsplit

from workers import Headers, Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlsplit(request.url)
        bucket = self.env.BUCKET
        if url.path == "/list":
            query = parse_qs(url.query)
            listed = await bucket.list(
                prefix=query.get("prefix", [""])[0],
                delimiter="/",
                cursor=query.get("cursor", [None])[0],
                include=["httpMetadata"],
            )
            return Response.json({
                "objects": [
                    {"key": o.key, "size": o.size, "etag": o.etag, "uploaded": o.uploaded.isoformat(),
                     "contentType": o.httpMetadata.get("contentType")}
                    for o in listed.objects
                ],
                "folders": listed.delimitedPrefixes,
                "cursor": listed.get("cursor"),
            })
        if not url.path.startswith("/files/"):
            return Response("try PUT /files/hello.txt, GET /files/hello.txt, GET /list\n", status=404)
        key = unquote(url.path[len("/files/"):])

        if request.method == "PUT":
            obj = await bucket.put(key, request.body, httpMetadata=request.headers)
            return Response.json({"key": obj.key, "size": obj.size, "etag": obj.etag}, status=201)
        if request.method == "DELETE":
            await bucket.delete(key)
            return Response(None, status=204)
        if request.method == "HEAD":
            obj = await bucket.head(key)
            if obj is None:
                return Response(None, status=404)
            headers = Headers({"etag": obj.httpEtag, "content-length": str(obj.size)})
            obj.writeHttpMetadata(headers)
            return Response(None, headers=headers)

        # GET: ranges and conditionals come straight from the request headers. Like Cloudflare's own
        # file serving, a request for several ranges gets the whole object (200), and a range that starts
        # past the end gets 416 with the object's size.
        ranged = "," not in (request.headers.get("range") or ",")
        try:
            obj = await bucket.get(key, range=request.headers if ranged else None, onlyIf=request.headers)
        except Exception as error:
            if "(10039)" not in str(error):  # R2's "The requested range is not satisfiable (10039)"
                raise
            size = (await bucket.head(key)).size
            return Response("range not satisfiable\n", status=416, headers={"content-range": f"bytes */{size}"})
        if obj is None:
            return Response("not found\n", status=404)
        headers = Headers({"etag": obj.httpEtag, "accept-ranges": "bytes"})
        obj.writeHttpMetadata(headers)
        if not hasattr(obj, "body"):  # a precondition failed: metadata only
            return Response(None, status=304, headers=headers)
        offset, length = obj.range["offset"], obj.range["length"]
        headers.set("content-length", str(length))
        if ranged:
            headers.set("content-range", f"bytes {offset}-{offset + length - 1}/{obj.size}")
            return Response(obj.body, status=206, headers=headers)
        return Response(obj.body, headers=headers)
