"""A notes API on Workers KV; runs unchanged on Cloudflare Python Workers.

GET    /                      usage, and how many times the page was seen (a counter with a TTL)
PUT    /notes/NAME?ttl=SECS   store the body as a note (ttl >= 60; default one day) with metadata
GET    /notes/NAME            the note, its metadata in x-note-* headers
DELETE /notes/NAME            forget it
GET    /notes?prefix=P&cursor=C&limit=N   list notes (one page; follow "cursor" for the next)
"""

from datetime import datetime, timezone
from urllib.parse import parse_qs, urlparse

from workers import Response, WorkerEntrypoint

DAY = 24 * 3600


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = [p for p in url.path.split("/") if p]
        kv = self.env.NOTES

        if not parts:
            views = int(await kv.get("views") or 0) + 1
            await kv.put("views", str(views), expirationTtl=DAY)
            return Response(f"{__doc__.strip()}\n\nviews today: {views}\n")

        if parts[0] != "notes":
            return Response("not found", status=404)

        if len(parts) == 1:
            page = await kv.list(
                prefix="note:" + query.get("prefix", ""),
                limit=int(query.get("limit", "100")),
                cursor=query.get("cursor"),
            )
            body = {
                "notes": [
                    {
                        "name": key.name[len("note:") :],
                        "expires": getattr(key, "expiration", None),
                        "size": key.metadata.size,
                        "saved": key.metadata.saved,
                    }
                    for key in page.keys
                ],
                "complete": page.list_complete,
            }
            if not page.list_complete:
                body["cursor"] = page.cursor
            return Response.json(body)

        key = "note:" + "/".join(parts[1:])
        if request.method == "PUT":
            text = await request.text()
            try:
                await kv.put(
                    key,
                    text,
                    expirationTtl=int(query.get("ttl", DAY)),
                    metadata={
                        "size": len(text),
                        "saved": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    },
                )
            except Exception as exc:  # limits: key length, value size, ttl < 60 ...
                return Response(str(exc), status=400)
            return Response("saved\n", status=201)
        if request.method == "DELETE":
            await kv.delete(key)
            return Response(None, status=204)

        note = await kv.getWithMetadata(key)
        if note.value is None:
            return Response("no such note\n", status=404)
        headers = {"x-note-size": str(note.metadata.size), "x-note-saved": note.metadata.saved}
        return Response(note.value, headers=headers)
