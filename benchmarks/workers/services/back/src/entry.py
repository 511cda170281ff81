from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("ok")

    async def add(self, a, b):
        return a + b

    async def echo(self, value):
        return value
