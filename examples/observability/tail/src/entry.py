"""A tail worker: Cloudflare calls tail() with the trace items of the workers that name it in tail_consumers."""

from workers import Response, WorkerEntrypoint

seen = []  # the last trace items, for GET / (a real tail worker would send them somewhere)


class Default(WorkerEntrypoint):
    async def tail(self, events):
        for event in events:
            request = (event.event or {}).get("request")
            what = f"{request['method']} {request['url']}" if request else ", ".join(event.event or {}) or "event"
            seen.append({"script": event.scriptName, "outcome": event.outcome, "what": what,
                         "logs": [" ".join(map(str, line.message)) for line in event.logs]})
        del seen[:-50]

    async def fetch(self, request):
        return Response.json(seen)
