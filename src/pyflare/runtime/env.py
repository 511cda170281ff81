"""The ``env`` a worker sees: its bindings, vars and secrets."""

from __future__ import annotations

from typing import Any

from pyflare.kernel.jsdict import JsDict, to_jsdict


class Env(JsDict):
    """Bindings, vars and secrets by name; ``env.NAME`` or ``env["NAME"]``."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            known = ", ".join(sorted(self)) or "none"
            raise AttributeError(f"env has no binding, var or secret named {name!r} (defined: {known})") from None

    def __repr__(self) -> str:
        # Secrets must not end up in logs: show names only.
        return f"Env({', '.join(sorted(self))})"


def build_env(vars: dict[str, Any], bindings: dict[str, Any]) -> Env:
    env = Env({k: to_jsdict(v) for k, v in vars.items()})
    env.update(bindings)
    return env
