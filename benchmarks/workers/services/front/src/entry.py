from workers import Response, WorkerEntrypoint


def add(a, b):
    return a + b


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.rsplit("/", 1)[1]
        if path == "plain":  # answered here: the baseline request
            return Response("ok")
        if path == "via-fetch":  # forwarded to the other worker over the service binding
            return await self.env.BACK.fetch(request)
        if path == "via-rpc":
            return Response(str(await self.env.BACK.add(1, 2)))
        if path == "local-call":
            return Response(str(add(1, 2)))
        return Response("ok")
