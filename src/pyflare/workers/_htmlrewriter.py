"""``HTMLRewriter`` (``from js import HTMLRewriter``): Cloudflare's streaming HTML rewriter.

Cloudflare's HTMLRewriter is lol-html; so is this one, through the python-lolhtml bindings. The response
body is rewritten as it streams (chunks in, rewritten chunks out), with the same CSS selector support and
parser. The JS API is kept as Python code on Cloudflare sees it: ``HTMLRewriter.new()``,
``.on(selector, handler)``, ``.onDocument(handler)``, ``.transform(response)``; handlers are objects (or
``create_proxy`` proxies, or dicts) with ``element``/``comments``/``text`` (``doctype``/``end`` for the
document); content methods take ``html=True`` as Pyodide passes JS options.

Handlers may be ``async``: the rewriter then runs in a helper thread and waits for each handler's
awaitable on the worker's event loop (as Cloudflare awaits a handler's promise before going on).
"""

from __future__ import annotations

import asyncio
import inspect
import queue
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future
from typing import Any

from pyflare.workers._headers import Headers
from pyflare.workers._response import Response
from pyflare.workers._streams import ReadableStream
from pyflare.workers.pyodide.ffi import HelperThread, schedule_on_loop, unwrap_proxy

ELEMENT_METHODS = ("element", "comments", "text")
DOCUMENT_METHODS = ("doctype", "comments", "text", "end")


def _lolhtml() -> Any:
    try:
        import lolhtml
    except ImportError as exc:  # pragma: no cover - a dependency of pyflare
        raise ImportError("HTMLRewriter needs the python-lolhtml package: python3 -m pip install python-lolhtml") from exc
    return lolhtml


def _content_type(options: Any, html: bool | None) -> Any:
    lolhtml = _lolhtml()
    if html is None and options is not None:
        html = bool(options.get("html") if isinstance(options, dict) else getattr(options, "html", False))
    return lolhtml.ContentType.HTML if html else lolhtml.ContentType.TEXT


class _Owner:
    """The thread a rewriter lives on. lol-html's objects may only be touched there, so while that thread
    waits for an async handler (which runs on the event loop), it carries out the handler's calls for it."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()
        self.inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def call(self, func: Any, *args: Any) -> Any:
        if threading.get_ident() == self.thread:
            return func(*args)
        reply: Future[Any] = Future()
        self.inbox.put((func, args, reply))
        return reply.result()

    def wait(self, awaitable: Any) -> None:
        """Run ``awaitable`` on the event loop, serving calls to lol-html objects until it is done."""
        done: Future[Any] = Future()

        async def run() -> None:
            try:
                await awaitable
            except BaseException as exc:
                done.set_exception(exc)
            else:
                done.set_result(None)
            finally:
                self.inbox.put(None)

        schedule_on_loop(run())
        while True:
            item = self.inbox.get()
            if item is None:
                break
            func, args, reply = item
            try:
                reply.set_result(func(*args))
            except BaseException as exc:
                reply.set_exception(exc)
        done.result()


TOKEN_EXPIRED = ("This content token is no longer valid. Content tokens are only valid during the execution of "
                 "the relevant content handler.")  # workerd's html-rewriter.c++ checkToken


class _Content:
    """before/after/replace/remove, shared by elements, text chunks and comments."""

    _raw: Any
    _owner: _Owner

    def _token(self) -> Any:
        if self._raw is None:
            raise TypeError(TOKEN_EXPIRED)
        return self._raw

    def _expire(self) -> None:
        """The handler returned: the token is dead, as in workerd. Dropping lol-html's object now also keeps it
        out of reference cycles that the garbage collector could free on another thread (lol-html's objects
        may only be dropped on the thread that made them)."""
        self._raw = None

    def _call(self, name: str, *args: Any) -> Any:
        raw = self._token()
        return self._owner.call(lambda: getattr(raw, name)(*args))

    def _get(self, name: str) -> Any:
        return self._owner.call(getattr, self._token(), name)

    def _set(self, name: str, value: Any) -> None:
        self._owner.call(setattr, self._token(), name, value)

    def before(self, content: str, options: Any = None, *, html: bool | None = None) -> _Content:
        self._call("before", str(content), _content_type(options, html))
        return self

    def after(self, content: str, options: Any = None, *, html: bool | None = None) -> _Content:
        self._call("after", str(content), _content_type(options, html))
        return self

    def replace(self, content: str, options: Any = None, *, html: bool | None = None) -> _Content:
        self._call("before", str(content), _content_type(options, html))
        self._call("remove")
        return self

    def remove(self) -> _Content:
        self._call("remove")
        return self

    @property
    def removed(self) -> bool:
        return self._get("removed")


class Element(_Content):
    def __init__(self, raw: Any, owner: _Owner) -> None:
        self._raw, self._owner = raw, owner

    @property
    def tagName(self) -> str:  # noqa: N802 - JS names
        return self._get("tag_name")

    @tagName.setter
    def tagName(self, value: str) -> None:  # noqa: N802
        self._set("tag_name", value)

    @property
    def namespaceURI(self) -> str:  # noqa: N802
        return self._get("namespace_uri")

    @property
    def attributes(self) -> Iterator[list[str]]:
        return iter([[name, value] for name, value in self._get("attributes")])

    def getAttribute(self, name: str) -> str | None:  # noqa: N802
        return self._call("get_attribute", name)

    def hasAttribute(self, name: str) -> bool:  # noqa: N802
        return self._call("has_attribute", name)

    def setAttribute(self, name: str, value: str) -> Element:  # noqa: N802
        self._call("set_attribute", name, str(value))
        return self

    def removeAttribute(self, name: str) -> Element:  # noqa: N802
        self._call("remove_attribute", name)
        return self

    def prepend(self, content: str, options: Any = None, *, html: bool | None = None) -> Element:
        self._call("prepend", str(content), _content_type(options, html))
        return self

    def append(self, content: str, options: Any = None, *, html: bool | None = None) -> Element:
        self._call("append", str(content), _content_type(options, html))
        return self

    def setInnerContent(self, content: str, options: Any = None, *, html: bool | None = None) -> Element:  # noqa: N802
        self._call("set_inner_content", str(content), _content_type(options, html))
        return self

    def removeAndKeepContent(self) -> Element:  # noqa: N802
        self._call("remove_and_keep_content")
        return self

    def onEndTag(self, handler: Any) -> None:  # noqa: N802
        raise TypeError(
            "Element.onEndTag is not available in pyflare: the python-lolhtml bindings it uses do not expose "
            "end-tag handlers (see docs/python-workers.md)"
        )


class Text(_Content):
    def __init__(self, raw: Any, owner: _Owner) -> None:
        self._raw, self._owner = raw, owner
        self.text: str = raw.text
        self.lastInTextNode: bool = raw.last_in_text_node


class Comment(_Content):
    def __init__(self, raw: Any, owner: _Owner) -> None:
        self._raw, self._owner = raw, owner

    @property
    def text(self) -> str:
        return self._get("text")

    @text.setter
    def text(self, value: str) -> None:
        self._set("text", value)


class Doctype:
    def __init__(self, raw: Any, owner: _Owner) -> None:
        self.name = raw.name
        self.publicId = raw.public_id
        self.systemId = raw.system_id


class DocumentEnd(_Content):
    def __init__(self, raw: Any, owner: _Owner) -> None:
        self._raw, self._owner = raw, owner

    def append(self, content: str, options: Any = None, *, html: bool | None = None) -> DocumentEnd:
        self._call("append", str(content), _content_type(options, html))
        return self


WRAPPERS = {"element": Element, "comments": Comment, "text": Text, "doctype": Doctype, "end": DocumentEnd}


def _method(handler: Any, name: str) -> Any:
    handler = unwrap_proxy(handler)
    if isinstance(handler, dict):
        return handler.get(name)
    return getattr(handler, name, None)


class _Failure:
    """The first exception a handler raised (lol-html only reports that some handler failed)."""

    error: BaseException | None = None


def _adapter(handler: Any, names: tuple[str, ...], failure: _Failure, owner: _Owner, threaded: bool) -> Any:
    """An object with exactly the handler methods ``handler`` has, turning lol-html's objects into the JS API's."""
    methods: dict[str, Any] = {}
    for name in names:
        func = _method(handler, name)
        if func is None:
            continue

        def call(self: Any, raw: Any, func: Any = func, wrap: Any = WRAPPERS[name]) -> None:
            token = wrap(raw, owner)
            del raw  # held by the token only, which lets it go when the handler returns
            try:
                result = func(token)
                if inspect.isawaitable(result):
                    if not threaded:  # pragma: no cover - transform() picks threading when a handler is async
                        raise TypeError("an async HTMLRewriter handler needs the threaded rewriter")
                    owner.wait(result)
            except BaseException as exc:
                if failure.error is None:
                    failure.error = exc
                raise
            finally:
                if isinstance(token, _Content):
                    token._expire()

        methods[name] = call
    return type("HandlerAdapter", (), methods)()


def _is_async(handler: Any, names: tuple[str, ...]) -> bool:
    return any(inspect.iscoroutinefunction(_method(handler, name)) for name in names)


class HTMLRewriter:
    """Rewrites HTML responses as they stream; see the module docstring."""

    def __init__(self) -> None:
        self._element_handlers: list[tuple[str, Any]] = []
        self._document_handlers: list[Any] = []

    @classmethod
    def new(cls) -> HTMLRewriter:
        return cls()

    def on(self, selector: str, handlers: Any) -> HTMLRewriter:
        # lol-html checks the selector when the rewriter is built; check it now so the error points here.
        probe = _lolhtml().HTMLRewriter(lambda _chunk: None)
        try:
            probe.on(selector, type("NoHandler", (), {})())
        except RuntimeError as exc:
            raise TypeError(f"Parser error: {exc} (selector {selector!r})") from None
        self._element_handlers.append((selector, handlers))
        return self

    def onDocument(self, handlers: Any) -> HTMLRewriter:  # noqa: N802 - JS name
        self._document_handlers.append(handlers)
        return self

    on_document = onDocument

    def transform(self, response: Any) -> Response:
        """A new Response with the same status and headers whose body is ``response``'s, rewritten."""
        if not isinstance(response, Response):
            raise TypeError("HTMLRewriter.transform() takes a Response")
        threaded = any(_is_async(h, ELEMENT_METHODS) for _, h in self._element_handlers) or any(
            _is_async(h, DOCUMENT_METHODS) for h in self._document_handlers)
        headers = Headers([(k, v) for k, v in response.headers.items() if k != "content-length"])
        body = response._take()
        source = ReadableStream.of(body) if isinstance(body, bytes) else body
        element_handlers = list(self._element_handlers)
        document_handlers = list(self._document_handlers)

        async def rewritten() -> AsyncIterator[bytes]:
            out = bytearray()
            failure = _Failure()
            # lol-html's rewriter must live on one thread: with async handlers, a helper thread of its own.
            helper = HelperThread() if threaded else None

            state: dict[str, Any] = {}

            def build() -> None:
                owner = _Owner()
                rewriter = _lolhtml().HTMLRewriter(out.extend)
                for selector, handler in element_handlers:
                    rewriter.on(selector, _adapter(handler, ELEMENT_METHODS, failure, owner, threaded))
                for handler in document_handlers:
                    rewriter.on_document(_adapter(handler, DOCUMENT_METHODS, failure, owner, threaded))
                state["rewriter"] = rewriter  # only ever touched (and dropped) on the thread that built it

            def write(chunk: bytes) -> None:
                state["rewriter"].write(chunk)

            def end() -> None:
                state.pop("rewriter").end()

            async def step(func: Any, *args: Any) -> Any:
                try:
                    return await helper.run(func, *args) if helper is not None else func(*args)
                except RuntimeError:
                    if failure.error is not None:
                        raise failure.error from None
                    raise

            def drained() -> bytes:
                chunk = bytes(out)
                out.clear()
                return chunk

            try:
                await step(build)
                if source is not None:
                    async for chunk in source:
                        await step(write, bytes(chunk))
                        if out:
                            yield drained()
                await step(end)
                if out:
                    yield drained()
            finally:
                if state:
                    await (helper.run(state.clear) if helper is not None else asyncio.sleep(0, state.clear()))
                if helper is not None:
                    helper.close()

        result = Response(ReadableStream(rewritten()), status=response.status, status_text=response._status_text,
                          headers=headers)
        result.url = getattr(response, "url", "")
        return result
