"""examples/presigned-upload: the worker presigns, a plain HTTP client uploads, the binding sees the object."""

from __future__ import annotations

from pathlib import Path

import httpx
from tests.conftest import serve_on_loopback

from pyflare import Pyflare

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "presigned-upload"


async def test_presigned_upload_flow_end_to_end() -> None:
    async with Pyflare(EXAMPLE, clock="manual") as mf:
        async with serve_on_loopback(mf.asgi_app) as url, httpx.AsyncClient(base_url=url) as client:
            ticket = (await client.post("/uploads", json={"filename": "cat.png", "contentType": "image/png"})).json()
            assert ticket["key"].startswith("uploads/") and ticket["key"].endswith("-cat.png")
            assert ticket["uploadUrl"].startswith(f"{url}/cdn-cgi/local/r2/s3/uploads/uploads/")
            put = await client.put(ticket["uploadUrl"], content=b"\x89PNG...", headers={"content-type": "image/png"})
            assert put.status_code == 200, put.text
            stored = await mf.env.STORAGE.get(ticket["key"])
            assert await stored.bytes() == b"\x89PNG..."
            assert stored.httpMetadata["contentType"] == "image/png"
            served = await client.get(f"/files/{ticket['key']}")
            assert served.content == b"\x89PNG..." and served.headers["content-type"] == "image/png"
            # The URL is good for one hour on pyflare's clock, then refused. The example signs with
            # datetime.now() (real time, which pyflare's manual clock does not move), so the advance leaves
            # five minutes for the real seconds a loaded machine spends between start and signing.
            mf.clock.advance(3600 + 300)
            late = await client.put(ticket["uploadUrl"], content=b"again")
            assert late.status_code == 403 and b"ExpiredRequest" in late.content
