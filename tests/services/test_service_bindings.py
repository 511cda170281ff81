"""Service bindings: fetch and RPC into another worker (default or named entrypoint), props, missing targets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from tests.conftest import write_worker

from pyflare import Pyflare
from pyflare.config import ConfigError

GATEWAY = """
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("localhost", 1)[1]
        if path.startswith("/users"):
            return await self.env.USERS.fetch(request)
        if path == "/rpc":
            user = await self.env.USERS.get_user(7)
            return Response.json({"user": user, "type": type(user).__name__, "name": user.name})
        if path == "/admin":
            return Response.json(await self.env.ADMIN.whoami())
        return Response("gateway")
"""

USERS = """
from workers import WorkerEntrypoint, Response, env as module_env

CALLS = []

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        body = await request.text()
        return Response(f"users saw {request.method} {request.url} {body}", headers={"x-from": "users"})

    async def get_user(self, user_id):
        return {"id": user_id, "name": self.env.PREFIX + str(user_id)}

    def plain(self, a, b):
        return a + b

    async def echo(self, value):
        CALLS.append(value)
        return value

    async def boom(self):
        raise ValueError("users exploded")

    def _private(self):
        return "secret"

    async def adder(self, base):
        def add(n):
            return base + n
        return {"add": add}

    async def via_module_env(self):
        return module_env.PREFIX

class Admin(WorkerEntrypoint):
    async def whoami(self):
        return {"props": dict(self.ctx.props), "entrypoint": "Admin"}

    async def fetch(self, request):
        return Response("admin " + self.ctx.props["role"])
"""

GATEWAY_CONFIG = """
name = "gateway"
main = "src/entry.py"
[[services]]
binding = "USERS"
service = "users"
[[services]]
binding = "ADMIN"
service = "users"
entrypoint = "Admin"
props = { role = "root", level = 3 }
"""

USERS_CONFIG = """
name = "users"
main = "src/entry.py"
[vars]
PREFIX = "user-"
"""


def configs(tmp_path: Path, gateway: str = GATEWAY_CONFIG) -> list[Path]:
    return [write_worker(tmp_path / "gateway", gateway, {"src/entry.py": GATEWAY}),
            write_worker(tmp_path / "users", USERS_CONFIG, {"src/entry.py": USERS})]


@pytest.fixture
async def mf(tmp_path: Path):
    async with Pyflare(configs(tmp_path), clock="manual") as mf:
        yield mf


async def test_fetch_through_a_service_binding_reaches_the_other_worker(mf: Pyflare) -> None:
    response = await mf.dispatch_fetch("/users/1", method="POST", content=b"hello")
    assert response.text == "users saw POST http://localhost/users/1 hello"
    assert response.headers["x-from"] == "users"


async def test_rpc_call_returns_a_dict_with_attribute_access(mf: Pyflare) -> None:
    body = (await mf.dispatch_fetch("/rpc")).json()
    assert body == {"user": {"id": 7, "name": "user-7"}, "type": "JsDict", "name": "user-7"}


async def test_named_entrypoint_gets_props_as_ctx_props(mf: Pyflare) -> None:
    assert (await mf.dispatch_fetch("/admin")).json() == {"props": {"role": "root", "level": 3}, "entrypoint": "Admin"}
    assert await (await mf.env.ADMIN.fetch("https://admin/")).text() == "admin root"


async def test_rpc_from_the_test_side_and_sync_methods(mf: Pyflare) -> None:
    assert await mf.env.USERS.plain(2, 3) == 5
    when = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    assert await mf.env.USERS.echo({"when": when, "tags": {"a"}, "raw": b"\x00\x01"}) == {
        "when": when.replace(tzinfo=None), "tags": {"a"}, "raw": memoryview(b"\x00\x01")}  # a Date: naive UTC


async def test_rpc_arguments_are_copies(mf: Pyflare) -> None:
    sent = {"items": [1, 2]}
    received = await mf.env.USERS.echo(sent)
    received["items"].append(3)
    assert sent == {"items": [1, 2]}


async def test_rpc_type_rules_are_the_durable_object_rules(mf: Pyflare) -> None:
    with pytest.raises(TypeError, match=r"<class 'tuple'> cannot be sent over RPC\."):
        await mf.env.USERS.echo((1, 2))
    with pytest.raises(TypeError, match=r"<class 'bytearray'> cannot be sent over RPC\."):
        await mf.env.USERS.echo({"b": bytearray(b"x")})


async def test_unknown_private_and_reserved_methods_do_not_exist(mf: Pyflare) -> None:
    for name in ("nope", "_private", "connect", "env"):
        with pytest.raises(TypeError, match=f"^Method {name} does not exist$"):
            await getattr(mf.env.USERS, name)()


async def test_keyword_arguments_cross_like_durable_object_stubs(mf: Pyflare) -> None:
    assert await mf.env.USERS.plain(1, b=2) == 3
    with pytest.raises(TypeError, match=r"<class 'tuple'> cannot be sent over RPC\."):
        await mf.env.USERS.plain(1, b=(2,))


async def test_an_exception_in_the_target_reaches_the_caller(mf: Pyflare) -> None:
    with pytest.raises(ValueError, match="users exploded"):
        await mf.env.USERS.boom()


async def test_returned_functions_are_awaitable_stubs(mf: Pyflare) -> None:
    result = await mf.env.USERS.adder(10)
    assert await result["add"](5) == 15


async def test_target_code_sees_its_own_module_env(mf: Pyflare) -> None:
    assert await mf.env.USERS.via_module_env() == "user-"


async def test_relative_url_is_refused_like_fetch(mf: Pyflare) -> None:
    with pytest.raises(TypeError, match="Fetch API cannot load: /x"):
        await mf.env.USERS.fetch("/x")


async def test_a_binding_to_its_own_worker_works(tmp_path: Path) -> None:
    config = write_worker(tmp_path / "self", 'name = "users"\nmain = "src/entry.py"\n[vars]\nPREFIX = "me-"\n'
                          '[[services]]\nbinding = "SELF"\nservice = "users"\n', {"src/entry.py": USERS})
    async with Pyflare(config) as mf:
        assert (await mf.env.SELF.get_user(1)).name == "me-1"


async def test_missing_service_fails_at_start_with_workerds_text(tmp_path: Path) -> None:
    gateway = configs(tmp_path)[0]
    with pytest.raises(ConfigError, match='Worker "core:user:gateway"\'s binding "USERS" refers to a service '
                                          '"core:user:users", but no such service is defined.'):
        async with Pyflare(gateway):
            pass


async def test_missing_named_entrypoint_fails_at_start_with_workerds_text(tmp_path: Path) -> None:
    config = GATEWAY_CONFIG.replace('entrypoint = "Admin"', 'entrypoint = "Missing"')
    with pytest.raises(ConfigError, match='Worker "core:user:gateway"\'s binding "ADMIN" refers to service '
                                          '"core:user:users" with a named entrypoint "Missing", but '
                                          '"core:user:users" has no such named entrypoint.'):
        async with Pyflare(configs(tmp_path, config)):
            pass


async def test_state_tools_open_a_worker_whose_target_is_elsewhere(tmp_path: Path) -> None:
    # `pyflare kv ...` opens the bindings without loading code: no target check there.
    mf = Pyflare(configs(tmp_path)[0])
    await mf.start(load_worker=False)
    await mf.close()
