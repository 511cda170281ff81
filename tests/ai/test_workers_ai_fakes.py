"""Workers AI: a clear "needs Cloudflare" error by default; one-line per-model fakes for tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import write_worker

from pyflare import Pyflare
from pyflare.bindings.offline import NeedsCloudflareError

WORKER = """
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        model = request.headers.get("x-model") or "@cf/meta/llama-3.1-8b-instruct"
        try:
            answer = await self.env.AI.run(model, {"prompt": "Say hi"})
        except Exception as error:
            return Response(str(error), status=500)
        return Response(answer.response)  # a JS object on Cloudflare: attribute access works
"""

CONFIG = """
name = "ai"
main = "src/entry.py"
[ai]
binding = "AI"
"""
LLAMA = "@cf/meta/llama-3.1-8b-instruct"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_worker(tmp_path / "w", CONFIG, {"src/entry.py": WORKER})


async def test_without_a_fake_the_binding_says_it_needs_cloudflare(config: Path) -> None:
    from pyflare.cli.banner import banner_rows

    async with Pyflare(config, clock="manual") as mf:
        response = await mf.dispatch_fetch("/")
        assert response.status_code == 500
        assert response.text.startswith("env.AI.run: the Workers AI binding 'AI' (ai) needs Cloudflare's network")
        assert f"Pyflare(ai={{'{LLAMA}'" in response.text  # says how to fake it
        with pytest.raises(NeedsCloudflareError, match="needs Cloudflare"):
            mf.env["AI"].gateway("my-gateway")
        [row] = [r for r in banner_rows(mf.config, mf.env) if r.name == "AI"]
        assert row.mode == "needs Cloudflare"


async def test_one_line_fake_per_model(config: Path) -> None:
    async with Pyflare(config, clock="manual", ai={LLAMA: lambda inputs: {"response": f"hi ({inputs['prompt']})"}}) as mf:
        assert (await mf.dispatch_fetch("/")).text == "hi (Say hi)"
        other = await mf.dispatch_fetch("/", headers={"x-model": "@cf/mistral/mistral-7b-instruct-v0.1"})
        assert other.status_code == 500 and "faked models: @cf/meta/llama-3.1-8b-instruct" in other.text
        assert mf.ai.calls == [(LLAMA, {"prompt": "Say hi"}, None)]


async def test_fakes_added_later_async_with_options_and_a_catch_all(config: Path) -> None:
    async def llama(inputs, options):
        return {"response": f"gateway={options and options['gateway']['id']}"}

    async with Pyflare(config, clock="manual") as mf:
        mf.ai.fake(LLAMA, llama).fake("*", lambda inputs: {"response": "any model"})
        assert (await mf.env["AI"].run(LLAMA, {}, {"gateway": {"id": "gw"}})).response == "gateway=gw"
        assert (await mf.dispatch_fetch("/", headers={"x-model": "@cf/other"})).text == "any model"
        with pytest.raises(TypeError, match="must be callable"):
            mf.ai.fake(LLAMA, "not a function")
        with pytest.raises(TypeError, match="model must be a string"):
            await mf.env["AI"].run(None, {})


async def test_the_banner_shows_fake_models(config: Path) -> None:
    from pyflare.cli.banner import banner_rows

    async with Pyflare(config, clock="manual", ai={"*": lambda inputs: {}}) as mf:
        [row] = [r for r in banner_rows(mf.config, mf.env) if r.name == "AI"]
        assert row.mode == "local (fake models)"
