from pathlib import Path

from workers import Response, WorkerEntrypoint

CSS = (Path(__file__).parent.parent / "public" / "style.css").read_bytes()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(CSS, headers={"content-type": "text/css; charset=utf-8"})
