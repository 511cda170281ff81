"""Analytics Engine: writeDataPoint with workerd's limits and texts, stored and queried with the SQL API's
dialect through the local endpoint, the Python API and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import write_worker

from pyflare import Pyflare
from pyflare.bindings.analytics_engine import AnalyticsEnginePlugin, SqlError
from pyflare.cli import main
from pyflare.instance import DEFAULT_PERSIST

WORKER = """
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        city = request.headers.get("x-city") or "Lisbon"
        ms = float(request.headers.get("x-ms") or "10")
        self.env.WEATHER.writeDataPoint({"blobs": [city, None, "sunny"], "doubles": [ms, 2.5], "indexes": [city]})
        self.env.EMPTY.writeDataPoint({})
        return Response("ok")
"""

CONFIG = """
name = "ae"
main = "src/entry.py"
[[analytics_engine_datasets]]
binding = "WEATHER"
dataset = "weather"
[[analytics_engine_datasets]]
binding = "EMPTY"
"""
T0 = 1_798_761_600  # 2027-01-01 00:00:00 UTC (the clock only moves forward)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_worker(tmp_path / "w", CONFIG, {"src/entry.py": WORKER})


@pytest.fixture
async def mf(config: Path):
    async with Pyflare(config, clock="manual") as mf:
        mf.clock.set(T0)
        yield mf


async def sql(mf: Pyflare, query: str):
    return await mf.dispatch_fetch("/cdn-cgi/local/analytics_engine/sql", method="POST", content=query.encode())


async def write(mf: Pyflare, city: str, ms: float) -> None:
    assert (await mf.dispatch_fetch("/", headers={"x-city": city, "x-ms": str(ms)})).status_code == 200


async def test_data_points_are_stored_with_the_apis_columns(mf: Pyflare) -> None:
    await write(mf, "Lisbon", 12)
    answer = await sql(mf, "SELECT timestamp, index1, blob1, blob2, blob3, blob4, double1, double2, double3, "
                           "_sample_interval, dataset FROM weather")
    body = answer.json()
    assert body["data"] == [{"timestamp": "2027-01-01 00:00:00", "index1": "Lisbon", "blob1": "Lisbon", "blob2": "",
                             "blob3": "sunny", "blob4": "", "double1": 12.0, "double2": 2.5, "double3": 0.0,
                             "_sample_interval": 1, "dataset": "weather"}]
    assert body["meta"][0] == {"name": "timestamp", "type": "DateTime"}
    assert body["rows"] == 1 and body["rows_before_limit_at_least"] == 1
    # the dataset defaults to the binding's name
    assert (await sql(mf, "SELECT count() AS n FROM EMPTY")).json()["data"] == [{"n": "1"}]  # UInt64, quoted


async def test_group_by_intervals_weighted_sums_and_quantiles(mf: Pyflare) -> None:
    for minute, city, ms in [(0, "Lisbon", 10), (1, "Lisbon", 30), (6, "Porto", 20), (7, "Lisbon", 50)]:
        mf.clock.set(T0 + minute * 60)
        await write(mf, city, ms)
    query = ("SELECT toStartOfInterval(timestamp, INTERVAL 5 MINUTE) AS t, blob1 AS city, "
             "SUM(_sample_interval) AS n, SUM(_sample_interval * double1) / SUM(_sample_interval) AS avg_ms "
             "FROM weather WHERE timestamp > now() - INTERVAL 1 DAY GROUP BY t, city ORDER BY t, city")
    rows = (await sql(mf, query)).json()["data"]
    assert rows == [{"t": "2027-01-01 00:00:00", "city": "Lisbon", "n": "2", "avg_ms": 20.0},
                    {"t": "2027-01-01 00:05:00", "city": "Lisbon", "n": "1", "avg_ms": 50.0},
                    {"t": "2027-01-01 00:05:00", "city": "Porto", "n": "1", "avg_ms": 20.0}]
    p50 = (await sql(mf, "SELECT quantileExactWeighted(0.5, double1, _sample_interval) AS p50, "
                         "quantileExactWeighted(0.9)(double1, _sample_interval) AS p90, "
                         "countIf(double1 > 15) AS slow, argMax(blob1, double1) AS worst FROM weather")).json()
    assert p50["data"] == [{"p50": 20.0, "p90": 50.0, "slow": "3", "worst": "Lisbon"}]
    recent = (await sql(mf, "SELECT count() AS n FROM weather WHERE timestamp >= '2027-01-01 00:06:00'")).json()
    assert recent["data"] == [{"n": "2"}]
    mf.clock.set(T0 + 2 * 86400)  # now() follows pyflare's clock
    assert (await sql(mf, "SELECT count() AS n FROM weather WHERE timestamp > NOW() - INTERVAL '1' DAY")).json()[
        "data"] == [{"n": "0"}]


async def test_formats_show_tables_and_limits(mf: Pyflare) -> None:
    await write(mf, "Lisbon", 1)
    await write(mf, "Porto", 2)
    each = await sql(mf, "SELECT blob1, double1 FROM weather ORDER BY blob1 LIMIT 1 FORMAT JSONEachRow")
    assert each.text == '{"blob1":"Lisbon","double1":1.0}\n'
    tsv = await sql(mf, "SELECT blob1, double1 FROM weather ORDER BY blob1 DESC FORMAT TabSeparatedWithNames")
    assert tsv.text == "blob1\tdouble1\nPorto\t2.0\nLisbon\t1.0\n"
    tables = (await sql(mf, "SHOW TABLES")).json()["data"]
    assert tables == [{"name": "EMPTY"}, {"name": "weather"}]


@pytest.mark.parametrize(("query", "message"), [
    ("SELECT topK(3)(blob1) FROM weather", "Function topK is not supported"),
    ("SELECT blob1 FROM weather a JOIN weather b ON 1", "JOIN is not supported"),
    ("DELETE FROM weather", "JOIN|not supported|Only SELECT"),
    ("SELECT * FROM nowhere", "Unknown table nowhere"),
    ("SELECT blob99 FROM weather", "Unknown column blob99"),
    ("SELECT 1 FROM weather; SELECT 2 FROM weather", "Only one statement"),
    ("SELECT count() FROM weather FORMAT XML", "Unsupported FORMAT XML"),
    ("SELECT count() FROM weather WHERE timestamp > now() - INTERVAL 1 MONTH", "only supported in toStartOfInterval"),
])
async def test_unsupported_queries_are_refused_clearly(mf: Pyflare, query: str, message: str) -> None:
    await write(mf, "Lisbon", 1)
    answer = await sql(mf, query)
    assert answer.status_code == 400
    import re
    assert re.search(message, answer.text), answer.text


async def test_queries_cannot_write(mf: Pyflare) -> None:
    await write(mf, "Lisbon", 1)
    plugin = mf.plugin(AnalyticsEnginePlugin)
    with pytest.raises(SqlError):
        plugin.query("SELECT count() FROM weather WHERE 1 IN (SELECT load_extension('x'))")
    assert plugin.query("SELECT count() AS n FROM weather").rows == [[1]]


@pytest.mark.parametrize(("event", "message"), [
    ({"blobs": ["x"] * 21}, "writeDataPoint(): Maximum of 20 blobs supported."),
    ({"doubles": [1.0] * 21}, "writeDataPoint(): Maximum of 20 doubles supported."),
    ({"indexes": ["a", "b"]}, "writeDataPoint(): Maximum of 1 indexes supported."),
    ({"indexes": ["x" * 97]}, r"writeDataPoint\(\): Size of indexes\[0\] exceeds 96 bytes\)."),
    ({"blobs": ["x" * 8000, "y" * 8001]}, r"writeDataPoint\(\): Cumulative size of blobs exceeds 16000 bytes\)."),
    ({"doubles": ["1"]}, r"doubles\[0\] must be a number"),
])
async def test_limits_and_texts_are_workerds(mf: Pyflare, event: dict, message: str) -> None:
    with pytest.raises(TypeError, match=message.replace("(", r"\(").replace(")", r"\)")
                       if "\\" not in message else message):
        mf.env["WEATHER"].writeDataPoint(event)
    mf.env["WEATHER"].writeDataPoint({"blobs": ["x" * 8000, "y" * 8000], "indexes": ["i" * 96],
                                      "doubles": [1.0] * 20})  # exactly at the limits
    mf.env["WEATHER"].writeDataPoint()  # nothing at all, as Cloudflare's own test writes {}
    mf.env["WEATHER"].writeDataPoint(blobs=["kw"], doubles=[3])  # Pyodide passes keywords as a last object
    assert mf.plugin(AnalyticsEnginePlugin).query("SELECT count() FROM weather").rows == [[3]]
    assert mf.plugin(AnalyticsEnginePlugin).query("SELECT double1 FROM weather WHERE blob1 = 'kw'").rows == [[3.0]]


async def test_data_points_survive_a_restart_and_expire_after_three_months(config: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    async with Pyflare(config, clock="manual", persist_to=state) as mf:
        mf.clock.set(T0)
        await write(mf, "Lisbon", 1)
    async with Pyflare(config, clock="manual", persist_to=state) as mf:
        mf.clock.set(T0 + 86400)
        assert mf.plugin(AnalyticsEnginePlugin).query("SELECT count() FROM weather").rows == [[1]]
    async with Pyflare(config, clock="manual", persist_to=state) as mf:
        mf.clock.set(T0 + 93 * 86400)
        await write(mf, "Porto", 1)
    async with Pyflare(config, clock="manual", persist_to=state) as mf:
        mf.clock.set(T0 + 93 * 86400)
        assert mf.plugin(AnalyticsEnginePlugin).query("SELECT blob1 FROM weather").rows == [["Porto"]]


def test_the_cli_queries_the_local_state(config: Path, capsys) -> None:
    import asyncio

    async def fill() -> None:
        async with Pyflare(config, clock="manual", persist_to=config.parent / DEFAULT_PERSIST) as mf:
            await write(mf, "Lisbon", 5)

    asyncio.run(fill())
    assert main(["analytics", "query", "SELECT blob1, double1 FROM weather", "-c", str(config)]) == 0
    assert json.loads(capsys.readouterr().out)["data"] == [{"blob1": "Lisbon", "double1": 5.0}]
    assert main(["analytics", "query", "SELECT blob1 AS city FROM weather", "--table", "-c", str(config)]) == 0
    assert "│ city   │" in capsys.readouterr().out
    assert main(["analytics", "query", "SELECT median(double1) FROM weather", "-c", str(config)]) == 1
    assert "Function median is not supported" in capsys.readouterr().err


async def test_the_banner_shows_it_as_local(mf: Pyflare) -> None:
    from pyflare.cli.banner import banner_rows

    rows = {r.name: r for r in banner_rows(mf.config, mf.env)}
    assert (rows["WEATHER"].kind, rows["WEATHER"].resource, rows["WEATHER"].mode) == (
        "Analytics Engine Dataset", "weather", "local")
