"""Durable Object helpers for tests, named after Cloudflare's vitest pool (runInDurableObject...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyflare.bindings.durable_objects import DurableObjectId, DurableObjectNamespace, DurableObjectStub
from pyflare.bindings.durable_objects.namespace import namespace_host
from pyflare.bindings.durable_objects.state import STATE
from pyflare.bindings.durable_objects.stub import stub_target
from pyflare.kernel.context import call_as


async def run_in_durable_object(stub: DurableObjectStub, fn: Callable[[Any, Any], Any]) -> Any:
    """Run ``fn(instance, ctx)`` inside the object (through its input gate, constructing it if needed);
    returns what ``fn`` returns (awaited if it is awaitable)."""
    host, address = stub_target(stub)
    async with host.layer.enter(address) as live:
        return await call_as(host.runtime.worker, fn, live.instance, live.stash[STATE])


async def run_durable_object_alarm(stub: DurableObjectStub) -> bool:
    """Run the object's scheduled alarm now, whether due or not, and remove it unless the handler set a new
    one; False if no alarm is scheduled. A failing alarm() is scheduled for retry, as when it fires."""
    host, address = stub_target(stub)
    return await host.layer.run_alarm(address)


def evict_durable_object(stub: DurableObjectStub) -> bool:
    """Drop the live instance as idle eviction would (storage and alarm stay); False if it was not live."""
    host, address = stub_target(stub)
    return host.layer.evict(address)


def list_durable_object_ids(namespace: DurableObjectNamespace) -> list[DurableObjectId]:
    """Ids of the namespace's objects that have storage."""
    host = namespace_host(namespace)
    return [namespace.idFromString(object_id) for object_id in host.layer.ids(host.worker, host.class_name)]


__all__ = ["evict_durable_object", "list_durable_object_ids", "run_durable_object_alarm", "run_in_durable_object"]
