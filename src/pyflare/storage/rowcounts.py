"""Rows read and rows written by one SQL statement, counted as workerd counts them.

workerd (and so D1's ``meta.rows_read``/``rows_written`` and a Durable Object cursor's ``rowsRead``/
``rowsWritten``) reads two counters a patch adds to SQLite's virtual machine (workerd
patches/sqlite/0001-row-counts-plain.patch): a row is *read* each time a cursor is positioned (``Rewind``,
``Last``, a sort, a seek that finds its key, a rowid lookup) or advanced to another row (``Next``/``Prev``,
a sorter or virtual table step), plus every entry ``count(*)`` counts; a row is *written* by each insert into
a table or index and each counted delete (temporary tables do not count), and a ``DELETE`` of every row
writes as many rows as it removed. So ``SELECT 1`` reads none, a scan of an empty table reads one (the
``Rewind``), ``SELECT count(*)`` reads the whole table, an ``ORDER BY`` without an index reads every row
twice (the scan and the sorter), and an insert writes one row per index besides the table's.

The SQLite Python links has no such counters, so pyflare works them out: the statement's program
(``EXPLAIN``) says which operations count and where they sit (loops, subroutines, branches); the
statement's own standard counters (``sqlite3_stmt_status``: how many times its loops advanced, how many
sorts, how many operations it ran) say how far the loops went; ``sqlite3_changes`` says how many rows it
changed. A program without loops is resolved exactly: the one path through it that ran as many operations
as the statement did. With loops the counts are exact for the usual single-table statements (scans,
index and rowid lookups, ranges, sorts, inserts, updates and deletes by rowid, index or scan) and
estimates where one loop's share of a counter cannot be told from another's (several scans of the same
kind in one statement, such as a join without an index) and for triggers and foreign key actions, which
run as sub-programs ``EXPLAIN`` does not show.

Where the C API cannot be reached (:data:`pyflare.storage.sqlitecapi.AVAILABLE` is False) the counts are
the simplest ones: rows returned (or changed) read, rows changed written.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from pyflare.storage import sqlitecapi
from pyflare.storage.sqlitecapi import (
    STMT_AUTOINDEX,
    STMT_FULLSCAN_STEP,
    STMT_OTHER_STEP,
    STMT_SORT,
    STMT_VM_STEP,
)

__all__ = ["RowCounter", "Program", "program_of"]

_NCHANGE = 0x01  # OPFLAG_NCHANGE: the operation adds to the statement's change count
_SEEKEQ = 0x02  # OPFLAG_SEEKEQ on an Open*: the cursor only seeks equal keys
_ISNOOP = 0x40  # OPFLAG_ISNOOP on an Insert: only for the pre-update hook, writes nothing

_LOOP_HEADS = frozenset({"Rewind", "Last", "Sort", "SorterSort", "SeekGE", "SeekGT", "SeekLE", "SeekLT", "VFilter"})
_SEEKS = frozenset({"SeekGE", "SeekGT", "SeekLE", "SeekLT"})
_ROWID_LOOKUPS = frozenset({"SeekRowid", "NotExists"})
_STEPS = frozenset({"Next", "Prev", "SorterNext"})
_RANGE_CHECKS = frozenset({"IdxGT", "IdxGE", "IdxLT", "IdxLE", "Gt", "Ge", "Lt", "Le"})
_OPEN_REAL = frozenset({"OpenRead", "OpenWrite", "ReopenIdx"})
_OPEN_TEMP = frozenset({"OpenEphemeral", "OpenAutoindex", "OpenDup", "SorterOpen", "OpenPseudo"})
_TEMP_INSERTS = frozenset({"Insert", "IdxInsert", "SorterInsert"})
# Operations whose P2 is a jump target they may take (besides falling through to the next operation).
_CONDITIONAL = frozenset({
    "If", "IfNot", "IsNull", "NotNull", "IsType", "IfNullRow", "Once", "IfPos", "IfNotZero", "DecrJumpZero",
    "IfNoHope", "NoConflict", "NotFound", "Found", "SeekRowid", "NotExists", "Eq", "Ne", "Lt", "Le", "Gt", "Ge",
    "ElseEq", "MustBeInt", "Rewind", "Last", "Sort", "SorterSort", "Next", "Prev", "SorterNext", "VNext",
    "VFilter", "SeekGE", "SeekGT", "SeekLE", "SeekLT", "SeekScan", "IdxGT", "IdxGE", "IdxLT", "IdxLE",
    "RowSetRead", "RowSetTest", "FkIfZero", "IfSmaller", "SequenceTest", "Filter", "IfSizeBetween", "IfEmpty",
    "SorterCompare", "Program", "Yield",
})
_UNSUPPORTED_IN_PATHS = frozenset({"Gosub", "Yield", "InitCoroutine", "EndCoroutine", "Program", "Jump", "Return"})
_MAX_PATH_SETS = 64


@dataclass(frozen=True)
class Op:
    addr: int
    opcode: str
    p1: int
    p2: int
    p3: int
    p4: Any
    p5: int


@dataclass
class Loop:
    start: int  # first operation of the body
    end: int  # the operation that jumps back
    head: int | None  # the operation positioning the cursor before the first pass (None: not a cursor loop)
    cursor: int | None
    kind: str  # "step" (Next/Prev/SorterNext), "vtab" (VNext), "goto"
    category: int = STMT_OTHER_STEP
    checked: bool = False  # the body starts by checking the key is still in range
    coroutine: int | None = None  # the register of the coroutine a "goto" loop consumes

    def __contains__(self, addr: int) -> bool:
        return self.start <= addr <= self.end


@dataclass
class Program:
    """What ``EXPLAIN`` says about one statement, as far as row counting needs it."""

    ops: list[Op]
    loops: list[Loop] = field(default_factory=list)
    temp: dict[int, bool] = field(default_factory=dict)  # addr of a cursor operation -> cursor is temporary
    seek_eq: dict[int, bool] = field(default_factory=dict)  # addr -> its cursor only seeks equal keys
    root: dict[int, int] = field(default_factory=dict)  # addr -> root page of its (real) cursor
    once: list[tuple[int, int]] = field(default_factory=list)  # blocks run at most once
    subroutines: list[tuple[int, int, list[int]]] = field(default_factory=list)  # (start, end, callers)
    coroutines: dict[int, tuple[int, int]] = field(default_factory=dict)  # register -> (start, end)
    loop_free: bool = True
    destroyed: set[int] = field(default_factory=set)  # registers Destroy sets (0 without auto-vacuum)
    triggers: list[Program] = field(default_factory=list)  # the programs of triggers it may run

    @classmethod
    def parse(cls, rows: list[tuple[Any, ...]]) -> Program:
        ops = [Op(int(r[0]), str(r[1]), int(r[2] or 0), int(r[3] or 0), int(r[4] or 0), r[5], int(r[6] or 0))
               for r in rows]
        program = cls(ops)
        program._cursors()
        program._structure()
        return program

    # -- analysis ------------------------------------------------------------------------------------
    def _cursors(self) -> None:
        temp: dict[int, bool] = {}
        eq: dict[int, bool] = {}
        root: dict[int, int] = {}
        for op in self.ops:  # cursors the Transaction block at the end opens are used before it in the listing
            if op.opcode in _OPEN_TEMP:
                temp.setdefault(op.p1, True)
                eq.setdefault(op.p1, False)
        for op in self.ops:
            if op.opcode in _OPEN_REAL:
                temp[op.p1], eq[op.p1], root[op.p1] = False, bool(op.p5 & _SEEKEQ), op.p2
            elif op.opcode in _OPEN_TEMP:
                temp[op.p1], eq[op.p1] = True, False
                root.pop(op.p1, None)
            elif op.opcode == "VOpen":
                temp[op.p1], eq[op.p1] = False, False
                root.pop(op.p1, None)
            if op.p1 in temp:
                self.temp[op.addr] = temp[op.p1]
                self.seek_eq[op.addr] = eq[op.p1]
                if op.p1 in root:
                    self.root[op.addr] = root[op.p1]

    def _structure(self) -> None:
        ops = self.ops
        init_block = ops[0].p2 if ops and ops[0].opcode == "Init" else len(ops)
        returns: dict[int, int] = {}
        for op in ops:
            if op.opcode == "Return" and op.p3 != 1:
                returns.setdefault(op.p1, op.addr)
        callers: dict[int, list[int]] = {}
        for op in ops:
            kind = op.opcode
            if kind in ("Next", "Prev", "SorterNext", "VNext") and op.p2 <= op.addr:
                head = self._head(op.p1, op.p2)
                loop = Loop(op.p2, op.addr, head, op.p1, "vtab" if kind == "VNext" else "step",
                            category=op.p5 if kind in ("Next", "Prev") and op.p5 in (1, 3) else STMT_OTHER_STEP)
                loop.checked = ops[op.p2].opcode in _RANGE_CHECKS and ops[op.p2].p2 > op.addr
                self.loops.append(loop)
            elif kind == "Goto" and op.p2 <= op.addr and not (op.addr >= init_block and op.p2 <= 1):
                target = ops[op.p2]
                loop = Loop(op.p2, op.addr, None, None, "goto")
                if target.opcode == "Yield":
                    loop.coroutine = target.p1
                self.loops.append(loop)
            elif kind == "Destroy":
                self.destroyed.add(op.p2)
            elif kind == "Once":
                self.once.append((op.addr + 1, op.p2 - 1))
            elif kind == "Gosub":
                callers.setdefault(op.p2, []).append(op.addr)
            elif kind == "InitCoroutine" and op.p3:
                end = op.p2 - 1 if op.p2 else len(ops) - 1
                self.coroutines.setdefault(op.p1, (op.p3, end))
        for start, calls in callers.items():
            register = ops[calls[0]].p1
            end = returns.get(register, start)
            self.subroutines.append((start, end, calls))
        self.loop_free = not self.loops and not callers and not self.coroutines
        self.loops.sort(key=lambda loop: loop.end - loop.start)

    def _head(self, cursor: int, start: int) -> int | None:
        for addr in range(start - 1, -1, -1):
            op = self.ops[addr]
            if op.p1 == cursor and op.opcode in _LOOP_HEADS:
                return addr
        return None

    def innermost(self, addr: int) -> Loop | tuple[int, int, list[int]] | None:
        """The smallest loop or called subroutine holding ``addr``."""
        best: Any = None
        size = None
        for loop in self.loops:
            if addr in loop and (size is None or loop.end - loop.start < size):
                best, size = loop, loop.end - loop.start
        for sub in self.subroutines:
            start, end, _ = sub
            if start <= addr <= end and (size is None or end - start < size):
                best, size = sub, end - start
        return best

    def successors(self, op: Op) -> list[int]:
        kind = op.opcode
        if kind in ("Halt",):
            return []
        if kind in ("Goto", "Init"):
            return [op.p2]
        if kind == "HaltIfNull":
            return [op.addr + 1, -1]
        if kind == "Return" and op.p3 == 1:
            return [op.addr + 1]
        if kind in _CONDITIONAL and op.p2 > 0 and not (kind == "SeekRowid" and op.p2 == 0):
            return [op.addr + 1, op.p2]
        return [op.addr + 1]

    def likely_successors(self, op: Op) -> list[int]:
        """:meth:`successors` without the branches taken only in exceptional cases: pending foreign key
        violations to recheck (``FkIfZero``), a table moved by auto-vacuum after a ``DROP`` (``Destroy``
        leaves 0 in its register without it), a jump back to retry."""
        kind = op.opcode
        if kind == "FkIfZero":
            return [op.p2]
        if kind in ("If", "IfNot") and op.p1 in self.destroyed:
            return [op.p2] if kind == "IfNot" else [op.addr + 1]
        nexts = self.successors(op)
        if kind in _CONDITIONAL and kind not in _STEPS and kind != "VNext":
            nexts = [target for target in nexts if target > op.addr or target == -1]
        return nexts

    def paths(self) -> list[tuple[int, frozenset[int]]] | None:
        """Every path through a program without loops: (operations run, counting operations on it), or
        None when there are too many or the program has control flow this does not follow."""
        if not self.loop_free or any(op.opcode in _UNSUPPORTED_IN_PATHS for op in self.ops):
            return None
        counted = {op.addr for op in self.ops if self._counts(op)}
        memo: dict[int, set[tuple[int, frozenset[int]]] | None] = {}
        for addr in range(len(self.ops) - 1, -1, -1):  # forward jumps only: fill from the end
            op = self.ops[addr]
            mine = frozenset({addr}) if addr in counted else frozenset()
            results: set[tuple[int, frozenset[int]]] = set()
            nexts = self.successors(op)
            if not nexts:
                results.add((1, mine))
            for target in nexts:
                if target == -1:
                    results.add((1, mine))
                    continue
                if target <= addr and not (op.opcode == "Goto" and target <= 1):
                    return None
                if target >= len(self.ops):
                    continue
                later = memo.get(target) if target > addr else None
                if target <= addr:  # the Transaction block's jump back to the start: resolved below
                    later = {(0, frozenset({-2}))}
                if later is None:
                    return None
                results.update((n + 1, mine | rest) for n, rest in later)
            if len(results) > _MAX_PATH_SETS:
                return None
            memo[addr] = results
        # Init jumps to the Transaction block, whose Goto returns to address 1.
        start = memo.get(0)
        body = memo.get(1)
        if start is None or body is None:
            return None
        out = []
        for n, rest in start:
            if -2 in rest:
                out.extend((n + m, (rest - {-2}) | more) for m, more in body)
            else:
                out.append((n, rest))
        return out

    def _counts(self, op: Op) -> bool:
        kind = op.opcode
        return (kind in _LOOP_HEADS or kind in _ROWID_LOOKUPS or kind == "Count" or kind == "Clear"
                or kind == "VUpdate" or (kind in ("Insert", "IdxInsert", "Delete") and self.writes(op)))

    def writes(self, op: Op) -> bool:
        """Does this insert or delete go to a table or index (not a temporary one, not a no-op the
        pre-update hook sees)?"""
        return not self.temp.get(op.addr, False) and not (op.opcode == "Insert" and op.p5 & _ISNOOP)


def program_of(connection: sqlite3.Connection, sql: str, params: Any) -> Program | None:
    # "EXPLAIN " must not make a statement of the longest length allowed too long
    category = getattr(sqlite3, "SQLITE_LIMIT_SQL_LENGTH", None)
    limit = connection.getlimit(category) if category is not None and hasattr(connection, "getlimit") else None
    try:
        if limit is not None:
            connection.setlimit(category, limit + 16)
        rows = connection.execute(f"EXPLAIN {sql}", params).fetchall()
    except (sqlite3.Error, ValueError, OverflowError):
        return None
    finally:
        if limit is not None:
            connection.setlimit(category, limit)
    # EXPLAIN lists the statement's program and then those of the triggers (and foreign key actions) it may
    # run, each numbered from 0 again.
    programs: list[list[tuple[Any, ...]]] = []
    for row in rows:
        if row[0] == 0 or not programs:
            programs.append([])
        programs[-1].append(row)
    if not programs:
        return None
    program = Program.parse(programs[0])
    program.triggers = [Program.parse(rows) for rows in programs[1:]]
    return program


# -- estimating ----------------------------------------------------------------------------------------
class _Estimate:
    def __init__(self, program: Program, counters: list[int], changes: int, total: int, returned: int,
                 table_rows: Callable[[int], int], done: bool) -> None:
        self.program = program
        self.counters = counters
        self.changes = changes  # the statement's own changes
        self.total = total  # with its triggers' and foreign key actions'
        self.returned = returned
        self.table_rows = table_rows
        self.done = done
        self._exec: dict[int, float] = {}
        self._iters: dict[int, float] = {}
        self._busy: set[Any] = set()
        self._shares: dict[Any, dict[int, float]] = {}
        self.path: frozenset[int] | None = None
        self.nchange = self._share_changes()

    # counts of single operations
    def exec(self, addr: int) -> float:
        if addr in self._exec:
            return self._exec[addr]
        if addr in self._busy:
            return 1.0
        self._busy.add(addr)
        try:
            value = self._exec_uncached(addr)
        finally:
            self._busy.discard(addr)
        self._exec[addr] = value
        return value

    def _exec_uncached(self, addr: int) -> float:
        program = self.program
        if self.path is not None:
            return 1.0 if addr in self.path else 0.0
        if not self._reachable(addr):
            return 0.0
        context = program.innermost(addr)
        if context is None:
            count = 1.0
        elif isinstance(context, Loop):
            count = self._body(context, addr)
        else:
            start, end, callers = context
            count = sum(self.exec(caller) for caller in callers)
        for start, end in program.once:
            if start <= addr <= end:
                count = min(count, 1.0)
        limit = self._sorter_limit(addr)
        if limit is not None:
            count = max(self.exec(addr - 1) - limit, 0.0)
        return count

    def _sorter_limit(self, addr: int) -> float | None:
        """ORDER BY ... LIMIT N keeps N rows in a temporary index: once it holds N, each further row first
        looks at its last entry (``IfNotZero`` on the count left, then ``Last``)."""
        ops = self.program.ops
        if ops[addr].opcode != "Last" or addr == 0 or ops[addr - 1].opcode != "IfNotZero":
            return None
        register = ops[addr - 1].p1
        for op in ops:
            if op.opcode == "Integer" and op.p2 == register:
                return float(op.p1)
        return None

    def _reachable(self, addr: int) -> bool:
        # A statement that ran fewer operations than it takes to get here never got here (LIMIT 0).
        steps = self.counters[STMT_VM_STEP]
        if not self.done or steps <= 0:
            return True
        distance = self._distance().get(addr)
        return distance is not None and distance < steps

    def _distance(self) -> dict[int, int]:
        if not hasattr(self, "_distances"):
            program = self.program
            distance = {0: 0}
            frontier = [0]
            while frontier:
                nxt = []
                for addr in frontier:
                    for target in program.likely_successors(program.ops[addr]):
                        if 0 <= target < len(program.ops) and target not in distance:
                            distance[target] = distance[addr] + 1
                            nxt.append(target)
                frontier = nxt
            self._distances = distance
        return self._distances

    def _body(self, loop: Loop, addr: int) -> float:
        own = [a for a, n in self.nchange.items() if self.program.innermost(a) is loop]
        op = self.program.ops[addr]
        if own and (op.opcode in _ROWID_LOOKUPS or op.opcode in ("Insert", "IdxInsert", "Delete")):
            return max(self.nchange[a] for a in own)  # per changed row: the lookup and the index updates
        iterations = self.iterations(loop)
        if loop.checked and addr > loop.start and loop.kind == "step":
            iterations -= self.nonempty(loop)  # the entry that left the range ends each pass
        return max(iterations, 0.0)

    # loops
    def iterations(self, loop: Loop) -> float:
        key = id(loop)
        if key in self._iters:
            return self._iters[key]
        if key in self._busy:
            return 1.0
        self._busy.add(key)
        try:
            value = self._iterations(loop)
        finally:
            self._busy.discard(key)
        self._iters[key] = value
        return value

    def _iterations(self, loop: Loop) -> float:
        program = self.program
        if loop.kind == "goto":
            if loop.coroutine is not None and loop.coroutine in program.coroutines:
                start, end = program.coroutines[loop.coroutine]
                return sum(self.exec(op.addr) for op in program.ops[start:end + 1]
                           if op.opcode == "Yield" and op.p1 == loop.coroutine)
            return float(self.returned + 1)
        if loop.kind == "vtab":
            return float(self.returned) if self._only_loop(loop) else max(float(self.returned), 1.0)
        return self.nonempty(loop) + self.successes(loop)

    def _only_loop(self, loop: Loop) -> bool:
        return len(self.program.loops) == 1

    def entries(self, loop: Loop) -> float:
        return self.exec(loop.head) if loop.head is not None else 1.0

    def nonempty(self, loop: Loop) -> float:
        entries = self.entries(loop)
        if entries <= 0:
            return 0.0
        successes = self.successes(loop)
        if successes > 0:
            return min(entries, max(successes, 1.0)) if self._seeks_equal(loop) else entries
        # No step succeeded: each entry found one row or none.
        head = self.program.ops[loop.head] if loop.head is not None else None
        if head is not None and head.opcode in ("Rewind", "Last") and not self.program.temp.get(head.addr, True):
            return entries if self._rows_at(head.addr) > 0 else 0.0
        if head is not None and self.program.temp.get(head.addr, False):
            return min(entries, self.temp_rows(head.p1))
        if self._emits(loop) and self.returned > 0:
            return min(entries, float(self.returned))
        if any(self.program.innermost(a) is loop for a in self.nchange) and self.changes > 0:
            return min(entries, float(self.changes))
        if head is not None and head.opcode in _SEEKS and not self._seeks_equal(loop):
            return 0.0
        return 0.0

    def _seeks_equal(self, loop: Loop) -> bool:
        return loop.head is not None and self.program.seek_eq.get(loop.head, False) and \
            self.program.ops[loop.head].opcode in ("SeekGE", "SeekLE")

    def _emits(self, loop: Loop) -> bool:
        return any(op.opcode in ("ResultRow", "Yield") for op in self.program.ops[loop.start:loop.end + 1])

    def successes(self, loop: Loop) -> float:
        """How many times the loop's step moved to another row. The statement counts the steps of every loop
        of one kind together; when several loops share a kind, the outer ones get what their tables make
        likely (a full scan steps once per row but the first) and the innermost the rest."""
        key = ("steps", loop.category)
        shares = self._shares.get(key)
        if shares is None:
            shares = self._shares[key] = {}
            same = [other for other in self.program.loops if other.kind == "step" and other.category == loop.category]
            depth = {id(other): sum(1 for outer in self.program.loops if outer is not other
                                    and outer.start <= other.start and other.end <= outer.end) for other in same}
            same.sort(key=lambda other: (depth[id(other)], other.start))  # outer loops first, the last takes the rest
            remaining = float(self.counters[loop.category])
            takers = [same[-1]]
            for other in same[:-1]:
                guess = self._guess_successes(other)
                if guess is None:
                    takers.append(other)
                    continue
                shares[id(other)] = min(guess, remaining)
                remaining -= shares[id(other)]
            for other in takers:
                shares[id(other)] = remaining / len(takers)
        return shares.get(id(loop), 0.0)

    def _guess_successes(self, loop: Loop) -> float | None:
        head = self.program.ops[loop.head] if loop.head is not None else None
        if head is None or loop.checked:
            return None
        if head.opcode in ("Rewind", "Last") and not self.program.temp.get(head.addr, True):
            rows = self._rows_at(head.addr)
            return self.entries(loop) * max(rows - 1, 0) if rows else 0.0
        if head.opcode in ("Rewind", "Last", "Sort", "SorterSort") and self.program.temp.get(head.addr, False):
            rows = self.temp_rows(head.p1)
            return self.entries(loop) * max(rows - 1, 0.0) if rows else 0.0
        return None

    def temp_rows(self, cursor: int) -> float:
        return sum(self.exec(op.addr) for op in self.program.ops
                   if op.opcode in _TEMP_INSERTS and op.p1 == cursor and self.program.temp.get(op.addr, False))

    def _rows_at(self, addr: int) -> int:
        root = self.program.root.get(addr)
        return self.table_rows(root) if root is not None else 0

    # changes
    def _share_changes(self) -> dict[int, float]:
        program = self.program
        ops = [op for op in program.ops if self._changes_rows(op)]
        if not ops:
            return {}
        paths = program.paths() if self.done else None
        if paths is not None:
            steps = self.counters[STMT_VM_STEP]
            matching = [taken for length, taken in paths if length == steps]
            if matching:
                self.path = matching[0]
                return {op.addr: (1.0 if op.addr in self.path else 0.0) for op in ops if op.opcode != "Clear"} | {
                    op.addr: float(self.changes) for op in ops if op.opcode == "Clear" and op.addr in self.path}
        clears = [op for op in ops if op.opcode == "Clear"]
        if clears:
            return {clears[0].addr: float(self.changes)}
        return {ops[-1].addr: float(self.changes)} | {op.addr: 0.0 for op in ops[:-1]}

    def _changes_rows(self, op: Op) -> bool:
        kind = op.opcode
        if self.program.temp.get(op.addr, False):
            return False
        if kind in ("Insert", "IdxInsert"):
            return bool(op.p5 & _NCHANGE)
        if kind == "Delete":
            return bool(op.p2 & _NCHANGE)
        return kind == "VUpdate" or (kind == "Clear" and op.p3 != 0)

    # the totals
    def read(self) -> int:
        program = self.program
        total = float(self.counters[STMT_OTHER_STEP] + self.counters[STMT_FULLSCAN_STEP]
                      + self.counters[STMT_AUTOINDEX])
        sorts = [op for op in program.ops if op.opcode in ("Sort", "SorterSort")]
        if sorts:
            total += self.counters[STMT_SORT]
        for op in program.ops:
            kind = op.opcode
            if kind in ("Rewind", "Last") or kind in _ROWID_LOOKUPS:
                total += self.exec(op.addr)
            elif kind in _SEEKS:
                loop = next((lp for lp in program.loops if lp.head == op.addr), None)
                if program.seek_eq.get(op.addr, False) and kind in ("SeekGE", "SeekLE"):
                    total += self.nonempty(loop) if loop is not None else min(self.exec(op.addr), 1.0)
                else:
                    total += self.exec(op.addr)
            elif kind == "Count" and op.p3 == 0:
                root = program.root.get(op.addr)
                if root is not None and self.exec(op.addr) > 0:
                    total += self.table_rows(root) * self.exec(op.addr)
            elif kind == "VNext":
                loop = next((lp for lp in program.loops if lp.end == op.addr), None)
                if loop is not None:
                    total += self.iterations(loop)
        return round(total)

    def written(self) -> int:
        program = self.program
        total = 0.0
        for op in program.ops:
            kind = op.opcode
            if op.addr in self.nchange:
                total += self.nchange[op.addr]
            elif kind in ("Insert", "IdxInsert") and program.writes(op):
                total += self._paired(op)
        if any(op.opcode == "Program" for op in program.ops):
            total += max(self.total - self.changes, 0)  # rows its triggers and foreign key actions changed
        return round(total)

    def _paired(self, op: Op) -> float:
        """An index insert goes with the row its statement changes next to it (same loop, same path)."""
        if self.path is not None:
            return 1.0 if op.addr in self.path else 0.0
        context = self.program.innermost(op.addr)
        partners = [a for a in self.nchange if self.program.innermost(a) is context and a > op.addr]
        if partners:
            return self.nchange[min(partners)]
        return self.exec(op.addr)


class RowCounter:
    """Counts one statement's rows. Make it before running the statement (it clears the counters of a
    cached copy), then ask :meth:`counts` while or after reading its rows."""

    __slots__ = ("_connection", "_sql", "_params", "_total_before", "_program", "_trusted", "_frozen",
                 "_cache", "_returned", "_done", "last_estimate", "__weakref__")

    # The counter still reading each (connection, statement text): a statement run again (SQLite reuses the
    # prepared statement) first settles the earlier run's counts.
    _live: weakref.WeakValueDictionary[tuple[int, str], RowCounter] = weakref.WeakValueDictionary()

    def __init__(self, connection: sqlite3.Connection, sql: str, params: Any,
                 trusted: Callable[[], AbstractContextManager[Any]] | None = None,
                 cache: dict[Any, Program | None] | None = None) -> None:
        self._connection = connection
        self._sql = sql
        self._params = params
        self._trusted = trusted or nullcontext
        self._total_before = connection.total_changes
        self._program: Program | None = None
        self._frozen: tuple[int, int] | None = None
        self._cache = cache
        self._returned, self._done = 0, False
        if sqlitecapi.AVAILABLE:
            earlier = RowCounter._live.get((id(connection), sql))
            if earlier is not None and earlier._frozen is None:
                earlier.counts(earlier._returned, True)
            RowCounter._live[(id(connection), sql)] = self
            sqlitecapi.statement_counters(connection, sql, reset=True)
            self._program = self._program_of()  # before it runs: a CREATE cannot be explained once it has

    def counts(self, returned: int, done: bool) -> tuple[int, int]:
        """(rows read, rows written) so far: ``returned`` rows have been read from the statement, ``done``
        once it has no more."""
        if self._frozen is not None:
            return self._frozen
        self._returned, self._done = returned, done
        total = self._connection.total_changes - self._total_before
        counters = sqlitecapi.statement_counters(self._connection, self._sql, reset=done) \
            if sqlitecapi.AVAILABLE else None
        result: tuple[int, int] | None = None
        if counters is not None:
            program = self._program
            if program is not None:
                own = sqlitecapi.changes(self._connection) if any(
                    op.opcode in ("Insert", "IdxInsert", "Delete", "Clear", "VUpdate") for op in program.ops) else 0
                estimate = _Estimate(program, counters, max(min(own, total), 0) if own >= 0 else total, total,
                                     returned, self._table_rows(), done)
                result = (estimate.read(), estimate.written())
                self.last_estimate = estimate
        if result is None:
            result = (returned if returned else total, total)
        if done:
            self._frozen = result
        return result

    def _program_of(self) -> Program | None:
        key = (self._sql, self._schema_version())
        if self._cache is not None and key in self._cache:
            return self._cache[key]
        with self._trusted():
            program = program_of(self._connection, self._sql, self._params)
        if self._cache is not None and program is not None:  # (one that failed may work with other values)
            if len(self._cache) > 512:
                self._cache.clear()
            self._cache[key] = program
        return program

    def _schema_version(self) -> int:
        with self._trusted():
            return self._connection.execute("PRAGMA schema_version").fetchone()[0]

    def _table_rows(self) -> Callable[[int], int]:
        counted: dict[int, int] = {}

        def rows(root: int) -> int:
            if root not in counted:
                counted[root] = self._count(root)
            return counted[root]

        return rows

    def _count(self, root: int) -> int:
        with self._trusted():
            try:
                if root == 1:
                    return self._connection.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]
                found = self._connection.execute(
                    "SELECT type, tbl_name FROM sqlite_schema WHERE rootpage = ?", (root,)).fetchone()
                if found is None:
                    return 0
                table = found[1].replace('"', '""')
                return self._connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            except sqlite3.Error:
                return 0

