"""The bundled examples/workers-ai worker, with a fake model given in one line through the pytest marker."""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "workers-ai"
LLAMA = "@cf/meta/llama-3.1-8b-instruct"


def echo_last_message(inputs):
    return {"response": f"You asked: {inputs['messages'][-1]['content']}"}


@pytest.mark.pyflare(config=EXAMPLE, ai={LLAMA: echo_last_message})
async def test_the_example_asks_the_model(pyflare) -> None:
    answer = await pyflare.dispatch_fetch("/ask?q=why+is+the+sky+blue")
    assert answer.json() == {"answer": "You asked: why is the sky blue"}
    [(model, inputs, _)] = pyflare.ai.calls
    assert model == LLAMA and inputs["messages"][0]["role"] == "system" and inputs["max_tokens"] == 256


@pytest.mark.pyflare(config=EXAMPLE)
async def test_without_a_fake_the_example_reports_that_the_model_needs_cloudflare(pyflare) -> None:
    answer = await pyflare.dispatch_fetch("/ask?q=hello")
    assert answer.status_code == 502
    assert "needs Cloudflare's network" in answer.json()["error"]
