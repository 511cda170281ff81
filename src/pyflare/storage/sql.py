"""Reading user SQL as D1 and Durable Objects' ``ctx.storage.sql`` do: splitting a query into statements and
naming each statement's kind.

D1 accepts several statements in one ``prepare()`` (``CREATE ...; INSERT ...``) and in every line of
``exec()``, and ``sql.exec()`` of a Durable Object takes several too; Python's ``sqlite3`` runs one
statement per call, so pyflare splits them here (the D1 binding, Durable Objects, the CLI and the explorer). A statement
ends at a ``;`` outside quotes, brackets and comments, once SQLite agrees the text is complete
(``sqlite3.complete_statement``), which keeps ``CREATE TRIGGER ... BEGIN ...; ... END;`` whole.
"""

from __future__ import annotations

import re
import sqlite3
from functools import lru_cache

_TOKEN = re.compile(r"['\"`\[;]|--|/\*")
_COMMENT = re.compile(r"--[^\n]*|/\*.*?(?:\*/|\Z)", re.DOTALL)
_FIRST_WORD = re.compile(r"(?:\s+|--[^\n]*|/\*.*?(?:\*/|\Z))*([A-Za-z]+)", re.DOTALL)

# Statements that only read (their first keyword); anything else may change the file's size.
READ_KEYWORDS = frozenset({"SELECT", "WITH", "VALUES", "EXPLAIN"})
# Statements that manage transactions (D1 refuses them: transactions are batch()'s job).
TRANSACTION_KEYWORDS = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"})


def is_blank(sql: str) -> bool:
    """True when ``sql`` holds nothing but whitespace, comments and semicolons."""
    return not _COMMENT.sub("", sql).replace(";", "").strip()


@lru_cache(maxsize=1024)
def split_statements(sql: str) -> tuple[str, ...]:
    """The statements in ``sql``, in order, without empty or comment-only pieces."""
    pieces: list[str] = []
    start = 0
    pos = 0
    length = len(sql)
    while True:
        match = _TOKEN.search(sql, pos)
        if match is None:
            break
        token = match.group()
        at = match.start()
        if token == ";":
            pos = at + 1
            piece = sql[start:pos]
            if sqlite3.complete_statement(piece):
                if not is_blank(piece):
                    pieces.append(piece)
                start = pos
        elif token == "--":
            end = sql.find("\n", at + 2)
            pos = length if end < 0 else end + 1
        elif token == "/*":
            end = sql.find("*/", at + 2)
            pos = length if end < 0 else end + 2
        else:
            closer = "]" if token == "[" else token
            end = sql.find(closer, at + 1)
            # A doubled quote ('it''s') is an escaped quote inside the literal.
            while closer != "]" and end >= 0 and sql.startswith(closer, end + 1):
                end = sql.find(closer, end + 2)
            pos = length if end < 0 else end + 1
    rest = sql[start:]
    if not is_blank(rest):
        pieces.append(rest)
    return tuple(pieces)


@lru_cache(maxsize=1024)
def first_keyword(statement: str) -> str:
    """The statement's first keyword in upper case (``SELECT``, ``INSERT``...), or ``""``."""
    match = _FIRST_WORD.match(statement)
    return match.group(1).upper() if match else ""


_PLACEHOLDER = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|--[^\n]*|/\*.*?(?:\*/|\Z)"""
    r"""|(\?\d*|[:@$][A-Za-z_][A-Za-z0-9_]*)""",
    re.DOTALL,
)


@lru_cache(maxsize=1024)
def parameter_names(statement: str) -> tuple[str, ...] | None:
    """The names of a statement's parameters by index (``?1``, ``:name``...), numbered as SQLite numbers
    them, or None when it uses plain ``?`` (bind a sequence) or mixes kinds in a way names cannot express.

    D1 binds values by position whatever the placeholders look like; Python's sqlite3 binds a sequence
    only to plain ``?`` (other placeholders with a sequence are deprecated, an error from Python 3.14),
    so positional values for named placeholders are handed over as a mapping built from these names.
    """
    by_index: dict[int, str | None] = {}
    seen: set[str] = set()
    highest = 0
    for match in _PLACEHOLDER.finditer(statement):
        token = match.group(1)
        if token is None:
            continue
        if token == "?":
            highest += 1
            by_index[highest] = None
        elif token[0] == "?":
            index = int(token[1:])
            by_index[index] = token
            highest = max(highest, index)
        elif token not in seen:
            seen.add(token)
            highest += 1
            by_index[highest] = token
    names = [by_index.get(i) for i in range(1, highest + 1)]
    if not names or any(name is None for name in names):
        return None
    return tuple(names)  # type: ignore[arg-type]


def lenient_text(data: bytes) -> str:
    """A TEXT value as workerd hands it to JavaScript: bytes that are not UTF-8 (a blob concatenated into a
    string) become U+FFFD instead of failing the query (``sqlite3.Connection.text_factory``)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace")
