"""Crons fire on pyflare's clock: once per firing time passed, each with its own scheduledTime, logged."""

from __future__ import annotations

import textwrap

import pytest

from pyflare import Pyflare
from pyflare.config import ConfigError, load_config
from pyflare.cron import CronPlugin

WORKER = '''
from workers import WorkerEntrypoint, Response

RUNS = []

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("ok")

    async def scheduled(self, controller, env, ctx):
        RUNS.append((controller.cron, controller.scheduledTime))
        if env.FAIL == "yes":
            controller.noRetry()
            raise RuntimeError("cron failed")
'''


def config(*crons: str, fail: bool = False) -> str:
    listed = ", ".join(f'"{c}"' for c in crons)
    return f'''
name = "cron-test"
main = "src/entry.py"
compatibility_date = "2025-01-01"
[vars]
FAIL = "{'yes' if fail else 'no'}"
[triggers]
crons = [{listed}]
'''


def runs(mf: Pyflare) -> list:
    assert mf.runtime.worker is not None
    return mf.runtime.worker.module.RUNS


def aligned_clock_start() -> float:
    return 1_795_305_600.0  # 2026-11-22T00:00:00Z, a Sunday


async def start(start_worker, *crons: str, **kwargs):
    from pyflare.kernel.clock import Clock

    kwargs.setdefault("clock", Clock(manual=True, start=aligned_clock_start()))
    fail = kwargs.pop("fail", False)
    return await start_worker(config(*crons, fail=fail), {"src/entry.py": WORKER}, **kwargs)


async def test_advancing_an_hour_fires_every_five_minute_run_once(start_worker):
    mf = await start(start_worker, "*/5 * * * *")
    mf.clock.advance(hours=1)
    await mf.idle()
    start_ms = int(aligned_clock_start() * 1000)
    assert runs(mf) == [("*/5 * * * *", start_ms + 300_000 * n) for n in range(1, 13)]


async def test_small_steps_fire_each_time_exactly_once(start_worker):
    mf = await start(start_worker, "*/5 * * * *")
    for _ in range(120):
        mf.clock.advance(30)
        await mf.idle()
    assert len(runs(mf)) == 12
    assert len({t for _, t in runs(mf)}) == 12


async def test_nothing_fires_before_the_first_time(start_worker):
    mf = await start(start_worker, "0 * * * *")
    mf.clock.advance(3599)
    await mf.idle()
    assert runs(mf) == []
    mf.clock.advance(1)
    await mf.idle()
    assert len(runs(mf)) == 1


async def test_several_crons_fire_independently(start_worker):
    mf = await start(start_worker, "*/30 * * * *", "0 * * * *")
    mf.clock.advance(hours=1)
    await mf.idle()
    assert sorted(runs(mf)) == sorted([
        ("*/30 * * * *", int(aligned_clock_start() * 1000) + 1_800_000),
        ("*/30 * * * *", int(aligned_clock_start() * 1000) + 3_600_000),
        ("0 * * * *", int(aligned_clock_start() * 1000) + 3_600_000),
    ])


async def test_schedule_starts_from_the_clock_not_the_wall(start_worker):
    from pyflare.kernel.clock import Clock

    mf = await start(start_worker, "0 0 1 1 *", clock=Clock(manual=True, start=1_924_991_990.0))  # 2030-12-31T23:59:50Z
    mf.clock.advance(10)
    await mf.idle()
    assert runs(mf) == [("0 0 1 1 *", 1_924_992_000_000)]


async def test_crons_off_fire_nothing(start_worker):
    mf = await start(start_worker, "* * * * *", crons=False)
    mf.clock.advance(hours=1)
    await mf.idle()
    assert runs(mf) == []
    with pytest.raises(LookupError):
        mf.plugin(CronPlugin)


async def test_each_run_is_logged_with_its_outcome(start_worker, pyflare_log):
    mf = await start(start_worker, "*/5 * * * *")
    mf.clock.advance(300)
    await mf.idle()
    assert "CRON */5 * * * * at 2026-11-22T00:05:00Z: ok (" in pyflare_log.text


async def test_a_failing_run_is_logged_and_the_schedule_goes_on(start_worker, pyflare_log):
    mf = await start(start_worker, "*/5 * * * *", fail=True)
    mf.clock.advance(600)
    await mf.idle()
    assert len(runs(mf)) == 2
    assert "CRON */5 * * * * at 2026-11-22T00:05:00Z: exception (" in pyflare_log.text
    assert [r["noRetry"] for r in mf.plugin(CronPlugin).runs] == [True, True]


async def test_cloudflare_only_syntax_fires_end_to_end(tmp_path):
    # "6L" (last Friday) is Cloudflare syntax croniter alone does not take; the config loader accepts it.
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(textwrap.dedent(WORKER))
    (tmp_path / "wrangler.toml").write_text(config("0 18 * * 6L"))
    resolved = load_config(tmp_path / "wrangler.toml")
    from pyflare.kernel.clock import Clock

    async with Pyflare(resolved, clock=Clock(manual=True, start=aligned_clock_start())) as mf:
        mf.clock.advance(days=10)
        await mf.idle()
        # the last Friday of November 2026 is the 27th
        assert runs(mf) == [("0 18 * * 6L", 1_795_802_400_000)]


async def test_day_of_week_zero_is_a_config_error(start_worker):
    with pytest.raises(ConfigError, match=r"triggers\.crons\[0\]: .*day of week 0 is out of range 1-7"):
        await start(start_worker, "0 0 * * 0")


async def test_on_demand_scheduled_still_works(start_worker):
    mf = await start(start_worker, "*/5 * * * *")
    result = await mf.scheduled(cron="manual", scheduled_time=aligned_clock_start() * 1000)
    assert result.outcome == "ok"
    assert runs(mf) == [("manual", int(aligned_clock_start() * 1000))]


async def test_scheduled_time_is_milliseconds_like_the_time_query_and_controller(start_worker):
    import datetime as dt

    mf = await start(start_worker, "*/5 * * * *")
    await mf.scheduled(cron="a", scheduled_time=1_700_000_000_000)
    await mf.dispatch_fetch("/cdn-cgi/handler/scheduled", params={"cron": "b", "time": "1700000000000"})
    await mf.scheduled(cron="c", scheduled_time=dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.timezone.utc))
    with pytest.warns(DeprecationWarning, match="milliseconds"):
        await mf.scheduled(cron="d", scheduled_time=1_700_000_000)  # seconds: the old unit, still accepted
    assert runs(mf) == [("a", 1700000000000), ("b", 1700000000000), ("c", 1700000000000), ("d", 1700000000000)]
    with pytest.raises(ValueError, match="aware datetime"):
        await mf.scheduled(cron="e", scheduled_time=dt.datetime(2023, 1, 1))
