"""pyflare's own endpoints answer only local requests (Host/Origin), as wrangler's /cdn-cgi/* do."""

from __future__ import annotations

import pytest

from pyflare.runtime.guard import local_hostnames, local_request_refusal

CONFIG = """
name = "sched"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]
"""

ENTRY = """
from workers import Response, WorkerEntrypoint
RUNS = []

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("worker:" + ",".join(RUNS))

    async def scheduled(self, controller, env, ctx):
        if controller.cron == "fail":
            raise RuntimeError("boom")
        RUNS.append(controller.cron)
"""


@pytest.fixture
async def mf(start_worker):
    return await start_worker(CONFIG, {"src/entry.py": ENTRY})


@pytest.mark.parametrize("host", ["localhost", "localhost:8787", "127.0.0.1:8787", "[::1]:8787", "LOCALHOST"])
async def test_local_hosts_may_run_the_scheduled_handler(mf, host):
    response = await mf.dispatch_fetch("/cdn-cgi/local/scheduled?cron=a", headers={"host": host})
    assert (response.status_code, response.text) == (200, "ok")


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8787", "127.0.0.1.evil.example", "localhost.evil",
                                  "user@localhost", "[::2]"])
async def test_foreign_host_is_refused_and_nothing_runs(mf, host):
    response = await mf.dispatch_fetch("/cdn-cgi/local/scheduled?cron=a", headers={"host": host})
    assert (response.status_code, response.text) == (403, "Invalid Host header")
    assert (await mf.dispatch_fetch("/")).text == "worker:"


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://localhost.evil.example:8787", "garbage"])
async def test_foreign_origin_is_refused(mf, origin):
    response = await mf.dispatch_fetch("/cdn-cgi/handler/scheduled", method="POST", headers={"origin": origin})
    assert (response.status_code, response.text) == (403, "Invalid Origin header")
    assert (await mf.dispatch_fetch("/")).text == "worker:"


async def test_local_origin_is_accepted(mf):
    response = await mf.dispatch_fetch("/cdn-cgi/local/scheduled?cron=a", headers={"origin": "http://localhost:8787"})
    assert response.status_code == 200


async def test_browser_cross_site_request_is_refused(mf):
    # an <img src="http://localhost:8787/cdn-cgi/..."> on another site: local Host, no Origin, cross-site
    response = await mf.dispatch_fetch("/cdn-cgi/local/scheduled?cron=a", headers={"sec-fetch-site": "cross-site"})
    assert response.status_code == 403
    same = await mf.dispatch_fetch("/cdn-cgi/local/scheduled?cron=a", headers={"sec-fetch-site": "same-origin"})
    assert same.status_code == 200


async def test_every_cdn_cgi_path_is_guarded_even_those_reaching_the_worker(mf):
    assert (await mf.dispatch_fetch("/cdn-cgi/anything")).text == "worker:"
    refused = await mf.dispatch_fetch("http://evil.example/cdn-cgi/anything")
    assert refused.status_code == 403


async def test_worker_paths_are_served_for_any_host(mf):
    # as wrangler dev: only /cdn-cgi/* is restricted; the worker itself answers every Host
    assert (await mf.dispatch_fetch("http://evil.example/")).status_code == 200


@pytest.mark.parametrize("path", ["/cdn-cgi/local/scheduled", "/cdn-cgi/handler/scheduled", "/cdn-cgi/mf/scheduled"])
@pytest.mark.parametrize("method", ["GET", "POST", "HEAD", "PUT"])
async def test_scheduled_paths_answer_any_method_like_miniflare(mf, path, method):
    response = await mf.dispatch_fetch(f"{path}?cron=m", method=method)
    assert response.status_code == 200
    assert (await mf.dispatch_fetch("/")).text == "worker:m"


async def test_scheduled_outcome_and_json_format(mf):
    failed = await mf.dispatch_fetch("/cdn-cgi/local/scheduled?cron=fail")
    assert (failed.status_code, failed.text) == (500, "exception")
    as_json = await mf.dispatch_fetch("/cdn-cgi/local/scheduled?cron=ok&format=json")
    assert as_json.json() == {"outcome": "ok", "noRetry": False}


async def test_test_scheduled_path_is_guarded_too(mf):
    mf.asgi_app.test_scheduled = True
    assert (await mf.dispatch_fetch("http://evil.example/__scheduled?cron=x")).status_code == 403
    assert (await mf.dispatch_fetch("/__scheduled?cron=x")).text == "Ran scheduled event"


async def test_ip_given_to_pyflare_dev_counts_as_local(mf):
    mf.asgi_app.local_hosts = local_hostnames("192.168.1.20")
    ok = await mf.dispatch_fetch("/cdn-cgi/local/scheduled?cron=a", headers={"host": "192.168.1.20:8787"})
    assert ok.status_code == 200


def test_guard_function_for_other_endpoints():
    assert local_request_refusal([(b"host", b"localhost:8787")]) is None
    assert local_request_refusal([]) is None  # HTTP/1.0 without Host: nothing to check, as in Miniflare
    assert local_request_refusal([(b"host", b"a.example")]) == "Invalid Host header"
    assert local_hostnames("::1") >= {"[::1]"} and "[fe80::1]" in local_hostnames("fe80::1")
