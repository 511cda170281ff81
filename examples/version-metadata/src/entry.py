"""Which version of this worker answered; runs unchanged on Cloudflare Python Workers.

GET /          the version's id, tag and upload time as JSON, and an x-worker-version header
"""

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        version = self.env.CF_VERSION_METADATA
        body = {"id": version.id, "tag": version.tag, "timestamp": version.timestamp}
        return Response.json(body, headers={"x-worker-version": version.id})
