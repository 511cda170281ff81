"""The bundled examples/analytics-engine worker: page views recorded and counted with the SQL API's dialect."""

from __future__ import annotations

from pathlib import Path

from pyflare import Pyflare

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "analytics-engine"


async def test_page_views_are_counted_per_path():
    async with Pyflare(EXAMPLE, clock="manual") as mf:
        for path in ["/", "/pricing", "/pricing", "/docs", "/pricing"]:
            assert (await mf.dispatch_fetch(path, headers={"user-agent": "curl/8.0"})).status_code == 200
        query = ("SELECT blob1 AS path, SUM(_sample_interval) AS views, SUM(_sample_interval * double2) AS bytes "
                 "FROM page_views GROUP BY path ORDER BY views DESC, path LIMIT 2 FORMAT JSONEachRow")
        answer = await mf.dispatch_fetch("/cdn-cgi/local/analytics_engine/sql", method="POST", content=query)
        lines = answer.text.splitlines()
        assert [line.split(",")[:2] for line in lines] == [['{"path":"/pricing"', '"views":"3"'],
                                                            ['{"path":"/"', '"views":"1"']]
        agents = await mf.dispatch_fetch("/cdn-cgi/local/analytics_engine/sql", method="POST",
                                         content="SELECT DISTINCT blob3 AS agent FROM page_views")
        assert agents.json()["data"] == [{"agent": "curl"}]
