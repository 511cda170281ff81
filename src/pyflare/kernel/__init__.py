"""The kernel: what every other part of pyflare stands on, importing nothing else of pyflare.

- :mod:`.clock`: the one clock (real time plus an offset tests move, or a manual clock) and its timers.
- :mod:`.background`: tracked background work (``waitUntil``, consumers, timers), waited for at shutdown.
- :mod:`.context`: which worker's code the current task runs (``current_worker``), and :func:`~.context.call_as`,
  the one way pyflare calls into a worker's code.
- :mod:`.stash`: typed keys for per-plugin and per-object state (pytest's ``StashKey`` model).
- :mod:`.jsdict`: ``JsDict``, the dict with attribute access that stands for a JavaScript object.
- :mod:`.jserrors`: the one hierarchy of JavaScript errors worker code sees (``RangeError``, ``DOMException``,
  ``DataCloneError``...).
- :mod:`.jsvalues`: how a Python value looks once it crosses into JavaScript (strings, WebIDL integers, JSON, dates).
- :mod:`.jsobjects`: ``JsProxy`` and the JavaScript values held in Python as Pyodide shows them: arrays, Maps,
  Sets, ``ArrayBuffer`` and the typed arrays; :mod:`.jsdate` (``Date`` on the clock), :mod:`.jspromise`
  (``Promise``).
- :mod:`.clone`: the one structured clone (the copy V8 makes, and its serialized size) behind RPC, queue
  messages, WebSocket attachments and Durable Object storage.
"""
