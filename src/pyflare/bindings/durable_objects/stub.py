"""Stubs: ``await stub.fetch(url | Request)`` and ``await stub.any_public_method(...)`` (Workers RPC)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyflare.bindings.durable_objects.host import ClassHost
    from pyflare.bindings.durable_objects.namespace import DurableObjectId
    from pyflare.objects import ObjectAddress


class DurableObjectStub:
    """A client for one object. Every call is delivered through the object's input gate."""

    __slots__ = ("_host", "id", "name", "_address")

    def __init__(self, host: ClassHost, object_id: DurableObjectId) -> None:
        self._host = host
        self.id = object_id
        self.name = object_id.name
        self._address = host.address(object_id.toString(), object_id.name)

    def __repr__(self) -> str:
        return f"DurableObjectStub({self._host.class_name}, {self.id.toString()})"

    async def fetch(self, input: Any, init: Any = None, /, **kwargs: Any) -> Any:  # noqa: A002 - Cloudflare's name
        return await self._host.fetch(self._address, input, init, kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        host, address = self._host, self._address

        def call(*args: Any, **kwargs: Any) -> Any:
            return host.call(address, name, args, kwargs)

        call.__name__ = name
        return call


def stub_target(stub: DurableObjectStub) -> tuple[ClassHost, ObjectAddress]:
    """The class host and the object a stub calls (for pyflare's own tools: the testing helpers). Not an
    attribute of the stub: every public attribute name of a stub is an RPC method of the object."""
    return stub._host, stub._address
