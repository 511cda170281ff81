"""The web APIs of the global scope: URL, URLSearchParams, URLPattern, TextEncoder/TextDecoder, atob/btoa,
timers and scheduler.wait on pyflare's clock, AbortController, EventTarget, MessageChannel, EventSource."""

from __future__ import annotations

import asyncio

import pytest

import pyflare.workers.js as js
from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.jserrors import DOMException, RangeError
from pyflare.workers.pyodide.ffi import to_js

CONFIG = 'name = "t"\nmain = "src/entry.py"\n'


def test_url_parses_as_the_whatwg_standard_with_a_live_search_params():
    url = js.URL.new("HTTPS://User:Pw@EXAMPLE.com:443/a/../b?x=1&y=%20#h")
    assert (url.href, url.origin, url.pathname, url.port, url.username) == (
        "https://User:Pw@example.com/b?x=1&y=%20#h", "https://example.com", "/b", "", "User")
    assert url.searchParams.get("y") == " " and url.searchParams.get("z") is None
    url.searchParams.set("x", "a&b")
    assert url.search == "?x=a%26b&y=+"
    url.hash = ""
    url.pathname = "/c d"
    assert url.href == "https://User:Pw@example.com/c%20d?x=a%26b&y=+"
    assert js.URL.new("../x", "https://e.com/a/b/c").href == "https://e.com/a/x"
    with pytest.raises(TypeError, match="^Invalid URL string.$"):
        js.URL.new("not a url")
    assert js.URL.canParse("https://x") and js.URL.parse("::") is None
    assert js.JSON.stringify({"u": js.URL.new("https://x/")}) == '{"u":"https://x/"}'


def test_url_search_params_forms():
    params = js.URLSearchParams.new("?a=1&b=2&a=3")
    assert params.getAll("a") == ["1", "3"] and params.size == 3 and params.has("b", "2")
    params.append("space", "a b~*")
    assert params.toString() == "a=1&b=2&a=3&space=a+b%7E*"
    params.delete("a")
    params.sort()
    assert [list(p) for p in params] == [["b", "2"], ["space", "a b~*"]]
    assert js.URLSearchParams.new(JsDict(q="é")).toString() == "q=%C3%A9"
    with pytest.raises(TypeError, match="Invalid URL search params sequence."):
        js.URLSearchParams.new([["only one"]])


def test_url_pattern_matches_and_extracts_groups():
    pattern = js.URLPattern.new(JsDict(pathname="/books/:id(\\d+)"))
    assert pattern.test("https://example.com/books/12") and not pattern.test("https://example.com/books/x")
    match = pattern.exec("https://example.com/books/12?x=1")
    assert match.pathname.groups.id == "12" and match.search.input == "x=1"
    assert pattern.exec("https://example.com/other") is None
    assert js.URLPattern.new("/a/*", "https://h.com").test("https://h.com/a/b/c")


def test_text_encoder_decoder_and_base64():
    encoder = js.TextEncoder.new()
    encoded = encoder.encode("é\ud800")  # a lone surrogate becomes U+FFFD, as in JavaScript
    assert encoded.to_bytes() == "é\ufffd".encode()
    target = js.Uint8Array.new(3)
    result = encoder.encodeInto("aé€", target)
    assert (result.read, result.written) == (2, 3)
    decoder = js.TextDecoder.new()
    assert decoder.decode(to_js(b"\xe2\x82"), stream=True) == "" and decoder.decode(to_js(b"\xac")) == "€"
    assert js.TextDecoder.new("latin1").encoding == "windows-1252"
    assert js.TextDecoder.new("utf-16le").decode(to_js("hi".encode("utf-16-le"))) == "hi"
    with pytest.raises(TypeError, match="Failed to decode input."):
        js.TextDecoder.new("utf-8", fatal=True).decode(to_js(b"\xff"))
    with pytest.raises(RangeError, match='"nope" is not a valid encoding.'):
        js.TextDecoder.new("nope")
    assert js.btoa("hello") == "aGVsbG8=" and js.atob(" aGVs bG8 ") == "hello" and js.atob("aGk") == "hi"
    with pytest.raises(DOMException, match="only operate on characters in the Latin1") as caught:
        js.btoa("€")
    assert caught.value.name == "InvalidCharacterError"
    with pytest.raises(DOMException, match="atob\\(\\) called with invalid base64-encoded data"):
        js.atob("a")


TIMER_WORKER = """
    from js import AbortSignal, clearTimeout, scheduler, setInterval, setTimeout
    from workers import Response, WorkerEntrypoint

    fired = []

    async def later(tag):
        fired.append(tag)

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            path = request.url.rsplit("/", 1)[1]
            if path == "start":
                setTimeout(lambda: fired.append("5s"), 5000)
                setTimeout(later, 1000, "1s async")
                cancelled = setTimeout(lambda: fired.append("never"), 2000)
                clearTimeout(cancelled)
                self.interval = setInterval(lambda: fired.append("tick"), 3000)
                signal = AbortSignal.timeout(4000)
                signal.addEventListener("abort", lambda event: fired.append(signal.reason.name))
                return Response("started")
            if path == "wait":
                await scheduler.wait(10_000)
                return Response("waited")
            return Response(",".join(fired))
"""


async def test_timers_fire_on_pyflares_clock_not_on_real_time(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": TIMER_WORKER}, clock="manual")
    await mf.dispatch_fetch("/start")
    assert (await mf.dispatch_fetch("/fired")).text == ""
    mf.clock.advance(seconds=1)
    await mf.idle()
    assert (await mf.dispatch_fetch("/fired")).text == "1s async"
    mf.clock.advance(seconds=5)
    await mf.idle()
    assert (await mf.dispatch_fetch("/fired")).text == "1s async,tick,TimeoutError,5s,tick"


async def test_scheduler_wait_waits_on_the_clock(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": TIMER_WORKER}, clock="manual")
    waiting = asyncio.ensure_future(mf.dispatch_fetch("/wait"))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    mf.clock.advance(seconds=10)
    assert (await asyncio.wait_for(waiting, 10)).text == "waited"


def test_event_target_listeners_once_signal_and_errors(pyflare_log):
    target = js.EventTarget.new()
    seen = []
    controller = js.AbortController.new()
    target.addEventListener("ping", lambda e: seen.append(("fn", e.type)))
    target.addEventListener("ping", JsDict(handleEvent=lambda e: seen.append(("object", e.detail))), once=True)
    target.addEventListener("ping", lambda e: seen.append("removed by abort"), signal=controller.signal)
    target.addEventListener("ping", lambda e: 1 / 0)
    controller.abort()
    assert target.dispatchEvent(js.CustomEvent.new("ping", detail=7)) is True
    target.dispatchEvent(js.Event.new("ping"))
    assert seen == [("fn", "ping"), ("object", 7), ("fn", "ping")]
    assert "ZeroDivisionError" in pyflare_log.text or "division by zero" in pyflare_log.text
    assert controller.signal.aborted and controller.signal.reason.name == "AbortError"
    with pytest.raises(TypeError, match="options.passive must be false"):
        target.addEventListener("x", print, passive=True)
    with pytest.raises(TypeError, match="Illegal constructor"):
        js.FetchEvent.new("fetch")


async def test_message_channel_delivers_structured_clones_later():
    channel = js.MessageChannel.new()
    received = []
    channel.port2.onmessage = lambda event: received.append(event.data)
    sent = {"a": [1, 2]}
    channel.port1.postMessage(sent)
    assert received == []
    await asyncio.sleep(0)
    assert received == [{"a": [1, 2]}] and received[0] is not sent


async def test_event_source_reads_events_from_a_stream():
    body = "retry: 5000\ndata: one\n\nevent: custom\nid: 7\ndata: a\ndata: b\n\n: comment\n\n"
    source = js.EventSource.from_(js.ReadableStream.from_([to_js(body[:20].encode()), to_js(body[20:].encode())]))
    got = []
    source.onmessage = lambda event: got.append(("message", event.data))
    source.addEventListener("custom", lambda event: got.append(("custom", event.data, event.lastEventId)))
    source.onerror = lambda event: got.append("error")
    await asyncio.sleep(0.05)
    assert got == [("message", "one"), ("custom", "a\nb", "7"), "error"]
    assert source.readyState == js.EventSource.CLOSED


async def test_event_source_connects_with_fetch_and_refuses_a_wrong_content_type(start_worker):
    mf = await start_worker(CONFIG + '[[services]]\nbinding = "SELF"\nservice = "t"\n', {"src/entry.py": """
        import asyncio
        from js import EventSource
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                path = request.url.rsplit("/", 1)[1]
                if path == "events":
                    return Response("data: hello\\n\\n", headers={"content-type": "text/event-stream"})
                if path == "plain":
                    return Response("data: hello\\n\\n")
                got = []
                target = "http://self/" + ("events" if path == "ok" else "plain")
                source = EventSource.new(target, fetcher=self.env.SELF)
                source.onmessage = lambda event: got.append(event.data)
                source.onerror = lambda event: got.append(f"error: {event.error}")
                for _ in range(50):
                    await asyncio.sleep(0.01)
                    if got:
                        break
                source.close()
                return Response(got[0] if got else "nothing")
    """})
    assert (await mf.dispatch_fetch("/ok")).text == "hello"
    assert (await mf.dispatch_fetch("/bad")).text == ("error: The content type 'text/plain;charset=UTF-8' is "
                                                      "invalid.")
