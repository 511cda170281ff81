"""The JavaScript errors worker code sees, as one hierarchy of Python exceptions.

On Cloudflare's Python Workers an error thrown by JavaScript (the runtime, a binding) reaches Python as
Pyodide's ``pyodide.ffi.JsException``, whose ``name`` says which JavaScript error it is. pyflare raises:

==========================  =====================================================  ==========================
JavaScript error            pyflare raises                                         also catchable as
==========================  =====================================================  ==========================
``TypeError``               Python's ``TypeError``                                 (Python's own class)
``RangeError``              :class:`RangeError`                                    ``JsException``, ``ValueError``
``DOMException``            :class:`DOMException` (``name``: ``InvalidAccessError``,  ``JsException``
                            ``SyntaxError``...)
``DataCloneError``          :class:`DataCloneError` (a ``DOMException``)           ``JsException``, ``TypeError``
``Error`` from a binding    the binding's own class (``R2Error``, ``KVError``,     see each binding's ``errors``
                            ``D1Error``, ``QueueSendError``, ``WebSocketError``...)
any other ``Error``         :class:`JsException`
==========================  =====================================================  ==========================

``str(error)`` is Cloudflare's message; ``error.name`` is the JavaScript class name. A ``TypeError`` stays
Python's own so that ``except TypeError`` works as Python code expects; ``DataCloneError`` is one too, as a
value that cannot be cloned is a wrong argument type to Python code.
"""

from __future__ import annotations

__all__ = ["DOMException", "DataCloneError", "JsException", "RangeError"]


class JsException(Exception):  # noqa: N818 - Pyodide's name
    """An error thrown by JavaScript (Pyodide's ``pyodide.ffi.JsException``); ``name`` is its JavaScript class."""

    js_name = "Error"

    @property
    def name(self) -> str:
        return self.__dict__.get("_name", self.js_name)

    @name.setter
    def name(self, value: str) -> None:
        self.__dict__["_name"] = value

    @property
    def message(self) -> str:
        return str(self)


class RangeError(JsException, ValueError):
    """JavaScript's RangeError: a number or size outside what the API allows."""

    js_name = "RangeError"


class DOMException(JsException):  # noqa: N818 - the web platform's name
    """A DOMException; ``name`` says which (``InvalidAccessError``, ``SyntaxError``, ``DataCloneError``...).

    ``js.DOMException.new(message, name)`` makes one, as ``new DOMException(...)`` does; ``code`` is the legacy
    number of the name (0 for names without one)."""

    def __init__(self, message: str = "", name: str = "Error") -> None:
        super().__init__(message)
        self.name = name

    @classmethod
    def new(cls, message: str = "", name: str = "Error") -> DOMException:
        return DOMException(str(message), str(name))

    @property
    def code(self) -> int:
        return _DOM_CODES.get(self.name, 0)


_DOM_CODES = {
    "IndexSizeError": 1, "HierarchyRequestError": 3, "WrongDocumentError": 4, "InvalidCharacterError": 5,
    "NoModificationAllowedError": 7, "NotFoundError": 8, "NotSupportedError": 9, "InvalidStateError": 11,
    "SyntaxError": 12, "InvalidModificationError": 13, "NamespaceError": 14, "InvalidAccessError": 15,
    "TypeMismatchError": 17, "SecurityError": 18, "NetworkError": 19, "AbortError": 20, "URLMismatchError": 21,
    "QuotaExceededError": 22, "TimeoutError": 23, "InvalidNodeTypeError": 24, "DataCloneError": 25,
}


class DataCloneError(DOMException, TypeError):
    """A value the structured clone algorithm cannot copy (a ``DOMException`` named ``DataCloneError``)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message, "DataCloneError")
