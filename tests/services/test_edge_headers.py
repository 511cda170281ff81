"""The headers Cloudflare's edge adds to a request, and request.cf, as a worker sees them."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import write_worker

from pyflare import Pyflare

ECHO = """
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response.json({"headers": dict(request.headers), "cf": dict(request.cf)})
"""


async def test_edge_headers_and_request_cf(tmp_path: Path) -> None:
    config = write_worker(tmp_path / "w", 'name = "e"\nmain = "src/entry.py"\n', {"src/entry.py": ECHO})
    async with Pyflare(config) as mf:
        first = (await mf.dispatch_fetch("/")).json()
        second = (await mf.dispatch_fetch("/", headers={"cf-connecting-ip": "203.0.113.7", "cf-ray": "forged",
                                                        "x-forwarded-proto": "gopher"})).json()
    headers = first["headers"]
    assert headers["cf-connecting-ip"] == headers["x-real-ip"] == headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["cf-visitor"] == '{"scheme":"http"}'
    assert headers["cf-ipcountry"] == first["cf"]["country"] == "US"
    ray, colo = headers["cf-ray"].split("-")
    assert len(ray) == 16 and int(ray, 16) >= 0 and colo == first["cf"]["colo"]
    # a test can act as another client; what only the edge sets is never taken from the client
    assert second["headers"]["cf-connecting-ip"] == second["headers"]["x-real-ip"] == "203.0.113.7"
    assert second["headers"]["cf-ray"] not in ("forged", headers["cf-ray"])
    assert second["headers"]["x-forwarded-proto"] == "http"
    assert {"asn", "colo", "country", "city", "timezone", "httpProtocol"} <= set(first["cf"])
