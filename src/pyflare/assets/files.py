"""The assets directory: which files are assets, their content types and ETags.

Lookups go to the file system on each request (one ``stat``), so files added, edited or removed under
``pyflare dev`` are served at once, without a restart. As in Miniflare, an asset's hash is taken from its
absolute path and modification time, so an edit changes the ETag and ends a client's 304s.

Only regular files inside the directory are assets: a path with an empty, ``.`` or ``..`` segment, a
backslash or a NUL names nothing, symlinks are skipped wherever they are in the path (a symlinked file or
folder, as wrangler skips them when it uploads), and on a case-insensitive file system a path must spell
every name as it is on disk (so ``/.ASSETSIGNORE`` is not ``.assetsignore``).
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import stat
import sys
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pathspec

from pyflare.assets.constants import ALWAYS_IGNORED, CONTENT_TYPES
from pyflare.config.assets import MAX_ASSET_COUNT, MAX_ASSET_SIZE, asset_too_large, too_many_assets

_BUILTIN_TYPES = mimetypes.MimeTypes(filenames=())  # Python's own table only: the same on every machine


def content_type(name: str) -> str:
    """Cloudflare's Content-Type for a file name: the `mime` type, with ``; charset=utf-8`` for text/*."""
    suffix = os.path.splitext(name)[1].lower()
    kind = CONTENT_TYPES.get(suffix) or _BUILTIN_TYPES.guess_type("x" + suffix)[0] or "application/octet-stream"
    if kind.startswith("text/") and "charset" not in kind:
        kind += "; charset=utf-8"
    return kind


@dataclass(frozen=True)
class Asset:
    path: str  # URL path, "/a/b.html"
    file: str  # absolute file path
    size: int
    etag: str  # the hash, without quotes
    mtime_ns: int = 0

    @property
    def content_type(self) -> str:
        return content_type(self.path)


# Small assets are kept in memory while unchanged (keyed by file, mtime and size, so an edit is a miss).
MAX_CACHED_FILE = 1024 * 1024
MAX_CACHED_TOTAL = 32 * 1024 * 1024


class AssetFiles:
    """The files under an assets directory, minus what ``.assetsignore`` hides."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self.root = str(self.directory)
        self._case_insensitive = _case_insensitive(self.root)
        self._listings: dict[str, tuple[int, frozenset[str]]] = {}
        self._ignore_stamp: float | None = -1.0
        self._ignore: pathspec.GitIgnoreSpec | None = None
        self._ignored: dict[str, bool] = {}
        self._contents: OrderedDict[tuple[str, int, int], bytes] = OrderedDict()
        self._cached_bytes = 0

    # -- ignore rules ------------------------------------------------------------------------------
    def _ignore_spec(self) -> pathspec.GitIgnoreSpec | None:
        ignore_file = os.path.join(self.root, ".assetsignore")
        try:
            stamp: float | None = os.stat(ignore_file).st_mtime
        except OSError:
            stamp = None
        if stamp != self._ignore_stamp:
            self._ignore_stamp = stamp
            self._ignored.clear()
            text = self.read_text(".assetsignore") if stamp is not None else None
            lines = text.splitlines() if text else []
            self._ignore = pathspec.GitIgnoreSpec.from_lines(lines) if lines else None
        return self._ignore

    def ignored(self, relative: str) -> bool:
        if relative in ALWAYS_IGNORED:
            return True
        spec = self._ignore_spec()
        if spec is None:
            return False
        known = self._ignored.get(relative)
        if known is None:
            if len(self._ignored) > 10_000:
                self._ignored.clear()
            known = self._ignored[relative] = spec.match_file(relative)
        return known

    # -- lookups -----------------------------------------------------------------------------------
    def get(self, url_path: str) -> Asset | None:
        """The asset at a decoded URL path ("/dir/file.html"), or None."""
        relative = url_path[1:] if url_path.startswith("/") else url_path
        if not relative or "\x00" in relative or "\\" in relative:
            return None
        if any(part in ("", ".", "..") for part in relative.split("/")):
            return None
        file = self.root + "/" + relative
        try:
            info = os.lstat(file)
        except (OSError, ValueError):
            return None
        if not stat.S_ISREG(info.st_mode) or self.ignored(relative):  # symlinks are skipped, as by wrangler
            return None
        if "/" in relative and os.path.realpath(file) != file:  # a symlinked folder on the way
            return None
        if self._case_insensitive and not self._spelled_as_on_disk(relative):
            return None
        digest = hashlib.sha256(f"{file}:{info.st_mtime_ns}".encode()).hexdigest()[:32]
        return Asset("/" + relative, file, info.st_size, digest, info.st_mtime_ns)

    def _spelled_as_on_disk(self, relative: str) -> bool:
        """Does every name of ``relative`` match its directory entry exactly (case included)?"""
        folder = self.root
        for name in relative.split("/"):
            try:
                stamp = os.stat(folder).st_mtime_ns
            except OSError:
                return False
            known = self._listings.get(folder)
            if known is None or known[0] != stamp:
                if len(self._listings) > 1000:
                    self._listings.clear()
                known = self._listings[folder] = (stamp, frozenset(os.listdir(folder)))
            if name not in known[1]:
                return False
            folder = folder + "/" + name
        return True

    def read(self, asset: Asset) -> bytes:
        key = (asset.file, asset.mtime_ns, asset.size)
        data = self._contents.get(key)
        if data is not None:
            self._contents.move_to_end(key)
            return data
        with _open_no_follow(asset.file) as handle:
            data = handle.read()
        if len(data) <= MAX_CACHED_FILE:
            self._contents[key] = data
            self._cached_bytes += len(data)
            while self._cached_bytes > MAX_CACHED_TOTAL:
                _, dropped = self._contents.popitem(last=False)
                self._cached_bytes -= len(dropped)
        return data

    def scan(self) -> int:
        """Check the whole directory against Cloudflare's limits (at start); returns the number of assets."""
        if not self.directory.is_dir():
            return 0
        count = 0
        for root, dirs, files in os.walk(self.directory):
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
            for name in files:
                full = os.path.join(root, name)
                relative = os.path.relpath(full, self.directory).replace(os.sep, "/")
                if os.path.islink(full) or self.ignored(relative):
                    continue
                if count >= MAX_ASSET_COUNT:
                    raise too_many_assets(count, str(self.directory))
                size = os.path.getsize(full)
                if size > MAX_ASSET_SIZE:
                    raise asset_too_large(full, size, str(self.directory))
                count += 1
        return count

    def read_text(self, name: str) -> str | None:
        """A control file at the directory's root (``_headers``, ``_redirects``), or None (also if a symlink)."""
        try:
            with _open_no_follow(self.root + "/" + name) as handle:
                return handle.read().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def stamp(self, name: str) -> float | None:
        try:
            return os.stat(self.root + "/" + name).st_mtime
        except OSError:
            return None


def _open_no_follow(path: str) -> BinaryIO:
    """``open(path, "rb")`` that fails on a symlink (should one replace a file after it was looked up)."""
    return os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)), "rb")


def _case_insensitive(root: str) -> bool:
    """Does the file system under ``root`` ignore case (macOS and Windows by default)?"""
    other = root.swapcase()
    if other != root:
        try:
            return os.path.samefile(root, other)
        except OSError:
            return False
    return sys.platform in ("darwin", "win32")
