"""How the runtime's events are traced: the invocation of an HTTP request the worker answers, of a fetch from
another worker, and the trace item ``event`` of a fetch (see :mod:`pyflare.kernel.tracing`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from itertools import chain
from typing import Any

from pyflare.kernel.tracing import Invocation, Tracer, current_span, invocation


def url_path(url: str) -> str:
    """``/path?query`` of an absolute URL (what a fetch invocation is named after)."""
    parts = url.split("/", 3)
    return "/" + parts[3] if len(parts) == 4 else "/"


def fetch_event(request: Any) -> Callable[[], dict[str, Any]]:
    """The trace item ``event`` of a fetch, as a function building it when the trace is written (off the request
    path). It keeps the few values it needs, not the request (nor its body) while the trace waits, as flat
    tuples of names and values: tuples of strings and numbers drop out of the garbage collector's sight at its
    first pass, where the request's header pairs and its ``cf`` dict would be scanned again by every collection
    until the trace is written."""
    cf = request.cf
    return partial(_fetch_event, request.url, request.method, tuple(chain.from_iterable(request.headers.entries())),
                   tuple(chain.from_iterable(cf.items())) if cf else ())


def _fetch_event(url: str, method: str, header_pairs: tuple[str, ...], cf_pairs: tuple[Any, ...]) -> dict[str, Any]:
    headers: dict[str, str] = {}
    for name, value in zip(header_pairs[::2], header_pairs[1::2], strict=True):
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return {"request": {"url": url, "method": method, "headers": headers,
                        "cf": dict(zip(cf_pairs[::2], cf_pairs[1::2], strict=True))}}


class TracedFetch:
    """The invocation of one HTTP request the worker answers: it starts once the request reaches the worker's
    code and ends once the response is sent (a streamed body included), as Cloudflare's wall time does."""

    __slots__ = ("inv", "token", "tracer")

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer
        self.inv: Invocation | None = None
        self.token: Any = None

    def start(self, request: Any) -> None:
        self.inv = inv = self.tracer.invocation("fetch", f"{request.method} {url_path(request.url)}", "http",
                                                event=fetch_event(request))
        self.token = current_span.set(inv)

    def fail(self, exc: BaseException) -> None:
        if self.inv is not None:
            self.inv.fail(exc)

    def cancel(self) -> None:
        if self.inv is not None:
            self.inv.cancel()

    def end(self, status: int | None, exc: BaseException | None = None) -> None:
        inv = self.inv
        if inv is None:
            return
        current_span.reset(self.token)
        if exc is not None:
            inv.cancel()
        elif status is not None and status != 499:
            inv.status = status
        inv.finish_handler()


async def traced_fetch(worker: Any, request: Any) -> Any:
    """``worker.fetch(request)`` (a ``WorkerCode``) for a request another worker sent (a service binding, an
    outbound fetch routed to a worker): an invocation of this worker under the caller's span."""
    with invocation(worker, "fetch", f"{request.method} {url_path(request.url)}", "http",
                    event=fetch_event(request)) as inv:
        response = await worker.fetch(request)
        if inv is not None:
            inv.status = response.status
    return response
