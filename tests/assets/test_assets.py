"""Workers Static Assets: routing before the worker, env.ASSETS, html_handling, not_found_handling,
run_worker_first, .assetsignore, _headers, _redirects, ETag/304, limits, edits without a restart."""

from __future__ import annotations

import pytest

from pyflare import Pyflare
from pyflare.assets import files as asset_files
from pyflare.config import ConfigError
from pyflare.config import assets as asset_config

WORKER = """
    from workers import Response, WorkerEntrypoint
    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            if request.url.endswith("/via-binding"):
                return await self.env.ASSETS.fetch("https://ignored.example/about.html")
            if "/missing-via-binding" in request.url:
                return await self.env.ASSETS.fetch(request)
            return Response("worker:" + request.url.split("localhost", 1)[1])
"""

SITE = {
    "public/index.html": "<h1>home</h1>",
    "public/about.html": "<h1>about</h1>",
    "public/blog/index.html": "<h1>blog</h1>",
    "public/style.css": "body{}",
    "public/app.js": "1",
    "public/logo.svg": "<svg/>",
    "public/favicon.ico": "ico",
    "public/photo.jpg": "jpg",
    "public/data.bin": "bin",
    "src/entry.py": WORKER,
}


def config(extra: str = "") -> str:
    return ('name = "site"\nmain = "src/entry.py"\ncompatibility_date = "2025-06-01"\n'
            f'[assets]\ndirectory = "./public"\nbinding = "ASSETS"\n{extra}')


async def test_assets_are_served_before_the_worker_with_cloudflares_content_types(start_worker):
    mf = await start_worker(config(), SITE)
    expected = {"/": "text/html; charset=utf-8", "/style.css": "text/css; charset=utf-8",
                "/app.js": "text/javascript; charset=utf-8", "/logo.svg": "image/svg+xml",
                "/favicon.ico": "image/vnd.microsoft.icon", "/photo.jpg": "image/jpeg",
                "/data.bin": "application/octet-stream"}
    for path, content_type in expected.items():
        response = await mf.dispatch_fetch(path)
        assert (response.status_code, response.headers["content-type"]) == (200, content_type), path
    home = await mf.dispatch_fetch("/")
    assert home.text == "<h1>home</h1>"
    assert home.headers["cache-control"] == "public, max-age=0, must-revalidate"
    assert (await mf.dispatch_fetch("/api/x")).text == "worker:/api/x"


async def test_env_assets_fetch_ignores_the_host_and_answers_404_for_a_missing_asset(start_worker):
    mf = await start_worker(config(), SITE)
    assert (await mf.dispatch_fetch("/via-binding")).status_code == 307  # about.html -> /about
    missing = await mf.dispatch_fetch("/missing-via-binding")
    assert (missing.status_code, missing.text) == (404, "")


async def test_auto_trailing_slash_serves_clean_urls_and_redirects_to_them(start_worker):
    mf = await start_worker(config(), SITE)
    assert (await mf.dispatch_fetch("/about")).text == "<h1>about</h1>"
    assert (await mf.dispatch_fetch("/blog/")).text == "<h1>blog</h1>"
    for path, location in [("/about.html?x=1", "/about?x=1"), ("/blog", "/blog/"), ("/blog/index.html", "/blog/"),
                           ("/index.html", "/"), ("/about/", "/about")]:
        response = await mf.dispatch_fetch(path)
        assert (response.status_code, response.headers["location"]) == (307, location), path


async def test_drop_and_force_trailing_slash(start_worker, tmp_path):
    mf = await start_worker(config('html_handling = "drop-trailing-slash"\n'), SITE)
    assert (await mf.dispatch_fetch("/blog")).text == "<h1>blog</h1>"
    assert (await mf.dispatch_fetch("/blog/")).headers["location"] == "/blog"
    await mf.close()
    mf.config.path.write_text(config('html_handling = "force-trailing-slash"\n'))
    async with Pyflare(mf.config.path) as forced:
        assert (await forced.dispatch_fetch("/about/")).text == "<h1>about</h1>"
        assert (await forced.dispatch_fetch("/about")).headers["location"] == "/about/"


async def test_single_page_application_fallback_applies_to_navigations_and_the_binding(start_worker):
    mf = await start_worker(config('not_found_handling = "single-page-application"\n'), SITE)
    assert (await mf.dispatch_fetch("/app/route")).text == "worker:/app/route"  # a fetch() from a script
    navigation = await mf.dispatch_fetch("/app/route", headers={"sec-fetch-mode": "navigate"})
    assert (navigation.status_code, navigation.text) == (200, "<h1>home</h1>")
    via_binding = await mf.dispatch_fetch("/missing-via-binding")
    assert (via_binding.status_code, via_binding.text) == (200, "<h1>home</h1>")


async def test_404_page_is_the_nearest_ancestor(start_worker):
    files = dict(SITE, **{"public/404.html": "top 404", "public/blog/404.html": "blog 404"})
    mf = await start_worker(config('not_found_handling = "404-page"\nrun_worker_first = ["/api/*"]\n'), files)
    deep = await mf.dispatch_fetch("/blog/a/b")
    assert (deep.status_code, deep.text) == (404, "blog 404")
    assert (await mf.dispatch_fetch("/nope")).text == "top 404"
    assert (await mf.dispatch_fetch("/api/users")).text == "worker:/api/users"


async def test_run_worker_first_true_and_negative_rules(start_worker):
    mf = await start_worker(config("run_worker_first = true\n"), SITE)
    assert (await mf.dispatch_fetch("/style.css")).text == "worker:/style.css"
    await mf.close()
    mf.config.path.write_text(config('run_worker_first = ["/*", "!/style.css"]\n'))
    async with Pyflare(mf.config.path) as rules:
        assert (await rules.dispatch_fetch("/about")).text == "worker:/about"
        assert (await rules.dispatch_fetch("/style.css")).text == "body{}"


@pytest.mark.parametrize(("rules", "message"), [
    ("[]", "No `run_worker_first` rules were provided; must provide at least 1 rule."),
    ('["!/a"]', "Only negative `run_worker_first` rules were provided; must provide at least 1 non-negative rule"),
    ('["/a", "api/*"]', "Invalid routes in `run_worker_first`:\n'api/*': rules must start with '/' or '!/'"),
    ('["/a", "/a"]', "Invalid routes in `run_worker_first`:\n'/a': rule is a duplicate; rules must be unique"),
    ('["/api/*", "/api/x"]', "Invalid routes in `run_worker_first`:\n'/api/x': rule '/api/*' makes it redundant"),
])
def test_run_worker_first_rules_are_checked_with_wranglers_messages(worker_dir, rules, message):
    with pytest.raises(ConfigError) as caught:
        Pyflare(worker_dir(config(f"run_worker_first = {rules}\n"), SITE))
    assert message in str(caught.value)


async def test_assetsignore_and_control_files_are_hidden_and_headers_redirects_apply(start_worker):
    files = dict(SITE, **{
        "public/.assetsignore": "*.bin\nsecret/\n",
        "public/secret/key.txt": "k",
        "public/_headers": "/*\n  X-Frame-Options: DENY\n/style.css\n  Cache-Control: no-store\n  ! X-Frame-Options\n",
        "public/_redirects": "/old /about 301\n/docs/* /blog/:splat\n/team/:name /about?who=:name 302\n",
    })
    mf = await start_worker(config(), files)
    for hidden in ("/data.bin", "/secret/key.txt", "/_headers", "/_redirects", "/.assetsignore"):
        assert (await mf.dispatch_fetch(hidden)).text.startswith("worker:"), hidden
    home = await mf.dispatch_fetch("/")
    assert home.headers["x-frame-options"] == "DENY"
    css = await mf.dispatch_fetch("/style.css")
    assert "x-frame-options" not in css.headers and css.headers["cache-control"].endswith("no-store")
    old = await mf.dispatch_fetch("/old")
    assert (old.status_code, old.headers["location"]) == (301, "/about")
    assert (await mf.dispatch_fetch("/docs/x/y")).headers["location"] == "/blog/x/y"
    assert (await mf.dispatch_fetch("/team/ana")).headers["location"] == "/about?who=ana"


async def test_etag_gives_304_until_the_file_changes_and_edits_need_no_restart(start_worker):
    mf = await start_worker(config(), SITE)
    first = await mf.dispatch_fetch("/style.css")
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    for sent in (etag, f"W/{etag}"):
        again = await mf.dispatch_fetch("/style.css", headers={"if-none-match": sent})
        assert (again.status_code, again.content) == (304, b"")
    css = mf.config.root / "public/style.css"
    css.write_text("body{color:red}")
    import os

    os.utime(css, ns=(0, 10**18))
    edited = await mf.dispatch_fetch("/style.css", headers={"if-none-match": etag})
    assert (edited.status_code, edited.text) == (200, "body{color:red}")
    (mf.config.root / "public/new.txt").write_text("new")
    assert (await mf.dispatch_fetch("/new.txt")).text == "new"


async def test_head_has_no_body_and_other_methods_are_405(start_worker):
    mf = await start_worker(config(), SITE)
    head = await mf.dispatch_fetch("/style.css", method="HEAD")
    assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"", "6")
    post = await mf.dispatch_fetch("/style.css", method="POST")
    assert (post.status_code, post.text) == (405, "Method Not Allowed")


async def test_an_asset_over_25_mib_stops_the_start_with_wranglers_message(worker_dir):
    path = worker_dir(config(), SITE)
    with open(path.parent / "public/big.bin", "wb") as big:
        big.truncate(25 * 1024 * 1024 + 1)
    with pytest.raises(ConfigError) as caught:
        await Pyflare(path).start()
    text = str(caught.value)
    assert text.startswith("Asset too large.\nCloudflare Workers supports assets with sizes of up to 25 MiB. "
                           "We found a file ")
    assert "big.bin with a size of 25 MiB.\n" in text


async def test_too_many_assets_stops_the_start(worker_dir, monkeypatch):
    monkeypatch.setattr(asset_files, "MAX_ASSET_COUNT", 3)
    monkeypatch.setattr(asset_config, "MAX_ASSET_COUNT", 3)
    with pytest.raises(ConfigError, match=r"Maximum number of assets exceeded.\nCloudflare Workers supports up to "
                                          r"3 assets in a version. We found 3 files"):
        await Pyflare(worker_dir(config(), SITE)).start()


def test_redirect_and_header_rules_beyond_cloudflares_limits_are_skipped_with_a_warning(pyflare_log):
    from pyflare.assets.rules import parse_headers, parse_redirects

    dynamic = "".join(f"/d{i}/* /x/:splat 301\n" for i in range(101))
    rules = parse_redirects("/bad /x 404\n/one\n" + dynamic + "/static /there\n")
    assert len(rules) == 101 and rules[-1].source == "/static" and rules[-1].status == 302
    assert "_redirects line 1: valid statuses are 200, 301, 302, 303, 307, 308; ignored" in pyflare_log.lines
    assert "_redirects line 103: more than 100 dynamic redirects; ignored" in pyflare_log.lines
    headers = parse_headers("".join(f"/p{i}\n  X-N: {i}\n" for i in range(101)))
    assert len(headers) == 100
    assert "_headers line 201: more than 100 rules; the rest are ignored" in pyflare_log.lines
