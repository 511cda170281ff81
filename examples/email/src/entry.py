"""Email Routing and the send_email binding; runs unchanged on Cloudflare Python Workers.

email:         mail to support@ is forwarded to the team and answered; other addresses are rejected
POST /contact  a form (email, message) sent to the team through the NOTIFY binding
GET  /         this text
"""

from urllib.parse import parse_qs

from workers import Response, WorkerEntrypoint, import_from_javascript

TEAM = "team@example.com"
SUPPORT = "support@example.com"


class Default(WorkerEntrypoint):
    async def email(self, message):
        if message.to != SUPPORT:
            message.setReject(f"Unknown address {message.to}")
            return
        await message.forward(TEAM, {"X-Triaged-By": "email-worker"})
        EmailMessage = import_from_javascript("cloudflare:email").EmailMessage
        original_id = message.headers.get("message-id")
        subject = message.headers.get("subject") or ""
        reply = (
            f"From: {SUPPORT}\r\nTo: {message.from_}\r\nSubject: Re: {subject}\r\n"
            f"Message-ID: <ack-{original_id.strip('<>')}>\r\nIn-Reply-To: {original_id}\r\n\r\n"
            "Thanks, we received your message and will answer soon.\r\n"
        )
        await message.reply(EmailMessage.new(SUPPORT, message.from_, reply))

    async def fetch(self, request):
        if request.method != "POST" or not request.url.endswith("/contact"):
            return Response(f"{__doc__.strip()}\n")
        form = {k: v[0] for k, v in parse_qs(await request.text()).items()}
        if not form.get("email") or not form.get("message"):
            return Response.json({"error": "email and message are required"}, status=400)
        sent = await self.env.NOTIFY.send({
            "from": {"name": "Contact form", "email": "forms@example.com"},
            "to": TEAM,
            "replyTo": form["email"],
            "subject": f"Contact form: {form['email']}",
            "text": form["message"],
        })
        return Response.json({"sent": sent.messageId}, status=202)
