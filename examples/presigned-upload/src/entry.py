"""Presigned uploads to R2: POST /uploads {filename, contentType} -> {uploadUrl, key}; the client PUTs the
file to uploadUrl; GET /files/<key> reads it back through the binding. GET / is a page that does it all."""

import hashlib
import hmac
import json
import uuid
from datetime import datetime, timezone
from urllib.parse import quote

from workers import Response, WorkerEntrypoint

PAGE = """<!doctype html><meta charset="utf-8"><title>Upload to R2</title>
<h1>Upload to R2 with a presigned URL</h1>
<input type="file" id="file"> <button id="go">Upload</button>
<p id="status"></p>
<script>
document.getElementById("go").onclick = async () => {
  const file = document.getElementById("file").files[0];
  if (!file) return;
  const ticket = await (await fetch("/uploads", {method: "POST",
    body: JSON.stringify({filename: file.name, contentType: file.type})})).json();
  const put = await fetch(ticket.uploadUrl, {method: "PUT", body: file,
    headers: {"Content-Type": file.type || "application/octet-stream"}});
  document.getElementById("status").innerHTML = put.ok
    ? `Stored <a href="/files/${ticket.key}">${ticket.key}</a>` : `Upload failed: ${put.status}`;
};
</script>"""


def presign_put(endpoint: str, bucket: str, key: str, access_key: str, secret: str, expires: int = 3600) -> str:
    """An S3 presigned PUT URL (AWS Signature Version 4, query form), written with the standard library
    so it runs unchanged on Cloudflare's Python Workers."""
    now = datetime.now(timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = f"{day}/auto/s3/aws4_request"
    scheme, _, rest = endpoint.partition("://")
    host, _, base_path = rest.partition("/")
    path = "/" + "/".join(p for p in (base_path.strip("/"), bucket, quote(key, safe="/~")) if p)
    params = {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": f"{access_key}/{scope}",
        "X-Amz-Date": amz_date,
        "X-Amz-Expires": str(expires),
        "X-Amz-SignedHeaders": "host",
    }
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(params.items()))
    canonical = "\n".join(["PUT", path, query, f"host:{host}\n", "host", "UNSIGNED-PAYLOAD"])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signing_key = f"AWS4{secret}".encode()
    for part in (day, "auto", "s3", "aws4_request"):
        signing_key = hmac.new(signing_key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{scheme}://{host}{path}?{query}&X-Amz-Signature={signature}"


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = request.url
        origin, _, path = url.partition("://")[2].partition("/")
        path = "/" + path.split("?", 1)[0]
        if request.method == "GET" and path == "/":
            return Response(PAGE, headers={"content-type": "text/html;charset=UTF-8"})
        if request.method == "POST" and path == "/uploads":
            wanted = await request.json()
            filename = str(wanted.get("filename") or "file").replace("/", "_")
            key = f"uploads/{uuid.uuid4()}-{filename}"
            endpoint = self.env.R2_S3_ENDPOINT or f"{url.split('://')[0]}://{origin}/cdn-cgi/local/r2/s3"
            upload_url = presign_put(endpoint, "uploads", key, self.env.R2_ACCESS_KEY_ID,
                                     self.env.R2_SECRET_ACCESS_KEY)
            return Response(json.dumps({"uploadUrl": upload_url, "key": key}),
                            headers={"content-type": "application/json"})
        if request.method == "GET" and path.startswith("/files/"):
            obj = await self.env.STORAGE.get(path[len("/files/"):])
            if obj is None:
                return Response("Not found", status=404)
            content_type = obj.httpMetadata.get("contentType") or "application/octet-stream"
            return Response(obj.body, headers={"content-type": content_type, "etag": obj.httpEtag})
        return Response("Not found", status=404)
