"""The one suppression step every published number goes through (Toisiolaki 552/2019:
published results must be anonymous).

A table is a set of counted cells (counts of individuals) and the sums that tie them
together (a total and the cells it adds up). Primary suppression hides every cell counting
1 to N-1 individuals (N = 5 unless configured); zero is published, it identifies no one.
Secondary suppression then hides further cells until no hidden cell can be worked out
exactly from what is published: a hidden cell is recoverable when the published cells and
the sums pin down its value, i.e. when its column of the sums' coefficient matrix over the
hidden cells is not spanned by the others (removing it lowers the rank). Each further cell
is the smallest published count in a sum with a recoverable one, so little is lost.

This protects against exact recovery by sums. It does not give interval protection
(bounds from non-negativity can still narrow a hidden cell); the counts are small and
the cells coarse, which is what THL's own tables rely on too.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.evaluation.deps import require

np = require("numpy")

DEFAULT_MIN_CELL = 5

Key = Hashable


@dataclass(frozen=True)
class Sum:
    """`total` = the sum of `parts` (all cell keys of the same table)."""

    total: Key
    parts: tuple[Key, ...]


@dataclass(frozen=True)
class Suppressed:
    """The outcome: the reason each hidden cell was hidden; every other cell is published."""

    reasons: Mapping[Key, str]

    def __contains__(self, key: Key) -> bool:
        return key in self.reasons


def suppress(cells: Mapping[Key, int], sums: Sequence[Sum],
             min_cell: int = DEFAULT_MIN_CELL) -> Suppressed:
    """Which cells of the table to hide, and why."""
    for s in sums:
        missing = [k for k in (s.total, *s.parts) if k not in cells]
        if missing:
            raise KeyError(f"sum over cells that are not in the table: {missing}")
    reasons: dict[Key, str] = {
        key: f"primary: fewer than {min_cell} individuals"
        for key, count in cells.items() if 0 < count < min_cell}
    while exposed := _recoverable(cells, sums, reasons):
        # the best cover over every exposed cell: a small part next to one of them
        # Ties go by the protected cell's name: the cells' order comes from SQL groups,
        # which have none, and the same data must give the same reasons.
        choice, protected = min(((_cover(cells, sums, reasons, key), key) for key in exposed),
                                key=lambda pair: (pair[0][0], str(pair[1])))
        reasons[choice[1]] = (f"secondary: {_label(protected)} could be recovered from "
                              "the totals")
    return Suppressed(reasons)


def _label(key: Key) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return "/".join("all" if part is None else str(part) for part in parts)


def _recoverable(cells: Mapping[Key, int], sums: Sequence[Sum],
                 hidden: Mapping[Key, str]) -> list[Key]:
    """The hidden cells whose values the published cells and sums determine."""
    return [key for key in cells if key in hidden and _pinned(cells, sums, hidden, key)]


def _pinned(cells: Mapping[Key, int], sums: Sequence[Sum],
            hidden: Mapping[Key, str] | set[Key], key: Key) -> bool:
    """Whether hidden `key` is determined: its column is not spanned by the other hidden
    cells' columns, so dropping it lowers the rank."""
    unknown = [k for k in cells if k in hidden]
    matrix = _coefficients(sums, unknown)
    if not matrix.size:
        return False
    without = np.delete(matrix, unknown.index(key), axis=1)
    return bool(np.linalg.matrix_rank(without) < np.linalg.matrix_rank(matrix))


def _coefficients(sums: Sequence[Sum], unknown: list[Key]) -> Any:
    index = {key: j for j, key in enumerate(unknown)}
    rows = []
    for s in sums:
        row = [0.0] * len(unknown)
        if s.total in index:
            row[index[s.total]] += 1
        for part in s.parts:
            if part in index:
                row[index[part]] -= 1
        if any(row):
            rows.append(row)
    return np.array(rows, dtype=float).reshape(len(rows), len(unknown))


def _cover(cells: Mapping[Key, int], sums: Sequence[Sum], hidden: Mapping[Key, str],
           exposed: Key) -> tuple[tuple[Any, ...], Key]:
    """The published cell to hide next for `exposed`, with its preference (lower is
    better): one sharing a sum with it if any, non-zero before zero, parts before totals
    (totals and denominators stay visible when they can), the smallest count first."""
    near = {k for s in sums if exposed in (s.total, *s.parts) for k in (s.total, *s.parts)}
    totals = {s.total for s in sums}
    candidates = [((key not in near, cells[key] == 0, key in totals, cells[key], str(key)), key)
                  for s in sums for key in (s.total, *s.parts) if key not in hidden]
    if not candidates:  # cannot happen: with everything hidden nothing is recoverable
        raise AssertionError(f"no cell left to protect {exposed!r}")
    return min(candidates, key=lambda pair: pair[0])
