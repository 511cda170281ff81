"""WebSockets: close and error semantics on the two ends of a WebSocketPair (codes, reasons, order)."""

from __future__ import annotations

from conformance.ops import call as _call
from conformance.ops import sequence, ws_events, ws_pair


def call(*args, **kwargs):
    return _call(*args, raw=True, **kwargs)  # WebSockets and caches are plain JavaScript objects to Python


def sequences() -> list[dict]:
    s = []

    def add(name, ops):
        s.append(sequence(f"ws-{name}", "websockets", ops))

    def pair(name, *ops):
        return [ws_pair(name), call(f"${name}.server", "accept"), call(f"${name}.client", "accept"), *ops,
                ws_events(f"{name}.server"), ws_events(f"{name}.client")]

    add("messages", pair("p", call("$p.server", "send", "hi"), call("$p.client", "send", b"\x01\x02"),
                         call("$p.client", "send", ""), call("$p.server", "send", 5)))
    add("close", pair("p", call("$p.client", "close", 1000, "bye")))
    add("close-default", pair("p", call("$p.client", "close")))
    add("close-codes", [
        *pair("a", call("$a.client", "close", 999, "x")), *pair("b", call("$b.client", "close", 1005)),
        *pair("c", call("$c.client", "close", 1006)), *pair("d", call("$d.client", "close", 1015)),
        *pair("e", call("$e.client", "close", 3000, "app")), *pair("f", call("$f.client", "close", 4999)),
        *pair("g", call("$g.client", "close", 5000)), *pair("h", call("$h.client", "close", 1001, "x" * 123)),
        *pair("i", call("$i.client", "close", 1001, "x" * 124)), *pair("j", call("$j.client", "close", None, "r")),
        *pair("k", call("$k.client", "close", "1000")), *pair("l", call("$l.client", "close", 1000.5)),
        *pair("m", call("$m.client", "close", 1004)), *pair("n", call("$n.client", "close", 2999)),
        *pair("o", call("$o.client", "close", 1012)), *pair("q", call("$q.client", "close", 1014)),
    ])
    add("after-close", pair("p", call("$p.client", "close", 1000), call("$p.client", "send", "late"),
                            call("$p.client", "close", 1000), call("$p.server", "send", "reply"),
                            call("$p.server", "close", 1000, "ok"), call("$p.server", "send", "later")))
    add("unaccepted", [
        ws_pair("p"), call("$p.server", "send", "x"), call("$p.server", "close", 1000),
        call("$p.client", "accept"), call("$p.client", "accept"), ws_events("p.client"), ws_events("p.server"),
    ])
    add("ready-state", [
        ws_pair("p"), call("$p.server", "accept"), call("$p.client", "accept"), ws_events("p.client"),
        call("$p.server", "close", 1000), ws_events("p.server"), ws_events("p.client"),
    ])
    return s
