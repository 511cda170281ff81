"""Answers questions with Llama 3.1 on Workers AI; runs unchanged on Cloudflare Python Workers.

GET /             usage
GET /ask?q=...    the model's answer as {"answer": "..."}; 502 when the model cannot be reached
"""

from urllib.parse import parse_qs, urlparse

from workers import Response, WorkerEntrypoint

MODEL = "@cf/meta/llama-3.1-8b-instruct"


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        question = (parse_qs(url.query).get("q") or [""])[0].strip()
        if url.path != "/ask" or not question:
            return Response(f"{__doc__.strip()}\n")
        try:
            result = await self.env.AI.run(MODEL, {
                "messages": [
                    {"role": "system", "content": "You are a concise assistant."},
                    {"role": "user", "content": question},
                ],
                "max_tokens": 256,
            })
        except Exception as error:
            return Response.json({"error": str(error)}, status=502)
        return Response.json({"answer": result.response})
