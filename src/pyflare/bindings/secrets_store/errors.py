"""Secrets Store's errors, with the texts wrangler and the binding give."""

from __future__ import annotations

from pyflare.kernel.jserrors import JsException

NAME_TEXT = "Secret name may only contain alphanumeric characters, underscores, or dashes."
VALUE_TOO_LONG = ("Secret value cannot exceed {max} bytes (got {got}). The Cloudflare API rejects longer values, "
                  "and a binding to such a secret will fail at deploy time.")
NOT_FOUND = 'Secret "{name}" not found'  # what env.SECRET.get() throws (Miniflare's binding)


class SecretsStoreError(JsException):
    """The plain JavaScript ``Error`` the binding throws (``await env.SECRET.get()`` of a missing secret)."""


class SecretsStoreApiError(Exception):
    """A refusal of the store's management API (the CLI, the explorer, the test helper)."""
