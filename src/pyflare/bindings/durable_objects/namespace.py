"""``env.NAMESPACE``: ids (``idFromName``, ``newUniqueId``, ``idFromString``) and stubs (``get``, ``getByName``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyflare.bindings.durable_objects import constants as C
from pyflare.bindings.durable_objects import validation
from pyflare.objects import ObjectAddress, id_from_name, new_unique_id

if TYPE_CHECKING:
    from pyflare.bindings.durable_objects.host import ClassHost
    from pyflare.bindings.durable_objects.stub import DurableObjectStub


class DurableObjectId:
    """An object's id: ``toString()`` is 64 hex digits; ``name`` is set for ids made by ``idFromName``."""

    __slots__ = ("_hex", "name", "_namespace")

    def __init__(self, hex_id: str, name: str | None, namespace: str) -> None:
        self._hex = hex_id
        self.name = name
        self._namespace = namespace

    def toString(self) -> str:  # noqa: N802 - Cloudflare's name
        return self._hex

    to_string = toString

    def equals(self, other: Any) -> bool:
        return isinstance(other, DurableObjectId) and other._hex == self._hex

    def __eq__(self, other: object) -> bool:
        return self.equals(other)

    def __hash__(self) -> int:
        return hash(self._hex)

    def __str__(self) -> str:
        return self._hex

    def __repr__(self) -> str:
        return f"DurableObjectId({self._hex!r}{f', name={self.name!r}' if self.name is not None else ''})"


class DurableObjectNamespace:
    """A ``[[durable_objects.bindings]]`` entry: the objects of one class."""

    def __init__(self, host: ClassHost, binding: str, jurisdiction: str | None = None) -> None:
        self._host = host
        self._binding = binding
        self._jurisdiction = jurisdiction
        self._key = host.namespace_key
        self._stubs: dict[tuple[str, str | None], DurableObjectStub] = {}

    def __repr__(self) -> str:
        return f"DurableObjectNamespace({self._binding!r}, class {self._host.class_name!r})"

    @property
    def class_name(self) -> str:
        return self._host.class_name

    @property
    def banner_mode(self) -> str:
        """``local``; for a class of another pyflare process, whether the dev registry has it now."""
        return getattr(self._host, "banner_mode", "local")

    def idFromName(self, name: str) -> DurableObjectId:  # noqa: N802
        name = validation.check_name(name)
        return DurableObjectId(id_from_name(self._key, name), name, self._key)

    def newUniqueId(self, options: Any = None, /, **kwargs: Any) -> DurableObjectId:  # noqa: N802
        opts = {**(dict(options) if options else {}), **kwargs}
        if opts.get("jurisdiction") is not None:
            raise TypeError(C.JURISDICTION)
        return DurableObjectId(new_unique_id(self._key), None, self._key)

    def idFromString(self, text: str) -> DurableObjectId:  # noqa: N802
        return DurableObjectId(validation.check_id_string(text, self._key), None, self._key)

    def get(self, object_id: DurableObjectId, options: Any = None, /, **kwargs: Any) -> DurableObjectStub:
        """A stub for the object; ``locationHint`` and ``routingMode`` are accepted and ignored locally."""
        if not isinstance(object_id, DurableObjectId):
            raise TypeError(f"get() takes a DurableObjectId (from idFromName/newUniqueId/idFromString), "
                            f"not {type(object_id).__name__}")
        if object_id._namespace != self._key:
            raise TypeError("Durable Object ID is not valid for this namespace.")
        return self._stub(object_id)

    def getByName(self, name: str, options: Any = None, /, **kwargs: Any) -> DurableObjectStub:  # noqa: N802
        return self._stub(self.idFromName(name))

    def _stub(self, object_id: DurableObjectId) -> DurableObjectStub:
        from pyflare.bindings.durable_objects.stub import DurableObjectStub

        return DurableObjectStub(self._host, object_id)

    def jurisdiction(self, name: str) -> DurableObjectNamespace:
        raise TypeError(C.JURISDICTION)

    # snake_case aliases some Python code uses
    id_from_name = idFromName
    new_unique_id = newUniqueId
    id_from_string = idFromString
    get_by_name = getByName

    # -- for pyflare.testing and tools ------------------------------------------------------------
    def _address(self, object_id: DurableObjectId) -> ObjectAddress:
        return self._host.address(object_id.toString())


def namespace_host(namespace: DurableObjectNamespace) -> ClassHost:
    """The class host behind a namespace (for pyflare's own tools: the testing helpers)."""
    return namespace._host
