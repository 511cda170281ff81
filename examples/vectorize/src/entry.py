"""Semantic search over documents with Vectorize; runs unchanged on Cloudflare Python Workers.

POST   /docs                  store {"id", "text", "category"?} with its embedding (upsert: a new text replaces it)
GET    /search?q=TEXT&category=C&k=N   the N (default 3) documents nearest in meaning, optionally in one category
GET    /docs/ID               the stored document
DELETE /docs/ID               forget it
GET    /                      this help and the index's size

The embeddings are hand-made so the example needs no model: each of 12 dimensions counts the words of one
topic (a real worker would call Workers AI, e.g. @cf/baai/bge-base-en-v1.5 with 768 dimensions).
"""

import json
import re
from urllib.parse import parse_qs, urlparse

from workers import Response, WorkerEntrypoint

TOPICS = [
    {"cat", "cats", "kitten", "kittens", "purr"},
    {"dog", "dogs", "puppy", "bark", "leash"},
    {"fish", "food", "eat", "eats", "dinner", "meal"},
    {"python", "code", "function", "bug", "program"},
    {"test", "tests", "pytest", "assert"},
    {"rain", "storm", "umbrella", "wet"},
    {"sun", "sunny", "summer", "warm"},
    {"cloud", "clouds", "server", "servers", "deploy"},
    {"song", "music", "sing", "melody"},
    {"guitar", "drum", "drums", "piano"},
    {"train", "bus", "ticket", "station"},
    {"book", "books", "read", "library"},
]


def embed(text):
    """A 12-dimension embedding: how many words of each topic the text has."""
    words = re.findall(r"[a-z]+", text.lower())
    return [float(sum(word in topic for word in words)) for topic in TOPICS]


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = [p for p in url.path.split("/") if p]
        index = self.env.DOCS

        if not parts:
            info = await index.describe()
            return Response(f"{__doc__.strip()}\n\ndocuments: {info.vectorCount}\n")

        if parts == ["docs"] and request.method == "POST":
            doc = json.loads(await request.text())
            if not isinstance(doc.get("id"), str) or not isinstance(doc.get("text"), str):
                return Response.json({"error": 'send {"id": "...", "text": "..."}'}, status=400)
            metadata = {"text": doc["text"], "category": doc.get("category", "general")}
            result = await index.upsert([{"id": doc["id"], "values": embed(doc["text"]), "metadata": metadata}])
            return Response.json({"id": doc["id"], "mutationId": result.mutationId}, status=201)

        if parts == ["search"]:
            options = {"topK": int(query.get("k", "3")), "returnMetadata": "all"}
            if "category" in query:
                options["filter"] = {"category": query["category"]}
            result = await index.query(embed(query.get("q", "")), options)
            return Response.json({"results": [
                {"id": m.id, "score": round(m.score, 4), "text": m.metadata.text, "category": m.metadata.category}
                for m in result.matches if m.score > 0
            ]})

        if len(parts) == 2 and parts[0] == "docs":
            if request.method == "DELETE":
                await index.deleteByIds([parts[1]])
                return Response(None, status=204)
            found = await index.getByIds([parts[1]])
            if not found:
                return Response.json({"error": "no such document"}, status=404)
            return Response.json({"id": found[0].id, **found[0].metadata})

        return Response("not found", status=404)
