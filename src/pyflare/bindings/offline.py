"""Bindings that only exist on Cloudflare's network (Workers AI, Browser Rendering, Pipelines...).

pyflare cannot run them offline, but a worker that declares one still finds it in ``env``: any use raises
an error that names the binding and says it needs Cloudflare, instead of an ``AttributeError`` about a
missing name. Tests put a fake in its place with ``Pyflare(bindings={"AI": fake})`` or the marker
``@pytest.mark.pyflare(bindings={...})``.

Workers AI gets a richer stand-in, :class:`WorkersAi`: ``await env.AI.run(model, inputs, options)`` answers
from a per-model fake a test gives in one line (``Pyflare(ai={"@cf/...": fn})``, the marker's ``ai=``, or
``mf.ai.fake(model, fn)``), and raises the "needs Cloudflare" error for any model without one.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from pyflare.config.bindings import describe_bindings
from pyflare.kernel.jsdict import to_jsdict
from pyflare.runtime.plugin import Platform, Plugin

# Config keys of bindings whose service runs only on Cloudflare (wrangler dev proxies them remotely).
CLOUDFLARE_ONLY = {
    "ai": "Workers AI",
    "browser": "Browser Rendering",
    "mtls_certificates": "mTLS certificates",
    "dispatch_namespaces": "Workers for Platforms dispatch namespaces",
    "pipelines": "Pipelines",
    "ai_search": "AI Search",
    "vpc_services": "VPC services",
    "media": "Media Transformations",
}


class NeedsCloudflareError(RuntimeError):
    """A binding pyflare cannot emulate offline was used."""


class CloudflareOnlyBinding:
    """Stands in ``env`` for a binding that needs Cloudflare; every use says so."""

    needs_cloudflare = True  # the start-up banner shows such a binding as "needs Cloudflare"

    def __init__(self, name: str, service: str, key: str) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_service", service)
        object.__setattr__(self, "_key", key)

    def _error(self, what: str) -> NeedsCloudflareError:
        return NeedsCloudflareError(
            f"env.{self._name}.{what}: the {self._service} binding {self._name!r} ({self._key}) needs "
            "Cloudflare's network and pyflare cannot emulate it offline. Run against Cloudflare "
            "(wrangler dev --remote, or deploy), or give tests a fake: Pyflare(bindings={"
            f"{self._name!r}: fake}}) or @pytest.mark.pyflare(bindings={{{self._name!r}: fake}})."
        )

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "needs_cloudflare":
            raise AttributeError(name)
        raise self._error(name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise self._error(name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise self._error("__call__")

    def __repr__(self) -> str:
        return f"<{self._service} binding {self._name} (needs Cloudflare)>"


AiModel = Callable[..., Any]  # fn(inputs) or fn(inputs, options), plain or async, returning the model's output
ANY_MODEL = "*"  # a fake for every model without its own


class AiFakes:
    """The fake models of a worker's Workers AI binding, by model name (``"*"``: any other model), and the
    calls they answered (``calls``: ``(model, inputs, options)`` in order), for tests to assert on."""

    def __init__(self, models: dict[str, AiModel]) -> None:
        self.models = models
        self.calls: list[tuple[str, Any, Any]] = []

    def fake(self, model: str, fn: AiModel) -> AiFakes:
        """Answer ``env.AI.run(model, ...)`` with ``fn(inputs)`` (or ``fn(inputs, options)``); ``model="*"``
        answers every model that has no fake of its own. Returns self, so fakes chain."""
        if not isinstance(model, str) or not model:
            raise TypeError(f"mf.ai.fake(model, fn): model must be a model name such as '@cf/meta/llama-3.1-8b-"
                            f"instruct' (or '*'), not {model!r}")
        if not callable(fn):
            raise TypeError(f"mf.ai.fake({model!r}, fn): fn must be callable (inputs) -> output, not {fn!r}")
        self.models[model] = fn
        return self

    def clear(self) -> None:
        self.models.clear()
        self.calls.clear()


class WorkersAi(CloudflareOnlyBinding):
    """``env.AI``: ``run()`` answers from the test's fakes; everything else (and an unfaked model) needs Cloudflare."""

    def __init__(self, name: str, fakes: AiFakes) -> None:
        super().__init__(name, CLOUDFLARE_ONLY["ai"], "ai")
        object.__setattr__(self, "_fakes", fakes)

    @property
    def needs_cloudflare(self) -> bool:  # type: ignore[override]
        return not self._fakes.models

    @property
    def banner_mode(self) -> str:
        return "local (fake models)"

    async def run(self, model: str, inputs: Any = None, options: Any = None) -> Any:
        if not isinstance(model, str):
            raise TypeError(f"env.{self._name}.run(model, inputs): model must be a string such as "
                            f"'@cf/meta/llama-3.1-8b-instruct', not {type(model).__name__}")
        fn = self._fakes.models.get(model) or self._fakes.models.get(ANY_MODEL)
        if fn is None:
            faked = ", ".join(sorted(self._fakes.models)) or "none"
            raise NeedsCloudflareError(
                f"env.{self._name}.run: the Workers AI binding {self._name!r} (ai) needs Cloudflare's network and "
                f"pyflare cannot emulate it offline. Model {model!r} has no local fake (faked models: {faked}); "
                f"give tests one in one line: Pyflare(ai={{{model!r}: lambda inputs: {{...}}}}), "
                f"@pytest.mark.pyflare(ai={{...}}) or mf.ai.fake({model!r}, fn); or run against Cloudflare "
                "(wrangler dev --remote).")
        self._fakes.calls.append((model, inputs, options))
        takes_options = _positional_count(fn) >= 2
        result = fn(inputs, options) if takes_options else fn(inputs)
        if inspect.isawaitable(result):
            result = await result
        return to_jsdict(result)  # a JS object on Cloudflare: result.response and result["response"] both work

    def __repr__(self) -> str:
        return f"<Workers AI binding {self._name} (fake models: {', '.join(sorted(self._fakes.models)) or 'none'})>"


def _positional_count(fn: AiModel) -> int:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: give it the inputs only
        return 1
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return 2
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)


def ai_fakes(options: Any) -> AiFakes:
    """The fake models of a worker (kept in its options, so tests can add them before it starts)."""
    models = options.extra.setdefault("ai", {})
    fakes = options.extra.get("ai fakes")
    if fakes is None or fakes.models is not models:
        fakes = options.extra["ai fakes"] = AiFakes(models)
    return fakes


class OfflinePlugin(Plugin):
    def __init__(self, platform: Platform) -> None:
        self.placeholders: dict[str, CloudflareOnlyBinding] = {
            d.name: (WorkersAi(d.name, ai_fakes(platform.options)) if d.key == "ai"
                     else CloudflareOnlyBinding(d.name, CLOUDFLARE_ONLY[d.key.split(".")[0]], d.key))
            for d in describe_bindings(platform.config.worker) if d.key.split(".")[0] in CLOUDFLARE_ONLY
        }

    def bindings(self) -> dict[str, Any]:
        return dict(self.placeholders)


def uses_cloudflare_only(worker: Any) -> bool:
    return any(getattr(worker, key, None) or (worker.model_extra or {}).get(key) for key in CLOUDFLARE_ONLY)


def create(platform: Platform) -> OfflinePlugin | None:
    plugin = OfflinePlugin(platform)
    return plugin if plugin.placeholders else None
