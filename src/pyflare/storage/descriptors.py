"""The process's file descriptor limit: what storage may assume, and raising it where the system allows.

Every SQLite file in WAL mode holds three descriptors (the file, its WAL, its shared memory). The files the
config names (one per KV namespace, D1 database, bucket...) are few; Durable Objects and workflow instances
are as many as the worker makes, so the object layer keeps a bounded number open (``ObjectLayer``,
``MAX_OPEN_FILES``), sized from :func:`soft_limit`. ``pyflare dev`` raises the soft limit to the hard one at
start (:func:`raise_soft_limit`), as servers commonly do: macOS starts processes at 256.
"""

from __future__ import annotations

try:
    import resource
except ImportError:  # pragma: no cover - Windows: no descriptor limit of this kind
    resource = None  # type: ignore[assignment]

# What setrlimit accepts where the hard limit is "unlimited" but the kernel is not (macOS: OPEN_MAX).
_FALLBACK_CEILING = 10240


def soft_limit() -> int | None:
    """The process's descriptor limit now (None: unlimited, or no such limit on this system)."""
    if resource is None:
        return None
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft


def raise_soft_limit() -> tuple[int, int] | None:
    """Raise the soft descriptor limit to the hard limit; returns (before, after), or None if nothing changed."""
    if resource is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft == hard:
        return None
    for target in (hard, min(hard, _FALLBACK_CEILING) if hard != resource.RLIM_INFINITY else _FALLBACK_CEILING):
        if target == resource.RLIM_INFINITY or target <= soft:
            continue
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            continue
        return soft, target
    return None
