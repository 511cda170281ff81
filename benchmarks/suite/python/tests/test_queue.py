import pytest
from helpers import call, job_result, send

TEXTS = ["hello", "queue", "mixed Case", "ünïcode", "with spaces", "x", "numbers 123", "punctuation!?", "tabs\tand",
         "last one"]


@pytest.mark.parametrize("text", TEXTS)
async def test_processes_a_job(pyflare, text):
    response = await send(pyflare, "/jobs", {"id": "job-1", "text": text})
    assert response.status_code == 202
    assert response.json() == {"queued": "job-1"}
    assert await job_result(pyflare, "job-1") == text.upper()
    result = await call(pyflare, "/jobs/job-1")
    assert result.json() == {"id": "job-1", "result": text.upper()}


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
async def test_processes_a_batch(pyflare, n):
    await pyflare.env.JOBS.sendBatch([{"body": {"id": f"b{i}", "text": f"item {i}"}} for i in range(n)])
    for i in range(n):
        assert await job_result(pyflare, f"b{i}") == f"ITEM {i}"


@pytest.mark.parametrize("job_id", ["a", "b", "c", "d", "e"])
async def test_processes_only_the_job_sent(pyflare, job_id):
    await pyflare.env.JOBS.send({"id": job_id, "text": job_id})
    assert await job_result(pyflare, job_id) == job_id.upper()
    assert (await call(pyflare, f"/jobs/not-{job_id}")).status_code == 404
