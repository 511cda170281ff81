"""Email, locally: the ``send_email`` binding (``[[send_email]] name, destination_address?,
allowed_destination_addresses?, allowed_sender_addresses?``) and the worker's ``email()`` handler, driven by
``POST /cdn-cgi/local/email?from=&to=`` as in wrangler dev.

Nothing leaves the machine: sent, forwarded and replied messages are written as ``.eml`` files under
``<state>/email/`` (any mail client opens them), and the log names each file. Layout: ``constants``
(limits), ``errors`` (texts), ``message`` (MIME reading and building with the standard library),
``outbox`` (the files), ``outgoing`` (the binding), ``incoming`` (the handler's message and the endpoint),
this module (the plugin and :func:`endpoint_for`).
"""

from __future__ import annotations

from typing import Any

from pyflare.bindings.email import constants as c
from pyflare.bindings.email.errors import EmailError
from pyflare.bindings.email.incoming import EmailEndpoint, ForwardableEmailMessage
from pyflare.bindings.email.outbox import Delivered, Outbox
from pyflare.bindings.email.outgoing import SendEmail
from pyflare.kernel.stash import StashKey
from pyflare.runtime.plugin import Platform, Plugin
from pyflare.workers.email import EmailMessage

__all__ = ["Delivered", "EmailEndpoint", "EmailError", "EmailMessage", "EmailPlugin", "ForwardableEmailMessage",
           "Outbox", "SendEmail", "create", "endpoint_for", "outbox_for"]

OUTBOX = StashKey[Outbox]("email outbox")  # one outbox for every worker of a pyflare


def outbox_for(platform: Platform) -> Outbox:
    """The folder sent, forwarded and replied messages are written to, and the list of them."""
    outbox = platform.shared.get(OUTBOX, None)
    if outbox is None:
        outbox = platform.shared[OUTBOX] = Outbox(platform.storage.folder(c.PLUGIN))
    return outbox


class EmailPlugin(Plugin):
    """The ``send_email`` bindings of one worker."""

    def __init__(self, platform: Platform) -> None:
        self.outbox = outbox_for(platform)
        self.senders = {
            entry.name: SendEmail(entry.name, self.outbox, destination_address=entry.destination_address,
                                  allowed_destination_addresses=entry.allowed_destination_addresses,
                                  allowed_sender_addresses=entry.allowed_sender_addresses)
            for entry in platform.config.worker.send_email
        }

    def bindings(self) -> dict[str, Any]:
        return dict(self.senders)

    @property
    def delivered(self) -> list[Delivered]:
        """Every message written to the outbox (sent, forwarded, replied), oldest first."""
        return self.outbox.delivered


def endpoint_for(platform: Platform) -> EmailEndpoint:
    """``/cdn-cgi/local/email`` (:data:`constants.EMAIL_PATH`) for the worker of ``platform``."""
    return EmailEndpoint(platform.runtime, outbox_for(platform), platform.clock)


def create(platform: Platform) -> EmailPlugin | None:
    return EmailPlugin(platform) if platform.config.worker.send_email else None
