"""Consecutive single-row INSERTs of one text, sent as multi-row INSERTs: how a rebuild writes its rows.

A rebuild turns a million events into a million one-row statements; executed one by one (even pipelined)
each costs the server a bind and an execution and the client a result, which is most of what a rebuild
spends writing. Merged into `INSERT … VALUES (…), (…), …` they cost one of each per few hundred rows.

Only statements for which the merge cannot change the outcome are merged: a single `VALUES` row of
placeholders and constants (no expression that could read a table: a later row of one statement does
not see the earlier ones, as a later statement would), and no clause but `ON CONFLICT [target] DO NOTHING`
(its rows are inserted in order and a later duplicate is skipped, as a later statement's would be; a
`DO UPDATE` on a duplicate would fail, and `RETURNING` would change what comes back). Anything else is
sent as it was, one execution per statement.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from projections.core import Sql

Params = Sequence[Any] | Mapping[str, Any]

# PostgreSQL's limit of parameters in one statement (the protocol counts them in 16 bits).
MAX_PARAMS = 65535
# Rows per merged statement: past a few hundred, a longer statement saves next to nothing more.
MAX_ROWS = 500

_IDENT = r'(?:[A-Za-z_][A-Za-z0-9_$]*|"[^"%]+")'
_HEAD = rf"\s*INSERT\s+INTO\s+{_IDENT}(?:\s*\.\s*{_IDENT})?\s*(?:\(\s*{_IDENT}(?:\s*,\s*{_IDENT})*\s*\))?\s*VALUES\s*"
_PLACEHOLDER = r"%(?:\(\w+\))?[sbt]"
_CONSTANT = r"'[^'%]*'|[-+]?\d+(?:\.\d+)?|(?:NULL|TRUE|FALSE|DEFAULT)\b"
_CAST = rf"(?:\s*::\s*{_IDENT}(?:\s*\[\s*\])?)*"
_ITEM = rf"\s*(?:{_PLACEHOLDER}|{_CONSTANT}){_CAST}\s*"
_ROW = rf"\({_ITEM}(?:,{_ITEM})*\)"
_TAIL = (
    rf"\s*(?:ON\s+CONFLICT\s*(?:\(\s*{_IDENT}(?:\s*,\s*{_IDENT})*\s*\)|ON\s+CONSTRAINT\s+{_IDENT})?\s*DO\s+NOTHING)?"
    r"\s*;?\s*"
)
_SINGLE_ROW_INSERT = re.compile(rf"({_HEAD})({_ROW})({_TAIL})", re.IGNORECASE)
_PARAM = re.compile(r"%\((\w+)\)([sbt])|%([sbt])")


@dataclass(frozen=True, slots=True)
class Statement:
    """One text with its parameter sets: executed once when there is one, else as an executemany.

    `numbered` texts take PostgreSQL's own `$n` placeholders (a raw cursor sends them as they are): the
    driver parses a `%s` text of more than a few kilobytes again on every execution, which for a
    statement of hundreds of rows costs more than the rows' writing.
    """

    text: str
    param_sets: list[Params]
    numbered: bool = False


@dataclass(frozen=True)
class InsertShape:
    """A mergeable single-row INSERT: the text around its row and which parameter each placeholder takes."""

    head: str
    pieces: tuple[str, ...]  # the row's text between its placeholders (one more than the placeholders)
    slots: tuple[int, ...]  # for each placeholder, the index of its parameter among the row's `width`
    tail: str
    names: tuple[str, ...] | None  # the row's parameters by name, in `slots` order; None: positional
    width: int  # parameters per row (a name used twice in the row is sent once)
    _texts: dict[int, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def rows_per_statement(self) -> int:
        return max(1, min(MAX_ROWS, MAX_PARAMS // max(1, self.width)))

    def text(self, rows: int) -> str:
        """The statement inserting `rows` rows, with numbered placeholders."""
        text = self._texts.get(rows)
        if text is None:
            text = self._texts[rows] = self.head + ", ".join(self._row(r * self.width) for r in range(rows)) + self.tail
        return text

    def _row(self, offset: int) -> str:
        parts = [self.pieces[0]]
        for slot, piece in zip(self.slots, self.pieces[1:], strict=True):
            parts.append(f"${offset + slot + 1}")
            parts.append(piece)
        return "".join(parts)

    def flat(self, param_sets: Sequence[Params]) -> list[Any] | None:
        """The parameters of `param_sets`, one row after another; None if one does not fit (the run is then
        sent as it was, so that the driver reports it as it would have)."""
        flat: list[Any] = []
        if self.names is None:
            for params in param_sets:
                if isinstance(params, (str, bytes, Mapping)) or len(params) != self.width:
                    return None
                flat.extend(params)
            return flat
        names = self.names
        try:
            for params in param_sets:
                if not isinstance(params, Mapping):
                    return None
                flat.extend([params[name] for name in names])
        except KeyError:
            return None
        return flat


@lru_cache(maxsize=1024)
def insert_shape(text: str) -> InsertShape | None:
    """The shape of `text` if it is a single-row INSERT that can be merged with others of its text, else None."""
    match = _SINGLE_ROW_INSERT.fullmatch(text)
    if match is None:
        return None
    head, row, tail = match.groups()
    found = list(_PARAM.finditer(row))
    if any(m.group(2) not in (None, "s") or m.group(3) not in (None, "s") for m in found):
        return None  # a binary or text placeholder: the numbered text leaves the format to the driver
    named = [m.group(1) for m in found if m.group(1) is not None]
    if named and len(named) != len(found):
        return None  # mixed named and positional placeholders: the driver refuses them
    pieces = tuple(_PARAM.split(row)[::4])
    if named:
        distinct = tuple(dict.fromkeys(named))
        slots = tuple(distinct.index(name) for name in named)
        return InsertShape(head, pieces, slots, tail, distinct, len(distinct))
    return InsertShape(head, pieces, tuple(range(len(found))), tail, None, len(found))


def merged(statements: Sequence[Sql]) -> list[Statement]:
    """`statements` in order, each run of one text as few statements as its shape allows.

    A run of a mergeable INSERT becomes multi-row INSERTs; any other run stays one executemany, as the
    projector sends it.
    """
    out: list[Statement] = []
    i, n = 0, len(statements)
    while i < n:
        text = statements[i].text
        j = i + 1
        while j < n and statements[j].text == text:
            j += 1
        run = [s.params for s in statements[i:j]]
        shape = insert_shape(text) if j - i > 1 else None
        out.extend([Statement(text, run)] if shape is None else _merged_inserts(shape, text, run))
        i = j
    return out


def _merged_inserts(shape: InsertShape, text: str, run: list[Params]) -> list[Statement]:
    out: list[Statement] = []
    size = shape.rows_per_statement
    for start in range(0, len(run), size):
        piece = run[start:start + size]
        flat = shape.flat(piece) if len(piece) > 1 else None
        out.append(Statement(text, piece) if flat is None else Statement(shape.text(len(piece)), [flat], numbered=True))
    return out
