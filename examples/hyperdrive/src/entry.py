"""A guestbook in Postgres through Hyperdrive; runs unchanged on Cloudflare Python Workers.

GET  /           usage and where the database is (no password shown)
GET  /entries    every entry, newest first, as JSON
POST /entries    add the body as an entry
"""

import pg8000
from workers import Response, WorkerEntrypoint

SCHEMA = "CREATE TABLE IF NOT EXISTS guestbook (id SERIAL PRIMARY KEY, message TEXT NOT NULL, at TIMESTAMPTZ DEFAULT now())"


class Default(WorkerEntrypoint):
    def connect(self):
        db = self.env.DB  # Hyperdrive: the fields a driver needs
        return pg8000.connect(host=db.host, port=int(db.port), user=db.user, password=db.password,
                              database=db.database)

    async def fetch(self, request):
        path = request.url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        if path != "entries":
            db = self.env.DB
            return Response(f"{__doc__.strip()}\n\ndatabase: {db.user}@{db.host}:{db.port}/{db.database}\n")
        conn = self.connect()
        try:
            cur = conn.cursor()
            cur.execute(SCHEMA)
            if request.method == "POST":
                message = (await request.text()).strip()
                if not message:
                    return Response.json({"error": "empty message"}, status=400)
                cur.execute("INSERT INTO guestbook (message) VALUES (%s) RETURNING id", (message,))
                [entry_id] = cur.fetchone()
                conn.commit()
                return Response.json({"id": entry_id, "message": message}, status=201)
            conn.commit()
            cur.execute("SELECT id, message FROM guestbook ORDER BY id DESC")
            return Response.json([{"id": i, "message": m} for i, m in cur.fetchall()])
        finally:
            conn.close()
