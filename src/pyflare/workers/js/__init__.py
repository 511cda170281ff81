"""Pyodide's ``js`` module under pyflare: the global scope of a Python Worker on Cloudflare.

``from js import URL, Response, crypto`` gives what a Python Worker gets on Cloudflare (workerd's global
scope, src/workerd/api/global-scope.h, plus the JavaScript language's globals), with Pyodide's calling
conventions: ``X.new(...)`` constructs, keyword arguments become the trailing options object
(``Response.new(body, status=201)``), JavaScript values reach Python as ``JsProxy``-like objects
(:mod:`pyflare.kernel.jsobjects`). docs/python-workers.md has the table of every name and its status.

Names are loaded on first use (a module attribute looked up lazily), so a worker that imports
``Response`` does not pay for ``crypto.subtle`` (which loads the ``cryptography`` library) or ``URLPattern``.
A global that Cloudflare has but pyflare cannot provide is still importable; using it raises an error
that names it and says why.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> (module under pyflare.workers.js, attribute there)
_GLOBALS: dict[str, tuple[str, str]] = {}


def _register(module: str, names: str, **renamed: str) -> None:
    for name in names.split():
        _GLOBALS[name] = (module, name)
    for name, attribute in renamed.items():
        _GLOBALS[name] = (module, attribute)


_register("_language", "Object Array Map Set WeakMap WeakSet WeakRef FinalizationRegistry JSON Math Number String "
          "Boolean BigInt Symbol Date Promise Error AggregateError Function encodeURIComponent decodeURIComponent "
          "encodeURI decodeURI isNaN isFinite parseInt parseFloat NaN Infinity undefined",
          TypeError="TypeError_", RangeError="RangeError_", SyntaxError="SyntaxError_",
          ReferenceError="ReferenceError_", EvalError="EvalError_", URIError="URIError_", eval="eval_")
_register("_binary", "ArrayBuffer DataView Int8Array Uint8Array Uint8ClampedArray Int16Array Uint16Array Int32Array "
          "Uint32Array Float32Array Float64Array BigInt64Array BigUint64Array")
_register("_console", "console")
_register("_encoding", "TextEncoder TextDecoder atob btoa")
_register("_url", "URL URLSearchParams")
_register("_urlpattern", "URLPattern")
_register("_events", "Event EventTarget CustomEvent AbortController AbortSignal DOMException ErrorEvent "
          "PromiseRejectionEvent ExtendableEvent FetchEvent ScheduledEvent TailEvent TraceEvent MessageEvent "
          "CloseEvent MessageChannel MessagePort")
_register("_timers", "setTimeout clearTimeout setInterval clearInterval queueMicrotask scheduler performance "
          "Performance structuredClone reportError navigator Navigator Cloudflare origin")
_register("_crypto", "crypto Crypto SubtleCrypto CryptoKey")
_register("_streams", "ReadableStream ReadableStreamDefaultReader ReadableStreamBYOBReader WritableStream "
          "WritableStreamDefaultWriter TransformStream IdentityTransformStream FixedLengthStream "
          "CountQueuingStrategy ByteLengthQueuingStrategy ReadableStreamDefaultController "
          "ReadableByteStreamController ReadableStreamBYOBRequest WritableStreamDefaultController "
          "TransformStreamDefaultController CompressionStream DecompressionStream TextEncoderStream "
          "TextDecoderStream")
_register("_fetchapi", "Request Response Headers fetch Blob File FormData")
_register("_platform", "caches CacheStorage Cache WebSocket WebSocketPair WebSocketRequestResponsePair HTMLRewriter "
          "EventSource globalThis self WorkerGlobalScope")

# Globals of Cloudflare's runtime (or of JavaScript) that pyflare does not provide, and why.
UNAVAILABLE: dict[str, str] = {
    "WebAssembly": "Python Workers cannot load WebAssembly modules of their own through js (Cloudflare also "
                   "refuses to compile WebAssembly from bytes at run time)",
    "RegExp": "JavaScript regular expressions are not emulated: use Python's re",
    "Intl": "JavaScript's Intl (locale-aware formatting) is not emulated: use Python's locale or babel",
    "Reflect": "JavaScript's Reflect operates on JavaScript objects, which pyflare does not have",
    "Proxy": "JavaScript's Proxy operates on JavaScript objects, which pyflare does not have",
    "SharedArrayBuffer": "not exposed on Cloudflare Workers either (no shared memory between isolates)",
    "Atomics": "only meaningful with SharedArrayBuffer, which Cloudflare Workers do not expose",
    "Iterator": "JavaScript's Iterator helpers are not emulated: use Python's itertools",
    "FileSystemHandle": "Cloudflare exposes it only with the experimental web_file_system flag",
    "FileSystemFileHandle": "Cloudflare exposes it only with the experimental web_file_system flag",
    "FileSystemDirectoryHandle": "Cloudflare exposes it only with the experimental web_file_system flag",
    "FileSystemWritableFileStream": "Cloudflare exposes it only with the experimental web_file_system flag",
    "StorageManager": "Cloudflare exposes it only with the experimental web_file_system flag",
    "Buffer": "a Node.js global (nodejs_compat); Python Workers use Python's bytes",
    "process": "a Node.js global (nodejs_compat); Python Workers use Python's os.environ and the env bindings",
    "global": "a Node.js global (nodejs_compat): use js.globalThis",
    "setImmediate": "a Node.js global (nodejs_compat): use js.setTimeout(callback, 0)",
    "clearImmediate": "a Node.js global (nodejs_compat): use js.clearTimeout",
    "importScripts": "service-worker syntax only; Python Workers are modules",
    "PerformanceMark": "Cloudflare's performance timeline classes are no-ops; pyflare offers performance.now()",
    "PerformanceMeasure": "Cloudflare's performance timeline classes are no-ops; pyflare offers performance.now()",
    "PerformanceEntry": "Cloudflare's performance timeline classes are no-ops; pyflare offers performance.now()",
    "PerformanceObserver": "Cloudflare's performance timeline classes are no-ops; pyflare offers performance.now()",
    "PerformanceObserverEntryList": "Cloudflare's performance timeline classes are no-ops",
    "PerformanceResourceTiming": "Cloudflare's performance timeline classes are no-ops",
}


class Unavailable:
    """A global Cloudflare has and pyflare cannot emulate: importable (feature detection works), and any
    use raises an error that names it and says why."""

    def __init__(self, name: str, reason: str) -> None:
        self._name, self._reason = name, reason

    def _refuse(self, *_: Any, **__: Any) -> Any:
        from pyflare.kernel.jserrors import DOMException

        raise DOMException(f"js.{self._name} is not available in pyflare: {self._reason}", "NotSupportedError")

    __call__ = _refuse

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._refuse()

    def __repr__(self) -> str:
        return f"<js.{self._name}: not available in pyflare>"


def __getattr__(name: str) -> Any:
    where = _GLOBALS.get(name)
    if where is not None:
        module = importlib.import_module(f"{__name__}.{where[0]}")
        value = getattr(module, where[1])
    elif name in UNAVAILABLE:
        value = Unavailable(name, UNAVAILABLE[name])
    else:
        raise AttributeError(f"module 'js' has no attribute {name!r}: no global of that name in a Python Worker "
                             "on Cloudflare (see the js table in pyflare's docs/python-workers.md)")
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(set(_GLOBALS) | set(UNAVAILABLE))


__all__ = sorted(_GLOBALS)
