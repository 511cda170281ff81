"""Email's errors, with Miniflare's texts (production's where they are known to be the same)."""

from __future__ import annotations

from pyflare.kernel.jserrors import JsException

NOT_ALLOWED_TO = "email to {address} not allowed"
NOT_ALLOWED_FROM = "email from {address} not allowed"
COULD_NOT_PARSE = "could not parse email: {reason}"
INVALID_MESSAGE_ID = "invalid message-id"
FROM_MISMATCH = "From: header does not match mail from"
INVALID_HEADERS = "invalid headers set"
NOT_REPLYABLE = "Original email is not replyable"
NO_IN_REPLY_TO = "no In-Reply-To header found in reply message"
IN_REPLY_TO_MISMATCH = "In-Reply-To does not match original Message-ID"
BAD_REFERENCES = "provided References header is invalid"
TOO_BIG = "email is bigger than the 25 MiB message size limit ({size} bytes)"

# The local endpoint's answers (Miniflare's texts).
ENDPOINT_INVALID = ("Invalid email. Your request must include URL parameters specifying the `from` and `to` "
                    "addresses, as well as an email in the body")
ENDPOINT_TOO_BIG = "Email message size is bigger than the production size limit of 25MiB."
ENDPOINT_UNPARSABLE = "Email could not be parsed: {reason}"
ENDPOINT_NO_MESSAGE_ID = "Email could not be parsed: invalid or no message id provided"
ENDPOINT_REJECTED = "Worker rejected email with the following reason: {reason}"
ENDPOINT_OK = "Worker successfully processed email"


class EmailError(JsException):
    """The JavaScript ``Error`` the email APIs throw."""
