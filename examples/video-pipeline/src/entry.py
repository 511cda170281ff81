"""The video pipeline of the seeds, in Python.

POST /videos?filename=clip.mp4   upload a video (the body); large ones go to R2 in multipart parts
GET  /videos/<task id>           the task row and its workflow's status
GET  /videos?status=ready        tasks by status (uses idx_tasks_status)

Each upload gets a row in video_processing_tasks and a VideoProcessingWorkflow instance (same id). The
workflow validates the upload, makes a thumbnail (retried with exponential backoff, as the seeds configure)
and marks the row ready, or failed with the error. Every state change is sent to the video-events queue;
its consumer records the events, and events it cannot handle end in video-events-dlq.
"""

import hashlib
import json
import time
import uuid
from urllib.parse import parse_qs, urlparse

from workers import Response, WorkerEntrypoint, WorkflowEntrypoint
from workers.workflows import NonRetryableError

VIDEO_TYPES = {".mp4": "video/mp4", ".mov": "video/quicktime", ".avi": "video/x-msvideo", ".mkv": "video/x-matroska"}
MAX_SIZE = 5 * 1024**3  # the seeds' upload limit: 5 GB


def now_ms():
    return int(time.time() * 1000)


async def set_status(db, task_id, status, **fields):
    columns = ", ".join(f"{name} = ?" for name in fields)
    sql = f"UPDATE video_processing_tasks SET status = ?, updated_at = ?{', ' + columns if columns else ''} WHERE id = ?"
    await db.prepare(sql).bind(status, now_ms(), *fields.values(), task_id).run()


class VideoProcessingWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        task_id = event.payload["taskId"]
        key = event.payload["key"]
        env = self.env

        @step.do(config={"retries": {"limit": 2, "delay": "5 seconds", "backoff": "constant"}})
        async def validate_video():
            head = await env.STORAGE.head(key)
            if head is None:
                raise NonRetryableError(f"video {key} not found in R2")
            content_type = (head.httpMetadata or {}).get("contentType", "")
            if not content_type.startswith("video/") or head.size == 0:
                raise NonRetryableError(f"{key} is not a video ({content_type or 'no content type'}, {head.size} bytes)")
            await set_status(env.DB, task_id, "processing")
            return {"size": head.size, "contentType": content_type}

        # The seeds' retry policy: three retries, 30 seconds apart, doubling.
        @step.do(config={"retries": {"limit": 3, "delay": "30 seconds", "backoff": "exponential"},
                         "timeout": "5 minutes"})
        async def generate_thumbnails(validate_video, ctx):
            if ctx["attempt"] > 1:
                await env.DB.prepare("UPDATE video_processing_tasks SET retry_count = ?, updated_at = ? WHERE id = ?") \
                    .bind(ctx["attempt"] - 1, now_ms(), task_id).run()
            head = await env.STORAGE.get(key, range={"offset": 0, "length": 65536})
            sample = await head.arrayBuffer()
            thumbnail_key = f"thumbnails/{task_id}.jpg"
            # A stand-in for real frame extraction: a small image derived from the first 64 KiB.
            await env.STORAGE.put(thumbnail_key, hashlib.sha256(bytes(sample)).digest() * 16,
                                  httpMetadata={"contentType": "image/jpeg"})
            return [thumbnail_key]

        @step.do()
        async def update_database(validate_video, generate_thumbnails):
            metadata = {**event.payload.get("metadata", {}), **validate_video, "thumbnails": generate_thumbnails}
            await set_status(env.DB, task_id, "ready", metadata=json.dumps(metadata), error_message=None)
            await env.EVENTS.send({"type": "video.ready", "taskId": task_id, "thumbnail": generate_thumbnails[0]})
            return {"taskId": task_id, "status": "ready"}

        try:
            return await update_database()
        except Exception as exc:
            message = str(exc)

            @step.do()
            async def mark_failed():
                await set_status(env.DB, task_id, "failed", error_message=message)
                await env.EVENTS.send({"type": "video.failed", "taskId": task_id, "error": message})

            await mark_failed()
            raise


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        parts = [p for p in url.path.split("/") if p]
        if parts == ["videos"] and request.method == "POST":
            return await self.upload(request, parse_qs(url.query))
        if parts == ["videos"]:
            status = parse_qs(url.query).get("status", ["pending"])[0]
            rows = await self.env.DB.prepare(
                "SELECT id, status, video_key, retry_count FROM video_processing_tasks WHERE status = ? "
                "ORDER BY created_at DESC").bind(status).all()
            return Response.json(rows.results)
        if len(parts) == 2 and parts[0] == "videos":
            return await self.describe(parts[1])
        return Response("POST /videos?filename=clip.mp4 with the video as the body; GET /videos/<id>\n")

    async def upload(self, request, query):
        filename = query.get("filename", [""])[0]
        extension = filename[filename.rfind("."):].lower() if "." in filename else ""
        if extension not in VIDEO_TYPES:
            return Response.json({"error": f"unsupported file {filename!r}: use {', '.join(VIDEO_TYPES)}"}, status=400)
        size = int(request.headers.get("content-length") or 0)
        if size > MAX_SIZE:
            return Response.json({"error": "videos are limited to 5 GB"}, status=413)
        task_id = str(uuid.uuid4())
        key = f"uploads/{task_id}-{filename}"
        http_metadata = {"contentType": VIDEO_TYPES[extension]}
        part_size = int(self.env.PART_SIZE)
        if size > part_size:
            parts = await self.multipart_upload(request, key, http_metadata, part_size)
        else:
            await self.env.STORAGE.put(key, await request.bytes(), httpMetadata=http_metadata)
            parts = 1
        created = now_ms()
        metadata = {"filename": filename, "parts": parts}
        await self.env.DB.prepare(
            "INSERT INTO video_processing_tasks (id, video_key, status, created_at, updated_at, metadata) "
            "VALUES (?, ?, 'pending', ?, ?, ?)").bind(task_id, key, created, created, json.dumps(metadata)).run()
        instance = await self.env.VIDEO_PROCESSING.create(
            {"id": task_id, "params": {"taskId": task_id, "key": key, "metadata": metadata}})
        await self.env.DB.prepare("UPDATE video_processing_tasks SET workflow_id = ? WHERE id = ?") \
            .bind(instance.id, task_id).run()
        await self.env.EVENTS.send({"type": "video.uploaded", "taskId": task_id, "key": key})
        return Response.json({"taskId": task_id, "key": key, "parts": parts}, status=202)

    async def multipart_upload(self, request, key, http_metadata, part_size):
        upload = await self.env.STORAGE.createMultipartUpload(key, httpMetadata=http_metadata)
        uploaded, buffer = [], bytearray()
        try:
            async for chunk in request.body:
                buffer += chunk
                while len(buffer) >= part_size:
                    uploaded.append(await upload.uploadPart(len(uploaded) + 1, bytes(buffer[:part_size])))
                    del buffer[:part_size]
            if buffer or not uploaded:
                uploaded.append(await upload.uploadPart(len(uploaded) + 1, bytes(buffer)))
            await upload.complete(uploaded)
        except Exception:
            await upload.abort()
            raise
        return len(uploaded)

    async def describe(self, task_id):
        task = await self.env.DB.prepare("SELECT * FROM video_processing_tasks WHERE id = ?").bind(task_id).first()
        if task is None:
            return Response.json({"error": "no such task"}, status=404)
        instance = await self.env.VIDEO_PROCESSING.get(task["workflow_id"] or task_id)
        return Response.json({"task": task, "workflow": await instance.status()})

    async def queue(self, batch, env, ctx):
        for message in batch.messages:
            body = message.body
            if not isinstance(body, dict) or "taskId" not in body or "type" not in body:
                message.retry()  # after max_retries it goes to video-events-dlq
                continue
            await self.env.DB.prepare(
                "INSERT OR IGNORE INTO video_events (message_id, task_id, type, received_at) VALUES (?, ?, ?, ?)"
            ).bind(message.id, body["taskId"], body["type"], now_ms()).run()
            message.ack()
