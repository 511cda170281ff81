"""Every binding in one worker: GET / answers once every binding is in env (the start benchmark's first 200)."""

from workers import DurableObject, Response, WorkerEntrypoint, WorkflowEntrypoint

BINDINGS = ("KV", "BUCKET", "DB", "JOBS", "COUNTER", "ORDERS", "SELF", "LIMITER", "INDEX", "LOADER", "ASSETS")


class Counter(DurableObject):
    async def increment(self, by=1):
        count = (await self.ctx.storage.get("count") or 0) + by
        await self.ctx.storage.put("count", count)
        return count


class OrderWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("total")
        async def total():
            return sum(event.payload["items"])

        return await total()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        missing = [name for name in BINDINGS if not hasattr(self.env, name)]
        if missing:
            return Response(f"missing bindings: {', '.join(missing)}", status=500)
        return Response(f"{self.env.GREETING}, every binding")

    async def queue(self, batch):
        for message in batch.messages:
            message.ack()

    async def scheduled(self, controller):
        pass
