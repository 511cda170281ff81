"""The assets directory: which files are assets, their content types and ETags.

Lookups go to the file system on each request (one ``stat``), so files added, edited or removed under
``pyflare dev`` are served at once, without a restart. As in Miniflare, an asset's hash is taken from its
absolute path and modification time, so an edit changes the ETag and ends a client's 304s.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import stat
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

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
            lines = Path(ignore_file).read_text(encoding="utf-8").splitlines() if stamp is not None else []
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
        digest = hashlib.sha256(f"{file}:{info.st_mtime_ns}".encode()).hexdigest()[:32]
        return Asset("/" + relative, file, info.st_size, digest, info.st_mtime_ns)

    def read(self, asset: Asset) -> bytes:
        key = (asset.file, asset.mtime_ns, asset.size)
        data = self._contents.get(key)
        if data is not None:
            self._contents.move_to_end(key)
            return data
        with open(asset.file, "rb") as handle:
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
        """A control file at the directory's root (``_headers``, ``_redirects``), or None."""
        try:
            return Path(self.root, name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def stamp(self, name: str) -> float | None:
        try:
            return os.stat(self.root + "/" + name).st_mtime
        except OSError:
            return None
