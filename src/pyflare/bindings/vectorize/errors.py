"""Vectorize's errors, with the texts Cloudflare's runtime and service give.

On Cloudflare the binding (workerd's ``cloudflare-internal:vectorize-api``) sends each call to the Vectorize
service; a refusal comes back as ``{"code": N, "error": "..."}`` and the binding throws a plain JavaScript
``Error`` whose message is ``<OPERATION>_ERROR (code = N): <error>`` (``VECTOR_QUERY_ERROR``,
``VECTOR_INSERT_ERROR``, ``VECTOR_UPSERT_ERROR``, ``VECTOR_GET_ERROR``, ``VECTOR_DELETE_ERROR``,
``INDEX_GET_ERROR``). Here that is :class:`VectorizeError`, so ``except Exception`` catches it as
``catch (e)`` does and ``str(e)`` is Cloudflare's message.

The service is not open source. The texts marked *observed* below are production messages quoted verbatim
in public projects' code and notes (2025-2026); the others are pyflare's wording in the service's style
(code and text not observed) and say so, so a test asserting them should match on the meaning, not the text.
"""

from __future__ import annotations

# -- operations (workerd's Operation names) --------------------------------------------------------
INDEX_GET = "INDEX_GET"
VECTOR_QUERY = "VECTOR_QUERY"
VECTOR_INSERT = "VECTOR_INSERT"
VECTOR_UPSERT = "VECTOR_UPSERT"
VECTOR_GET = "VECTOR_GET"
VECTOR_DELETE = "VECTOR_DELETE"

# -- the service's refusals: (code, text) ---------------------------------------------------------
# observed: "VECTOR_QUERY_ERROR (code = 40006): invalid query vector, expected 768 dimensions, and got 0 dimensions"
QUERY_DIMENSIONS = (40006, "invalid query vector, expected {expected} dimensions, and got {got} dimensions")
# observed: "VECTOR_GET_ERROR (code = 40007): too many ids in payload; max id count is 20, got 34" (and
# VECTOR_DELETE_ERROR with 100)
TOO_MANY_IDS = (40007, "too many ids in payload; max id count is {max}, got {got}")
# observed: "VECTOR_UPSERT_ERROR (code = 40008): id too long; max is 64 bytes, got 74 bytes"
ID_TOO_LONG = (40008, "id too long; max is {max} bytes, got {got} bytes")
# observed: 'VECTOR_INSERT_ERROR (code = 40012): invalid vector for id="test.txt-chunk-0", expected 768
# dimensions, and got 1024 dimensions'
VECTOR_DIMENSIONS = (40012, 'invalid vector for id="{id}", expected {expected} dimensions, and got {got} dimensions')
# observed: "VECTOR_UPSERT_ERROR (code = 40023): failed to parse upsert vectors request in json format" (what a
# vector that JSON cannot carry gets: a value that is not a number, NaN, an id that is not a string...)
PARSE_VECTORS = (40023, "failed to parse {kind} vectors request in json format")
# observed: "VECTOR_QUERY_ERROR (code = 40025): with returnValues=true or returnMetadata=all, max top K is 50,
# but got 100; for a top K up to 100, retry with returnValues=false and returnMetadata=indexed"
TOP_K_WITH_PAYLOAD = (40025, "with returnValues=true or returnMetadata=all, max top K is {max}, but got {got}; "
                             "for a top K up to {limit}, retry with returnValues=false and returnMetadata=indexed")
# observed text "max top K is 100" (topK=200, returnMetadata=none); the code and the ", but got N" tail are
# inferred from the message above
TOP_K = (40025, "max top K is {max}, but got {got}")
# observed: "VECTOR_QUERY_ERROR (code = 40026): Failed to parse the request body as JSON: returnMetadata:
# expected value" (returnMetadata=false: workerd only converts a true boolean); other fields: same shape
PARSE_QUERY = (40026, "Failed to parse the request body as JSON: {field}: expected value")
# not observed (pyflare's wording):
INVALID_TOP_K = (40025, "invalid topK; it must be a whole number from 1 to {max}, got {got}")
NAMESPACE_TOO_LONG = (40009, "namespace too long; max is {max} bytes, got {got} bytes")
TOO_MANY_VECTORS = (40007, "too many vectors in payload; max vector count is {max}, got {got}")
EMPTY_ID = (40008, "id too short; ids must not be empty")
METADATA_TOO_LARGE = (40010, 'metadata too large for id="{id}"; max is {max} bytes of JSON, got {got} bytes')
INVALID_METADATA = (40011, 'invalid metadata for id="{id}": {why}')
TOO_MANY_NAMESPACES = (40013, "too many namespaces; an index holds at most {max} namespaces")
INDEX_FULL = (40014, "index is full; an index holds at most {max} vectors")
INVALID_FILTER = (40027, "invalid filter: {why}")

# -- errors of workerd itself (before any request): a plain Error, pyflare.kernel.jserrors.JsException --
# src/cloudflare/internal/vectorize-api.ts, queryImplV2
BAD_RETURN_METADATA = ('Invalid returnMetadata option. Expected: true, false, "none", "indexed" or "all"; '
                       "got: {got}")


class VectorizeError(Exception):
    """A call the Vectorize service refused: ``VECTOR_QUERY_ERROR (code = 40006): invalid query vector...``."""

    def __init__(self, operation: str, code: int, message: str) -> None:
        self.operation = operation
        self.code = code
        self.detail = message
        super().__init__(f"{operation}_ERROR (code = {code}): {message}")


def refuse(operation: str, error: tuple[int, str], **fields: object) -> VectorizeError:
    """The :class:`VectorizeError` for one of the (code, text) pairs above, its text filled in."""
    code, text = error
    return VectorizeError(operation, code, text.format(**fields))


class IndexNotFoundError(LookupError):
    """The bound index does not exist in local state (create it, or declare it in the config)."""


class IndexConfigMismatchError(ValueError):
    """The config declares an index with other dimensions or metric than the stored one."""


class VectorizeApiError(Exception):
    """A refusal of Vectorize's REST API (what ``wrangler vectorize`` and ``pyflare vectorize`` print):
    ``<message> [code: N]``."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.detail = message
        super().__init__(f"{message} [code: {code}]")


# REST API codes (probed against the live API by public projects): 3000 not found, 3002 already exists,
# 40005 metadata index not found. The texts are pyflare's.
API_INDEX_NOT_FOUND = 3000
API_INDEX_EXISTS = 3002
API_METADATA_INDEX_NOT_FOUND = 40005
API_BAD_REQUEST = 40001  # a malformed create request (pyflare's code for what the API refuses as invalid)
