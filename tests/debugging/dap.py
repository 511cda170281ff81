"""A minimal Debug Adapter Protocol client: what VS Code does when it attaches to debugpy, as a test helper.

Messages are JSON bodies framed by a ``Content-Length`` header; requests get responses (matched by
``request_seq``); the debugger also sends events (``initialized``, ``stopped``...) at any time, which are
kept until a test waits for them.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any


class DapClient:
    def __init__(self, host: str, port: int, *, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:  # debugpy's adapter starts in a subprocess: it may not accept connections at once
            try:
                self.sock = socket.create_connection((host, port), timeout=timeout)
                break
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.timeout = timeout
        self.seq = 0
        self.buffer = b""
        self.received: list[dict[str, Any]] = []
        self.transcript: list[str] = []  # one line per message, for a readable session log

    def close(self) -> None:
        self.sock.close()

    def send(self, command: str, **arguments: Any) -> int:
        self.seq += 1
        body = json.dumps({"seq": self.seq, "type": "request", "command": command, "arguments": arguments})
        self.sock.sendall(f"Content-Length: {len(body.encode())}\r\n\r\n".encode() + body.encode())
        self.transcript.append(f"-> {command} {json.dumps(arguments)[:160]}")
        return self.seq

    def _read(self) -> dict[str, Any]:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        header, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        length = int(next(line.split(b":")[1] for line in header.split(b"\r\n")
                          if line.lower().startswith(b"content-length")))
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        message = json.loads(body)
        kind = message.get("event") or message.get("command")
        self.transcript.append(f"<- {message['type']} {kind} {json.dumps(message.get('body', {}))[:160]}")
        return message

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the debugger closed the connection")
        self.buffer += chunk

    def wait_for(self, matches: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        for message in self.received:
            if matches(message):
                self.received.remove(message)
                return message
        self.sock.settimeout(self.timeout)
        while True:
            message = self._read()
            if matches(message):
                return message
            self.received.append(message)

    def response(self, seq: int) -> dict[str, Any]:
        message = self.wait_for(lambda m: m["type"] == "response" and m["request_seq"] == seq)
        if not message.get("success"):
            raise AssertionError(f"{message.get('command')} failed: {message.get('message')}")
        return message

    def request(self, command: str, **arguments: Any) -> dict[str, Any]:
        return self.response(self.send(command, **arguments))

    def event(self, name: str) -> dict[str, Any]:
        return self.wait_for(lambda m: m["type"] == "event" and m["event"] == name)

    def attach(self, breakpoints: dict[str, list[int]]) -> None:
        """VS Code's Remote Attach: initialize, attach, set the breakpoints, configurationDone."""
        self.request("initialize", clientID="pyflare-tests", adapterID="debugpy", pathFormat="path",
                     linesStartAt1=True, columnsStartAt1=True)
        attach = self.send("attach", justMyCode=True)
        self.event("initialized")
        for path, lines in breakpoints.items():
            reply = self.request("setBreakpoints", source={"path": path},
                                 breakpoints=[{"line": line} for line in lines])
            assert all(b["verified"] for b in reply["body"]["breakpoints"]), reply
        self.request("configurationDone")
        self.response(attach)
