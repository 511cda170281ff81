"""The bundled examples/email worker: triage of incoming mail, and a contact form that sends mail."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from pyflare import Pyflare
from pyflare.bindings.email import EmailPlugin

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "email"
QUESTION = (b"From: ann@example.com\r\nTo: support@example.com\r\nSubject: Help\r\nMessage-ID: <1@example.com>\r\n"
            b"\r\nMy order is late\r\n")


async def test_support_mail_is_forwarded_and_answered_other_mail_rejected():
    async with Pyflare(EXAMPLE, clock="manual") as mf:
        url = "/cdn-cgi/handler/email?from=ann@example.com&to=support@example.com"
        assert (await mf.dispatch_fetch(url, method="POST", content=QUESTION)).status_code == 200
        forward, reply = mf.plugin(EmailPlugin).delivered
        assert forward.kind == "forward" and forward.recipients == ("team@example.com",)
        answer = email.message_from_bytes(reply.read(), policy=email.policy.default)
        assert (answer["To"], answer["In-Reply-To"], answer["References"]) == (
            "ann@example.com", "<1@example.com>", "<1@example.com>")

        other = await mf.dispatch_fetch("/cdn-cgi/handler/email?from=ann@example.com&to=sales@example.com",
                                        method="POST", content=QUESTION.replace(b"support@", b"sales@"))
        assert (other.status_code, other.text) == (
            400, "Worker rejected email with the following reason: Unknown address sales@example.com")


async def test_the_contact_form_sends_to_the_team():
    async with Pyflare(EXAMPLE, clock="manual") as mf:
        sent = await mf.dispatch_fetch("/contact", method="POST", content=b"email=bo%40example.com&message=Hello")
        assert sent.status_code == 202 and sent.json()["sent"].endswith("@example.com>")
        [mail] = mf.plugin(EmailPlugin).delivered
        parsed = email.message_from_bytes(mail.read(), policy=email.policy.default)
        assert (parsed["To"], parsed["Reply-To"]) == ("team@example.com", "bo@example.com")
        assert parsed.get_content().strip() == "Hello"
