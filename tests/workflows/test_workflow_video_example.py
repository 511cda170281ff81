"""examples/video-pipeline: upload to R2 (multipart when large), a D1 task row, a workflow with retried
steps that updates it, and events on a queue with a dead letter queue."""

from __future__ import annotations

from pathlib import Path

import pytest
from workflow_helpers import settle

from pyflare import Pyflare
from pyflare.testing import apply_d1_migrations, dead_letters, drain, introspect_workflow_instance

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "video-pipeline"
MiB = 1024 * 1024


@pytest.fixture
async def mf():
    # Parts of 5 MiB (R2's minimum) so a 12 MiB upload takes three parts.
    async with Pyflare(EXAMPLE, clock="manual", vars={"PART_SIZE": str(5 * MiB)}) as mf:
        await apply_d1_migrations(mf, "DB")
        yield mf


async def task(mf, task_id):
    return (await mf.dispatch_fetch(f"/videos/{task_id}")).json()


async def events(mf):
    rows = await mf.env.DB.prepare("SELECT type FROM video_events ORDER BY received_at, type").all()
    return sorted(r["type"] for r in rows.results)


async def test_a_small_upload_is_processed_to_ready(mf):
    response = await mf.dispatch_fetch("/videos?filename=clip.mp4", method="POST", content=b"\x00video" * 1000)
    assert response.status_code == 202
    upload = response.json()
    assert upload["parts"] == 1
    instance = await introspect_workflow_instance(mf.env.VIDEO_PROCESSING, upload["taskId"])
    await instance.wait_for_status("complete")
    info = await task(mf, upload["taskId"])
    assert info["task"]["status"] == "ready"
    assert info["task"]["workflow_id"] == upload["taskId"]
    assert info["workflow"] == {"status": "complete", "output": {"taskId": upload["taskId"], "status": "ready"}}
    thumbnail = await mf.env.STORAGE.head(f"thumbnails/{upload['taskId']}.jpg")
    assert thumbnail.httpMetadata["contentType"] == "image/jpeg"
    await drain(mf)
    assert await events(mf) == ["video.ready", "video.uploaded"]
    listed = (await mf.dispatch_fetch("/videos?status=ready")).json()
    assert [row["id"] for row in listed] == [upload["taskId"]]


async def test_a_large_upload_goes_to_r2_in_parts(mf):
    body = bytes(range(256)) * (12 * MiB // 256)
    upload = (await mf.dispatch_fetch("/videos?filename=big.mov", method="POST", content=body)).json()
    assert upload["parts"] == 3
    stored = await mf.env.STORAGE.get(upload["key"])
    assert stored.size == len(body)
    assert await stored.arrayBuffer() == body
    instance = await introspect_workflow_instance(mf.env.VIDEO_PROCESSING, upload["taskId"])
    await instance.wait_for_status("complete")


async def test_thumbnail_retries_back_off_and_are_counted_in_the_row(mf):
    upload = (await mf.dispatch_fetch("/videos?filename=clip.mkv", method="POST", content=b"v" * 100)).json()
    instance = await introspect_workflow_instance(mf.env.VIDEO_PROCESSING, upload["taskId"])

    async def flaky(m):
        await m.mock_step_error({"name": "generate_thumbnails"}, ConnectionError("encoder busy"), times=2)

    await instance.modify(flaky)
    await instance.wait_for_step_result({"name": "validate_video"})
    for seconds in (30, 60):  # the seeds' policy: 30 s, then doubling
        await settle()
        assert (await task(mf, upload["taskId"]))["workflow"]["status"] == "waiting"
        mf.clock.advance(seconds=seconds - 1)
        await settle()
        assert (await task(mf, upload["taskId"]))["workflow"]["status"] == "waiting"
        mf.clock.advance(seconds=1)
    await instance.wait_for_status("complete")
    row = (await task(mf, upload["taskId"]))["task"]
    assert (row["status"], row["retry_count"]) == ("ready", 2)


async def test_a_failed_thumbnail_marks_the_row_failed_and_sends_an_event(mf):
    upload = (await mf.dispatch_fetch("/videos?filename=clip.avi", method="POST", content=b"v" * 100)).json()
    instance = await introspect_workflow_instance(mf.env.VIDEO_PROCESSING, upload["taskId"])

    async def broken(m):
        await m.mock_step_error({"name": "generate_thumbnails"}, RuntimeError("codec not supported"))
        await m.disable_retry_delays()

    await instance.modify(broken)
    await instance.wait_for_status("errored")
    assert await instance.get_error() == {"name": "RuntimeError", "message": "codec not supported"}
    row = (await task(mf, upload["taskId"]))["task"]
    assert (row["status"], row["error_message"], row["retry_count"]) == ("failed", "codec not supported", 0)
    await drain(mf)
    assert await events(mf) == ["video.failed", "video.uploaded"]


async def test_an_upload_missing_from_r2_fails_without_retries(mf):
    upload = (await mf.dispatch_fetch("/videos?filename=gone.mp4", method="POST", content=b"v")).json()
    await mf.env.STORAGE.delete(upload["key"])  # before the workflow's first step runs
    instance = await introspect_workflow_instance(mf.env.VIDEO_PROCESSING, upload["taskId"])
    await instance.wait_for_status("errored")
    row = (await task(mf, upload["taskId"]))["task"]
    assert row["status"] == "failed" and "not found in R2" in row["error_message"]


async def test_unsupported_files_are_refused(mf):
    response = await mf.dispatch_fetch("/videos?filename=notes.txt", method="POST", content=b"x")
    assert response.status_code == 400


async def test_events_the_consumer_cannot_handle_end_in_the_dead_letter_queue(mf):
    await mf.env.EVENTS.send({"unexpected": True})
    for _ in range(4):  # the first delivery and three retries
        await drain(mf)
    assert [m.body for m in dead_letters(mf, "video-events-dlq")] == [{"unexpected": True}]
