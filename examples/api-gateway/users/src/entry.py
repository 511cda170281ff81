"""The users service: profiles over fetch, and authenticate(token) for the gateway over RPC."""

from workers import Response, WorkerEntrypoint

PROFILES = {
    "alice": {"id": "alice", "name": "Alice Liddell", "plan": "pro"},
    "bob": {"id": "bob", "name": "Bob Ross", "plan": "free"},
}


class Default(WorkerEntrypoint):
    async def authenticate(self, token):
        """The user id a token belongs to, or None."""
        return self.env.TOKENS.get(token)

    async def fetch(self, request):
        caller = request.headers.get("x-user-id")
        user_id = request.url.rstrip("/").rsplit("/", 1)[1]
        if user_id == "me":
            user_id = caller
        profile = PROFILES.get(user_id)
        if profile is None:
            return Response.json({"error": "no such user"}, status=404)
        return Response.json({**profile, "request_id": request.headers.get("x-request-id")})
