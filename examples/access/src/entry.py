"""An admin page behind Cloudflare Access; runs unchanged on Cloudflare Python Workers.

GET /        who is signed in (through ctx.access.getIdentity())
GET /admin   only for members of the "admins" group (403 otherwise)
"""

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        access = self.ctx.access
        if access is None:  # no Access application in front of the worker
            return Response("This worker expects Cloudflare Access in front of it.", status=401)
        identity = await access.getIdentity()  # None for a service token
        who = identity.email if identity is not None else "a service token"
        groups = list(identity["groups"]) if identity is not None and "groups" in identity else []
        if request.url.rstrip("/").endswith("/admin"):
            if "admins" not in groups:
                return Response(f"{who} is not an admin", status=403)
            return Response(f"Welcome to the admin page, {who}.\n")
        return Response(f"{__doc__.strip()}\n\nSigned in: {who} (groups: {', '.join(groups) or 'none'})\n")
