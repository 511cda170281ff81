"""Queues example: POST /jobs enqueues, queue() processes (and fails on purpose for "fail": true),
the dead letter queue's consumer records what gave up, and a cron enqueues a report job.

    curl -X POST localhost:8787/jobs -d '{"task": "resize", "id": 1}'
    curl -X POST localhost:8787/jobs -d '{"task": "explode", "id": 2, "fail": true}'
    curl localhost:8787/results          # done and dead jobs, a few seconds later
    curl "localhost:8787/cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*"   # run the cron now
    (or, with pyflare dev --test-scheduled: curl "localhost:8787/__scheduled?cron=*/5+*+*+*+*")
"""

import json

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("://", 1)[-1].split("/", 1)[-1].split("?")[0]
        if request.method == "POST" and path == "jobs":
            job = await request.json()
            await self.env.JOBS.send(job)
            return Response.json({"queued": job}, status=202)
        if path == "results":
            listed = await self.env.RESULTS.list()
            out = {}
            for key in listed.keys:
                out[key.name] = json.loads(await self.env.RESULTS.get(key.name))
            return Response.json(out)
        return Response("POST /jobs with a JSON body, GET /results\n")

    async def queue(self, batch, env, ctx):
        for message in batch.messages:
            job = message.body
            if batch.queue == "jobs-dlq":
                await self.env.RESULTS.put(f"dead:{message.id}", json.dumps({"job": job}))
                message.ack()
                continue
            if job.get("fail"):
                # Retried after retry_delay; after max_retries it moves to jobs-dlq with the same id.
                message.retry()
                continue
            await self.env.RESULTS.put(
                f"done:{message.id}", json.dumps({"job": job, "attempts": message.attempts})
            )
            message.ack()

    async def scheduled(self, controller, env, ctx):
        await self.env.JOBS.send({"task": "report", "scheduledTime": controller.scheduledTime})
