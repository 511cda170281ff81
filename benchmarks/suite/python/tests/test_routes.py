import pytest
from helpers import call

BINDINGS = ["KV", "BUCKET", "DB", "JOBS", "COUNTER", "ORDERS"]


@pytest.mark.parametrize("path", ["/nope", "/kvx/a", "/admin", "/notes-extra", "/%20"])
async def test_answers_404_for_an_unknown_path(pyflare, path):
    response = await call(pyflare, path)
    assert response.status_code == 404
    assert response.json()["error"].startswith("no route for ")


@pytest.mark.parametrize(("method", "path"), [
    ("PATCH", "/kv/a"), ("POST", "/kv/a"), ("PUT", "/notes"), ("DELETE", "/counter/a"), ("PUT", "/orders/x"),
])
async def test_answers_405_for_a_method_not_allowed(pyflare, method, path):
    response = await call(pyflare, path, method)
    assert response.status_code == 405
    assert response.json() == {"error": f"{method} not allowed"}


@pytest.mark.parametrize("path", ["/kv/missing", "/kv/also%2Fmissing", "/r2/missing", "/r2/dir/missing", "/jobs/missing"])
async def test_answers_404_for_a_missing_item(pyflare, path):
    assert (await call(pyflare, path)).status_code == 404


@pytest.mark.parametrize("path", ["/", "/?a=1", "/?q=x&y=z", "/#top", "/?"])
async def test_describes_the_app(pyflare, path):
    response = await call(pyflare, path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"app": "suite", "bindings": BINDINGS}
