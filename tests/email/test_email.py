"""send_email and the email() handler: allow-lists, Miniflare's checks and texts, the local endpoint, and the
.eml files a user can open."""

from __future__ import annotations

import email
import email.policy
import logging
from pathlib import Path

import pytest
from tests.conftest import write_worker

from pyflare import Pyflare
from pyflare.bindings.email import EmailError, EmailPlugin
from pyflare.workers.email import EmailMessage

WORKER = '''
from workers import WorkerEntrypoint, Response, import_from_javascript

RAW = """From: Ann <ann@example.com>\\r\\nTo: bob@example.com\\r\\nSubject: Hi\\r\\nMessage-ID: <m1@example.com>\\r\\n\\r\\nHello Bob\\r\\n"""

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        to = request.headers.get("x-to") or "bob@example.com"
        sender = request.headers.get("x-from") or "ann@example.com"
        try:
            if request.url.endswith("/builder"):
                result = await self.env.MAILER.send({"from": {"name": "Ann", "email": sender}, "to": to,
                                                     "subject": "Report", "text": "plain", "html": "<b>rich</b>",
                                                     "attachments": [{"filename": "a.csv", "type": "text/csv",
                                                                      "content": "x,y", "disposition": "attachment"}]})
            else:
                EmailMessage = import_from_javascript("cloudflare:email").EmailMessage
                raw = RAW.replace("ann@example.com", sender).replace("bob@example.com", to)
                result = await self.env.MAILER.send(EmailMessage.new(sender, to, raw))
        except Exception as error:
            return Response(str(error), status=400)
        return Response(result.messageId)

    async def email(self, message):
        subject = message.headers.get("subject")
        if subject == "spam":
            message.setReject("no spam please")
        elif subject == "forward":
            await message.forward("archive@example.com", {"X-Archived": "yes"})
        elif subject == "reply":
            EmailMessage = import_from_javascript("cloudflare:email").EmailMessage
            original = message.headers.get("message-id")
            reply = ("From: support@example.com\\r\\nTo: " + message.from_ + "\\r\\nSubject: Re: reply\\r\\n"
                     "Message-ID: <r1@example.com>\\r\\nIn-Reply-To: " + original + "\\r\\n\\r\\nThanks!\\r\\n")
            await message.reply(EmailMessage.new("support@example.com", message.from_, reply))
        elif subject == "boom":
            raise ValueError("handler failed")
        else:
            assert message.rawSize > 0 and message.to == "help@example.com"
'''

CONFIG = """
name = "mail"
main = "src/entry.py"
[[send_email]]
name = "MAILER"
allowed_destination_addresses = ["bob@example.com", "carol@example.com"]
allowed_sender_addresses = ["ann@example.com"]
"""


def incoming(subject: str, *, sender: str = "dave@example.com", extra: str = "") -> bytes:
    return (f"From: {sender}\r\nTo: help@example.com\r\nSubject: {subject}\r\nMessage-ID: <in-{subject}@example.com>"
            f"\r\n{extra}\r\nBody\r\n").encode()


@pytest.fixture
async def mf(tmp_path: Path):
    config = write_worker(tmp_path / "w", CONFIG, {"src/entry.py": WORKER})
    async with Pyflare(config, clock="manual") as mf:
        yield mf


async def post_email(mf: Pyflare, raw: bytes, *, sender: str = "dave@example.com", to: str = "help@example.com",
                     fmt: str = "", path: str = "/cdn-cgi/handler/email"):
    query = f"?from={sender}&to={to}" + (f"&format={fmt}" if fmt else "")
    return await mf.dispatch_fetch(path + query, method="POST", content=raw)


async def test_a_raw_message_is_sent_to_an_eml_file(mf: Pyflare, caplog) -> None:
    caplog.set_level(logging.INFO, "pyflare")
    response = await mf.dispatch_fetch("/")
    assert response.status_code == 200
    assert response.text.startswith("<") and response.text.endswith("@example.com>")
    assert len(response.text.split("@")[0]) == 37  # "<" + 36 alphanumerics, as production's ids
    [sent] = mf.plugin(EmailPlugin).delivered
    assert sent.kind == "send" and sent.binding == "MAILER" and sent.recipients == ("bob@example.com",)
    parsed = email.message_from_bytes(sent.read(), policy=email.policy.default)
    assert parsed["Subject"] == "Hi" and "Hello Bob" in parsed.get_content()
    assert str(sent.path) in caplog.text and "send_email binding called" in caplog.text
    assert sent.path.parent.name == "email"


async def test_allow_lists_refuse_other_senders_and_recipients(mf: Pyflare) -> None:
    denied_to = await mf.dispatch_fetch("/", headers={"x-to": "eve@example.com"})
    assert (denied_to.status_code, denied_to.text) == (400, "email to eve@example.com not allowed")
    denied_from = await mf.dispatch_fetch("/", headers={"x-from": "mallory@example.com"})
    assert denied_from.text == "email from mallory@example.com not allowed"
    assert (await mf.dispatch_fetch("/", headers={"x-to": "carol@example.com"})).status_code == 200
    assert len(mf.plugin(EmailPlugin).delivered) == 1


async def test_a_message_builder_becomes_a_mime_message(mf: Pyflare) -> None:
    assert (await mf.dispatch_fetch("/builder")).status_code == 200
    [sent] = mf.plugin(EmailPlugin).delivered
    parsed = email.message_from_bytes(sent.read(), policy=email.policy.default)
    assert parsed["From"] == "Ann <ann@example.com>" and parsed["Message-ID"]
    assert parsed.get_body(("plain",)).get_content().strip() == "plain"
    assert parsed.get_body(("html",)).get_content().strip() == "<b>rich</b>"
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_filename() == "a.csv" and attachment.get_content() == "x,y"
    assert (await mf.dispatch_fetch("/builder", headers={"x-to": "eve@example.com"})).status_code == 400


@pytest.mark.parametrize(("raw", "error"), [
    (b"From: ann@example.com\r\nTo: bob@example.com\r\n\r\nno id", "invalid message-id"),
    (b"From: other@example.com\r\nMessage-ID: <a@b>\r\n\r\nx", "From: header does not match mail from"),
    (b"From: ann@example.com\r\nMessage-ID: <a@b>\r\nReceived: from x\r\n\r\nx", "invalid headers set"),
])
async def test_raw_messages_are_checked_as_on_cloudflare(mf: Pyflare, raw: bytes, error: str) -> None:
    binding = mf.env["MAILER"]
    with pytest.raises(EmailError, match=error):
        await binding.send(EmailMessage("ann@example.com", "bob@example.com", raw))
    with pytest.raises(TypeError, match="must be an EmailMessage"):
        await binding.send("not a message")


async def test_the_endpoint_runs_the_email_handler(mf: Pyflare) -> None:
    ok = await post_email(mf, incoming("hello"))
    assert (ok.status_code, ok.text) == (200, "Worker successfully processed email")
    rejected = await post_email(mf, incoming("spam"), path="/cdn-cgi/local/email")  # the current path too
    assert (rejected.status_code, rejected.text) == (400, "Worker rejected email with the following reason: "
                                                         "no spam please")
    failed = await post_email(mf, incoming("boom"), fmt="json")
    assert failed.status_code == 500 and failed.json()["outcome"] == "exception"


async def test_forward_and_reply_are_written_and_reported_as_json(mf: Pyflare) -> None:
    forwarded = (await post_email(mf, incoming("forward"), fmt="json")).json()
    assert forwarded["outcome"] == "ok"
    assert forwarded["forwards"][0]["recipient"] == "archive@example.com"
    assert forwarded["forwards"][0]["headers"] == [["x-archived", "yes"]]
    assert [e["type"] for e in forwarded["events"]] == ["forward"]
    replied = (await post_email(mf, incoming("reply"), fmt="json")).json()
    [reply] = replied["replies"]
    assert reply["sender"] == "support@example.com"
    assert reply["raw"].startswith("References: <in-reply@example.com>\r\n")  # added, as Email Routing does
    kinds = [d.kind for d in mf.plugin(EmailPlugin).delivered]
    assert kinds == ["forward", "reply"]
    assert b"x-archived: yes\r\nFrom: dave@example.com" in mf.plugin(EmailPlugin).delivered[0].read()


async def test_auto_submitted_mail_cannot_be_replied_to(mf: Pyflare) -> None:
    result = (await post_email(mf, incoming("reply", extra="Auto-Submitted: auto-replied\r\n"), fmt="json")).json()
    assert result["outcome"] == "exception" and not result.get("replies")


async def test_bad_requests_get_miniflares_texts(mf: Pyflare, caplog) -> None:
    missing = await mf.dispatch_fetch("/cdn-cgi/local/email?from=a@b", method="POST", content=b"x")
    assert missing.status_code == 400 and missing.text.startswith("Invalid email. Your request must include")
    no_id = await post_email(mf, b"From: dave@example.com\r\nTo: help@example.com\r\n\r\nx")
    assert no_id.text == "Email could not be parsed: invalid or no message id provided"
    big = await post_email(mf, b"x" * (25 * 1024 * 1024 + 1))
    assert big.text == "Email message size is bigger than the production size limit of 25MiB."
    await post_email(mf, incoming("hello", sender="someone@else.com"))
    assert "Provided MAIL FROM address doesn't match" in caplog.text


def test_send_email_config_takes_one_destination_rule(tmp_path: Path) -> None:
    from pyflare.config import ConfigError

    config = write_worker(tmp_path / "w", 'name = "m"\nmain = "src/entry.py"\n[[send_email]]\nname = "M"\n'
                          'destination_address = "a@b.c"\nallowed_destination_addresses = ["d@e.f"]\n',
                          {"src/entry.py": WORKER})
    with pytest.raises(ConfigError, match='either a "destination_address" or "allowed_destination_addresses"'):
        Pyflare(config)


async def test_the_banner_shows_it_as_local(mf: Pyflare) -> None:
    from pyflare.cli.banner import banner_rows

    [row] = [r for r in banner_rows(mf.config, mf.env) if r.name == "MAILER"]
    assert (row.kind, row.mode) == ("Send Email", "local")
