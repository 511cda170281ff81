"""The pattern of Cloudflare's 19-django-todo-d1 example, without Django: a third-party package (like
django-cf) that imports ``workers``/``pyodide`` itself, serves a WSGI app, finds the project's settings with
importlib, and reaches D1 synchronously through ``run_sync``; static assets with ``run_worker_first``."""

from __future__ import annotations

import textwrap

CONFIG = """
name = "todo"
main = "src/entry.py"
compatibility_date = "2026-07-29"
compatibility_flags = ["python_workers"]
[assets]
directory = "./public"
run_worker_first = ["/api/*"]
[[d1_databases]]
binding = "DB"
database_name = "todo-db"
database_id = "00000000-0000-0000-0000-000000000000"
"""

# Stands for django-cf: installed in site-packages, imports the runtime's modules at import time.
FRAMEWORK = """
import importlib
import json
import os

from pyodide.ffi import run_sync
from workers import env, wsgi


def query(sql, *params):
    statement = getattr(env, importlib.import_module(os.environ["TODO_SETTINGS"]).BINDING).prepare(sql)
    return run_sync((statement.bind(*params) if params else statement).all())["results"]


def application(environ, start_response):
    if environ["REQUEST_METHOD"] == "POST":
        title = json.loads(environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])))["title"]
        query("INSERT INTO todos (title) VALUES (?)", title)
        status = "201 Created"
    else:
        status = "200 OK"
    body = json.dumps({"todos": [row["title"] for row in query("SELECT title FROM todos ORDER BY id")]})
    start_response(status, [("Content-Type", "application/json")])
    return [body.encode()]


class FrameworkCF:
    async def fetch(self, request):
        return await wsgi.fetch(application, request, self.env)
"""


async def test_a_django_cf_like_package_serves_d1_through_run_sync_beside_assets(start_worker, tmp_path,
                                                                                 monkeypatch):
    site = tmp_path / "site-packages" / "framework_cf"
    site.mkdir(parents=True)
    (site / "__init__.py").write_text(textwrap.dedent(FRAMEWORK))
    monkeypatch.syspath_prepend(str(site.parent))
    monkeypatch.setenv("TODO_SETTINGS", "todo_project.settings")
    mf = await start_worker(CONFIG, {
        "public/index.html": "<h1>TODO + D1</h1>",
        "src/todo_project/__init__.py": "",
        "src/todo_project/settings.py": "BINDING = 'DB'\n",
        "src/entry.py": """
            from framework_cf import FrameworkCF
            from workers import WorkerEntrypoint

            class Default(FrameworkCF, WorkerEntrypoint):
                pass
        """,
    })
    await mf.env.DB.exec("CREATE TABLE todos (id INTEGER PRIMARY KEY, title TEXT)")
    index = await mf.dispatch_fetch("/")
    assert index.text == "<h1>TODO + D1</h1>" and index.headers["content-type"].startswith("text/html")
    created = await mf.dispatch_fetch("/api/todos/", method="POST", json={"title": "write tests"})
    assert (created.status_code, created.json()) == (201, {"todos": ["write tests"]})
    assert (await mf.dispatch_fetch("/api/todos/")).json() == {"todos": ["write tests"]}
