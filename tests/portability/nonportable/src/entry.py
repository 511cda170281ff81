"""A worker that loads under pyflare but breaks on Cloudflare's Python Workers, one rule at a time.

Each line marked with a rule id is what `pyflare check` reports (docs/portability.md). In strict portability
mode pyflare refuses to load it: the first uuid.uuid4() at import time raises.
"""

import fcntl  # module-unavailable
import http.server
import os
import random
import secrets
import socket
import subprocess
import threading
import urllib.request
import uuid
from pathlib import Path

import yaml  # import-undeclared (no declared package provides it)
from workers import Response

import helpers

SESSION = uuid.uuid4()  # entropy-at-import
random.seed(7)  # entropy-at-import
TOKEN = secrets.token_hex(8)  # entropy-at-import
SALT = helpers.make_salt()  # entropy-at-import (os.urandom inside a function called at import)
HERE = Path(__file__).parent


async def on_fetch(request, env):  # legacy-handlers
    from copy import replace  # stdlib-version (new in Python 3.13; this worker gets 3.12)

    import newer  # syntax-version, in newer.py

    threading.Thread(target=print).start()  # thread
    subprocess.run(["uname", "-a"])  # subprocess
    urllib.request.urlopen("https://example.com/")  # socket
    socket.create_connection(("example.com", 80))  # socket
    http.server.HTTPServer(("127.0.0.1", 8000), http.server.BaseHTTPRequestHandler)  # server-socket
    (HERE / "cache.json").write_text("{}")  # file-write-bundle
    with open("hits.log", "a") as log:  # file-write
        log.write("hit\n")
    fcntl.flock(0, fcntl.LOCK_EX)
    return Response(yaml.safe_dump({"session": str(SESSION), "token": TOKEN, "salt": SALT.hex(),
                                    "first": newer.first([1]), "copy": str(replace)}))
