"""A Durable Object class whose state folder other pyflare processes use too: one of them hosts its objects
(:mod:`pyflare.objects.ownership`), the others send their events there.

:class:`SharedClass` is the host's side: :meth:`here` says whether this process hosts the class now, taking
it over when nobody does (the owner stopped or died); :meth:`call` and :meth:`fetch` carry an event to the
owner. Waiting for an owner that is starting, or for a dead one's lock to be taken, is real time (inter-process
plumbing), bounded by :data:`OWNER_WAIT_SECONDS`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pyflare.objects import ObjectAddress
from pyflare.objects.ownership import NamespaceOwnership
from pyflare.peers import PeerGone, Peers, Route, buffered
from pyflare.workers import Request, Response

log = logging.getLogger("pyflare")

OWNER_WAIT_SECONDS = 10.0
_PAUSE = 0.02


class SharedClass:
    """The objects of one class in a state folder several processes use."""

    def __init__(self, ownership: NamespaceOwnership, peers: Peers, can_host: Callable[[], bool],
                 took_over: Callable[[], None]) -> None:
        self.ownership = ownership
        self.peers = peers
        self.can_host = can_host  # this process has the class's code loaded
        self.took_over = took_over

    def here(self) -> bool:
        """Does this process host the class now (taking it if nobody does and it can)?"""
        if self.ownership.owned:
            return True
        if self.peers.url is None or not self.can_host():
            return False
        if self.ownership.claim(self.peers.card()):
            log.info("Durable Object class %s: this process hosts its objects now", self.ownership.namespace)
            self.took_over()
            return True
        return False

    async def _to_owner(self, send: Callable[[Route], Awaitable[Any]]) -> tuple[bool, Any]:
        """``(False, answer)`` from the owner; ``(True, None)`` once this process is the host instead."""
        deadline = time.monotonic() + OWNER_WAIT_SECONDS
        while True:
            if self.here():
                return True, None
            card = self.ownership.owner()
            if card is not None and card.get("url"):
                route = Route(str(card["url"]), str(card.get("instance", "")), str(card.get("token", "")))
                try:
                    return False, await send(route)
                except PeerGone:
                    pass  # it stopped: the next turn takes its place, or finds the new owner
            if time.monotonic() > deadline:
                pid = card.get("pid") if card else None
                raise RuntimeError(f"Durable Object class {self.ownership.namespace}: the pyflare process hosting it"
                                   f"{f' (pid {pid})' if pid else ''} did not answer within {OWNER_WAIT_SECONDS:.0f}s")
            await asyncio.sleep(_PAUSE)

    @staticmethod
    def target(address: ObjectAddress, name: str | None) -> dict[str, Any]:
        return {"kind": "object", "worker": address.worker, "class": address.class_name, "id": address.id,
                "name": name}

    async def call(self, address: ObjectAddress, name: str | None, method: str, args: list[Any],
                   kwargs: dict[str, Any]) -> tuple[bool, Any]:
        payload = {"target": self.target(address, name), "method": method, "args": args, "kwargs": kwargs}
        return await self._to_owner(lambda route: self.peers.call_route(route, "call", payload))

    async def fetch(self, address: ObjectAddress, name: str | None, request: Request) -> tuple[bool, Response | None]:
        request = await buffered(request)  # read once: sent again if the owner was gone
        return await self._to_owner(lambda route: self.peers.fetch_route(route, self.target(address, name), request))
