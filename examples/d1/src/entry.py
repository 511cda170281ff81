"""A small notes API on D1 (runs unchanged on Cloudflare Python Workers).

    GET  /                 this help
    GET  /notes            all notes with their tags (?tag=x to filter)
    POST /notes            {"body": "...", "tags": ["a", "b"]} -> the new note (one atomic batch)
    GET  /notes/<id>       one note, 404 if missing
    DELETE /notes/<id>     delete a note (its tags go with it: ON DELETE CASCADE) -> {"deleted": true}
"""

import json
from urllib.parse import parse_qs, urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        parts = [p for p in url.path.split("/") if p]
        try:
            if not parts:
                return Response(__doc__)
            if parts == ["notes"] and request.method == "GET":
                tag = parse_qs(url.query).get("tag", [None])[0]
                return Response.json(await self.list_notes(tag))
            if parts == ["notes"] and request.method == "POST":
                return await self.create_note(await request.json())
            if len(parts) == 2 and parts[0] == "notes" and parts[1].isdigit():
                note_id = int(parts[1])
                if request.method == "DELETE":
                    result = await self.env.DB.prepare("DELETE FROM notes WHERE id = ?").bind(note_id).run()
                    return Response.json({"deleted": result.meta.changes > 0})
                note = await self.env.DB.prepare("SELECT * FROM notes WHERE id = ?").bind(note_id).first()
                if note is None:
                    return Response.json({"error": "not found"}, status=404)
                return Response.json(note)
            return Response.json({"error": "not found"}, status=404)
        except Exception as exc:  # D1 errors carry D1's message, e.g. "D1_ERROR: no such table: notes: SQLITE_ERROR"
            if "no such table" in str(exc):
                return Response.json({"error": str(exc), "hint": "run `pyflare d1 migrations apply DB`"}, status=503)
            raise

    async def list_notes(self, tag):
        sql = (
            "SELECT n.id, n.body, n.created_at, json_group_array(t.tag) FILTER (WHERE t.tag IS NOT NULL) AS tags"
            " FROM notes n LEFT JOIN tags t ON t.note_id = n.id"
        )
        if tag:
            sql += " WHERE n.id IN (SELECT note_id FROM tags WHERE tag = ?)"
        sql += " GROUP BY n.id ORDER BY n.id"
        statement = self.env.DB.prepare(sql)
        rows = await (statement.bind(tag) if tag else statement).all()
        return [dict(row, tags=json.loads(row["tags"])) for row in rows.results]

    async def create_note(self, data):
        body = (data or {}).get("body")
        if not isinstance(body, str) or not body:
            return Response.json({"error": "body is required"}, status=400)
        db = self.env.DB
        inserted = await db.prepare("INSERT INTO notes (body) VALUES (?) RETURNING id, body, created_at").bind(body).first()
        tags = [t for t in (data.get("tags") or []) if isinstance(t, str)]
        if tags:
            await db.batch([db.prepare("INSERT OR IGNORE INTO tags (note_id, tag) VALUES (?, ?)").bind(inserted["id"], t)
                            for t in tags])
        return Response.json(dict(inserted, tags=tags), status=201)
