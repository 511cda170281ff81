"""Static assets serve regular files inside the assets directory and nothing else: no symlinked folder or
file anywhere in the path, no ``..`` in any spelling (encoded, double-encoded, backslashes), no NUL, and on a
case-insensitive file system no other spelling of a name, whether the request comes from a client or from
the worker's ``env.ASSETS.fetch``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pyflare.assets.files import AssetFiles

CONFIG = """
name = "assets"
main = "src/entry.py"
compatibility_date = "2025-11-01"

[assets]
directory = "./public"
binding = "ASSETS"
run_worker_first = ["/via/*"]
"""

ENTRY = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await self.env.ASSETS.fetch("https://any.host" + request.url.split("/via", 1)[1])
"""

SECRET = "SECRET-FROM-DEV-VARS"
OUTSIDE = "OUTSIDE-THE-ASSETS"


@pytest.fixture
async def mf(start_worker: Any, worker_dir: Any, tmp_path: Path) -> Any:
    mf = await start_worker(CONFIG, {"src/entry.py": ENTRY, "public/index.html": "<h1>home</h1>",
                                     "public/sub/page.txt": "inside", ".dev.vars": f"SECRET={SECRET}\n"})
    public = tmp_path / "worker" / "public"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text(OUTSIDE)
    os.symlink(outside, public / "linked-folder")
    os.symlink("..", public / "up")
    os.symlink("../..", public / "sub" / "upup")
    os.symlink(outside / "passwd", public / "linked-file")
    os.symlink(public / "sub", public / "sub-link")  # even a link that stays inside is skipped, as by wrangler
    return mf


def attempts() -> list[str]:
    names = ["linked-folder/passwd", "up/.dev.vars", "up/wrangler.toml", "up/src/entry.py", "linked-file",
             "sub/upup/worker/.dev.vars", "sub-link/page.txt", "up/public/index.html"]
    paths = []
    for name in names:
        paths += [name, name.replace("/", "%2F"), name.replace("/", "%5C"), name.replace(".", "%2E"),
                  "sub/../" + name, "sub/%2e%2e/" + name, name + "%00.html", name.replace("/", "//")]
    for dots in ("..", "%2e%2e", "%2E%2E", ".%2e", "%252e%252e", "..%2f..", "..%5c..", "....//"):
        paths += [f"{dots}/worker/.dev.vars", f"{dots}/{dots}/outside/passwd", f"sub/{dots}/{dots}/.dev.vars"]
    return paths + [".dev.vars", "%2Fetc%2Fpasswd", "%00", "%2e/%2e%2e/.dev.vars"]


@pytest.mark.parametrize("prefix", ["/", "/via/"], ids=["request", "env.ASSETS.fetch"])
async def test_nothing_outside_the_assets_directory_is_served(mf: Any, prefix: str) -> None:
    escaped = []
    for path in attempts():
        response = await mf.dispatch_fetch(prefix + path)
        if response.status_code == 200 and (SECRET in response.text or OUTSIDE in response.text
                                            or "compatibility_date" in response.text or "inside" in response.text):
            escaped.append(path)
    assert escaped == []


async def test_files_inside_are_still_served(mf: Any) -> None:
    assert (await mf.dispatch_fetch("/sub/page.txt")).text == "inside"
    assert (await mf.dispatch_fetch("/via/sub/page.txt")).text == "inside"
    assert "home" in (await mf.dispatch_fetch("/")).text


async def test_a_symlinked_control_file_is_not_read(mf: Any, tmp_path: Path) -> None:
    public = tmp_path / "worker" / "public"
    (tmp_path / "rules").write_text("/sub/page.txt /index.html 301\n")
    os.symlink(tmp_path / "rules", public / "_redirects")
    response = await mf.dispatch_fetch("/sub/page.txt")
    assert (response.status_code, response.text) == (200, "inside")  # the linked _redirects is not applied
    (public / "_redirects").unlink()
    (public / "_redirects").write_text("/sub/page.txt /index.html 301\n")
    assert (await mf.dispatch_fetch("/sub/page.txt")).status_code == 301  # a real one is


def test_on_a_case_insensitive_file_system_names_must_match_exactly(tmp_path: Path) -> None:
    (tmp_path / "Docs").mkdir()
    (tmp_path / "Docs" / "Guide.txt").write_text("x")
    files = AssetFiles(tmp_path)
    files._case_insensitive = True  # as on macOS: lstat("docs/guide.TXT") would find the file
    assert files._spelled_as_on_disk("Docs/Guide.txt")
    assert not files._spelled_as_on_disk("docs/Guide.txt")
    assert not files._spelled_as_on_disk("Docs/guide.TXT")
    assert not files._spelled_as_on_disk(".ASSETSIGNORE")
