"""The pytest-asyncio half of the pytest plugin: the fixture that pytest-asyncio runs (in its strict mode
too), registered by :mod:`pyflare.testing.plugin` only where pytest-asyncio's plugin is active, so that
anyio-only projects neither need nor import pytest-asyncio."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

from pyflare.testing.starting import pyflare_for_test

if TYPE_CHECKING:
    from pyflare.instance import Pyflare


@pytest_asyncio.fixture
async def _pyflare_asyncio(request: pytest.FixtureRequest) -> AsyncIterator[Pyflare]:
    async for mf in pyflare_for_test(request):
        yield mf
