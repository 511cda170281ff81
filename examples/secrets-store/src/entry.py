"""Signs webhook payloads with a key from a Secrets Store; runs unchanged on Cloudflare Python Workers.

GET  /        whether the signing key is set
POST /sign    the body's HMAC-SHA256 with the key, as {"signature": "<hex>"}; 503 while the key is missing
"""

import hashlib
import hmac

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def signing_key(self):
        try:
            return await self.env.SIGNING_KEY.get()
        except Exception:  # the secret does not exist (yet) in the store
            return None

    async def fetch(self, request):
        key = await self.signing_key()
        if request.method == "GET":
            state = "set" if key else "missing: pyflare secrets-store secret create ... --name webhook-signing-key"
            return Response(f"{__doc__.strip()}\n\nsigning key: {state}\n")
        if key is None:
            return Response.json({"error": "signing key not configured"}, status=503)
        body = await request.text()
        signature = hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()
        return Response.json({"signature": signature})
