"""The rate limiting binding: fixed windows on the clock, shared namespaces, the validation texts."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import write_worker

from pyflare import Pyflare
from pyflare.bindings.ratelimit.validation import RateLimitError
from pyflare.config import ConfigError

WORKER = """
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        user = request.headers.get("x-user") or "anon"
        outcome = await self.env.RL.limit({"key": user})
        if not outcome.success:
            return Response("Too Many Requests", status=429)
        return Response("ok")
"""

CONFIG = """
name = "rl"
main = "src/entry.py"
[[ratelimits]]
name = "RL"
namespace_id = "1001"
simple = { limit = 3, period = 10 }
[[unsafe.bindings]]
type = "ratelimit"
name = "LEGACY"
namespace_id = "1001"
simple = { limit = 5, period = 10 }
[[ratelimits]]
name = "MINUTE"
namespace_id = "2002"
simple = { limit = 2, period = 60 }
"""


@pytest.fixture
async def mf(tmp_path: Path):
    config = write_worker(tmp_path / "w", CONFIG, {"src/entry.py": WORKER})
    async with Pyflare(config, clock="manual") as mf:
        # start on a window boundary so "advance 10 s" means "next window"
        mf.clock.set((int(mf.clock.time()) // 60 + 1) * 60)
        yield mf


async def test_worker_gets_429_after_the_limit_and_again_ok_in_the_next_window(mf: Pyflare) -> None:
    statuses = [(await mf.dispatch_fetch("/", headers={"x-user": "ann"})).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert (await mf.dispatch_fetch("/", headers={"x-user": "bob"})).status_code == 200  # per key
    mf.clock.advance(seconds=10)
    assert (await mf.dispatch_fetch("/", headers={"x-user": "ann"})).status_code == 200


async def test_refused_calls_are_not_counted(mf: Pyflare) -> None:
    for _ in range(10):
        await mf.env.MINUTE.limit({"key": "k"})
    mf.clock.advance(seconds=60)
    assert [(await mf.env.MINUTE.limit({"key": "k"})).success for _ in range(3)] == [True, True, False]


async def test_bindings_with_one_namespace_share_counters_and_apply_their_own_limit(mf: Pyflare) -> None:
    for _ in range(3):
        assert (await mf.env.RL.limit({"key": "shared"})).success
    assert not (await mf.env.RL.limit({"key": "shared"})).success
    # the legacy binding counts in the same namespace, with its higher limit
    assert [(await mf.env.LEGACY.limit({"key": "shared"})).success for _ in range(3)] == [True, True, False]


async def test_windows_follow_the_clock_not_the_first_call(mf: Pyflare) -> None:
    mf.clock.advance(seconds=9)
    for _ in range(3):
        await mf.env.RL.limit({"key": "edge"})
    mf.clock.advance(seconds=1)  # the 10 s window rolled over one second after the first call
    assert (await mf.env.RL.limit({"key": "edge"})).success


async def test_options_override_limit_and_period(mf: Pyflare) -> None:
    assert (await mf.env.RL.limit({"key": "o", "limit": 1, "period": 60})).success
    assert not (await mf.env.RL.limit({"key": "o", "limit": 1, "period": 60})).success
    assert (await mf.env.RL.limit({"key": "o"})).success  # period 10 is another counter
    assert (await mf.env.RL.limit(key="kw")).success


@pytest.mark.parametrize(("options", "message"), [
    ("key", "invalid rate limit options"),
    ({"key": "a", "burst": 1, "x": 2}, "bad rate limit options: [burst,x]"),
    ({"key": 5}, "invalid key: 5"),
    ({"key": "a", "limit": "10"}, "limit must be a number: 10"),
    ({"key": "a", "period": None}, "period must be a number: null"),
    ({"key": "a", "period": 30}, "unsupported period: 30"),
])
async def test_bad_options_raise_miniflares_texts(mf: Pyflare, options: object, message: str) -> None:
    with pytest.raises(RateLimitError) as caught:
        await mf.env.RL.limit(options)
    assert str(caught.value) == message


async def test_counters_survive_a_restart(tmp_path: Path) -> None:
    config = write_worker(tmp_path / "w", CONFIG, {"src/entry.py": WORKER})
    state = tmp_path / "state"
    async with Pyflare(config, persist_to=state, clock="manual") as mf:
        mf.clock.set((int(mf.clock.time()) // 60 + 1) * 60)
        start = mf.clock.time()
        for _ in range(2):
            await mf.env.MINUTE.limit({"key": "p"})
    from pyflare.kernel.clock import Clock

    async with Pyflare(config, persist_to=state, clock=Clock(manual=True, start=start)) as mf:
        assert not (await mf.env.MINUTE.limit({"key": "p"})).success


@pytest.mark.parametrize(("block", "message"), [
    ('simple = { limit = 3, period = 30 }',
     '"ratelimits[0]" bindings "simple.period" must be either 10 or 60 but got 30.'),
    ('simple = { limit = "3", period = 10 }',
     '"ratelimits[0]" bindings "simple.limit" must be a number but got {"limit":"3","period":10}.'),
    ('', '"ratelimits[0]" bindings must have a "simple" configuration object but got'),
])
async def test_config_errors_use_wranglers_texts(tmp_path: Path, block: str, message: str) -> None:
    config = write_worker(tmp_path / "w", f'name = "rl"\nmain = "src/entry.py"\n[[ratelimits]]\nname = "RL"\n'
                          f'namespace_id = "1"\n{block}\n', {"src/entry.py": WORKER})
    with pytest.raises(ConfigError, match="wrangler.toml: " + message.replace("[", r"\[").replace("{", r"\{")
                       .replace(".", r"\.")):
        async with Pyflare(config):
            pass


async def test_rate_limits_are_shared_across_workers_by_namespace(tmp_path: Path) -> None:
    a = write_worker(tmp_path / "a", CONFIG, {"src/entry.py": WORKER})
    b = write_worker(tmp_path / "b", CONFIG.replace('name = "rl"', 'name = "other"'), {"src/entry.py": WORKER})
    async with Pyflare([a, b], clock="manual") as mf:
        mf.clock.set((int(mf.clock.time()) // 60 + 1) * 60)
        for _ in range(3):
            await mf.env.RL.limit({"key": "x"})
        assert not (await mf.worker("other").env.RL.limit({"key": "x"})).success
