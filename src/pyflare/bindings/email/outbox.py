"""Where email pyflare would have delivered goes instead: ``<state>/email/<id>.eml`` files a user opens
with any mail client, a log line with each path, and a list of what was written (for tests)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("pyflare")


@dataclass(frozen=True)
class Delivered:
    """One message pyflare wrote instead of delivering: ``kind`` is ``send``, ``forward`` or ``reply``."""

    kind: str
    sender: str
    recipients: tuple[str, ...]
    message_id: str
    path: Path
    binding: str | None = None

    def read(self) -> bytes:
        return self.path.read_bytes()


@dataclass
class Outbox:
    folder: Path
    delivered: list[Delivered] = field(default_factory=list)

    def write(self, kind: str, raw: bytes, sender: str, recipients: list[str], message_id: str,
              binding: str | None = None) -> Delivered:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{uuid.uuid4()}.eml"
        path.write_bytes(raw)
        entry = Delivered(kind, sender, tuple(recipients), message_id, path, binding)
        self.delivered.append(entry)
        return entry
