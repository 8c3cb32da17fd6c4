"""Periods as THL reports them, and the suppression step: hypothesis over random tables
with margins checks that no published cell counts 1-4 individuals and that no hidden cell
can be worked out from what is published (checked with the null space of the sums, a
different method from the rank test the step itself uses)."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.evaluation.periods import (
    PeriodError,
    half_year_of,
    parse_period,
    periods_between,
)
from services.evaluation.suppression import Sum, suppress


def test_half_years_run_april_to_september_and_october_to_march() -> None:
    h1, h2 = parse_period("2025H1"), parse_period("2025H2")
    assert (h1.start, h1.end) == (dt.date(2025, 4, 1), dt.date(2025, 10, 1))
    assert (h2.start, h2.end) == (dt.date(2025, 10, 1), dt.date(2026, 4, 1))
    assert dt.date(2025, 9, 30) in h1 and dt.date(2025, 10, 1) not in h1
    assert dt.date(2026, 3, 31) in h2 and dt.date(2026, 4, 1) not in h2
    assert half_year_of(dt.date(2025, 2, 14)).label == "2024H2"
    assert h1.previous().label == "2024H2" and h2.previous().label == "2025H1"


def test_months_and_years() -> None:
    assert parse_period("2024-02").end == dt.date(2024, 3, 1)
    assert parse_period("2025-12").end == dt.date(2026, 1, 1)
    assert parse_period("2025") == parse_period(" 2025 ")
    assert parse_period("2025").end == dt.date(2026, 1, 1)
    labels = [p.label for p in periods_between(dt.date(2025, 1, 5), dt.date(2025, 12, 31))]
    assert labels == ["2024H2", "2025H1", "2025H2"]
    assert len(periods_between(dt.date(2025, 1, 5), dt.date(2025, 12, 31), "month")) == 12


@pytest.mark.parametrize("text", ["2025H3", "2025-13", "25", "2025-3", "H1", "", "2025q1"])
def test_bad_periods_say_what_is_expected(text: str) -> None:
    with pytest.raises(PeriodError, match="2025H1"):
        parse_period(text)


# --- suppression ------------------------------------------------------------------------

def grid(counts: list[list[int]]) -> tuple[dict[object, int], list[Sum]]:
    """A table with row totals, column totals and a grand total, as cells and sums."""
    cells: dict[object, int] = {}
    rows, cols = len(counts), len(counts[0])
    for r, c in itertools.product(range(rows), range(cols)):
        cells[(r, c)] = counts[r][c]
    for r in range(rows):
        cells[(r, "total")] = sum(counts[r])
    for c in range(cols):
        cells[("total", c)] = sum(row[c] for row in counts)
    cells[("total", "total")] = sum(map(sum, counts))
    sums = [Sum((r, "total"), tuple((r, c) for c in range(cols))) for r in range(rows)]
    sums += [Sum(("total", c), tuple((r, c) for r in range(rows))) for c in range(cols)]
    sums += [Sum(("total", "total"), tuple((r, "total") for r in range(rows))),
             Sum(("total", "total"), tuple(("total", c) for c in range(cols)))]
    return cells, sums


def determined(cells: dict[object, int], sums: list[Sum], hidden: set[object]) -> set[object]:
    """Hidden cells the published ones pin down: those on which every solution of the
    homogeneous system over the hidden cells is zero (null space by SVD)."""
    unknown = [k for k in cells if k in hidden]
    if not unknown:
        return set()
    index = {k: j for j, k in enumerate(unknown)}
    matrix = np.zeros((len(sums), len(unknown)))
    for i, s in enumerate(sums):
        if s.total in index:
            matrix[i, index[s.total]] += 1
        for p in s.parts:
            if p in index:
                matrix[i, index[p]] -= 1
    _, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > 1e-9).sum())
    null = vt[rank:]
    return {k for k, j in index.items() if null.shape[0] == 0 or np.abs(null[:, j]).max() < 1e-9}


tables = st.integers(1, 5).flatmap(lambda rows: st.integers(1, 4).flatmap(
    lambda cols: st.lists(st.lists(st.one_of(st.integers(0, 6), st.integers(0, 60)),
                                   min_size=cols, max_size=cols),
                          min_size=rows, max_size=rows)))


@settings(max_examples=300, deadline=None)
@given(tables, st.integers(2, 10))
def test_no_small_cell_is_published_and_no_hidden_cell_can_be_recovered(
        counts: list[list[int]], n: int) -> None:
    cells, sums = grid(counts)
    result = suppress(cells, sums, min_cell=n)
    published = {k: v for k, v in cells.items() if k not in result}
    assert all(v == 0 or v >= n for v in published.values())
    assert determined(cells, sums, set(result.reasons)) == set()
    for key, reason in result.reasons.items():
        assert reason.startswith("primary" if 0 < cells[key] < n else "secondary")


def test_one_small_cell_takes_a_partner_in_its_row_and_column() -> None:
    cells, sums = grid([[3, 40], [20, 30]])
    result = suppress(cells, sums)
    assert result.reasons[(0, 0)] == "primary: fewer than 5 individuals"
    # (0,0) alone is recoverable from its row and column: the smallest partners go too
    assert {(0, 1), (1, 0), (1, 1)} <= set(result.reasons)
    assert ("total", "total") not in result


def test_nothing_small_means_nothing_hidden() -> None:
    cells, sums = grid([[10, 0], [5, 7]])
    assert suppress(cells, sums).reasons == {}


@settings(max_examples=200, deadline=None)
@given(tables, st.integers(2, 10), st.randoms(use_true_random=False))
def test_the_same_table_in_any_order_gets_the_same_reasons(
        counts: list[list[int]], n: int, rng: random.Random) -> None:
    """Cells arrive in the order SQL groups them, which is no order: what is hidden, and
    why, must not depend on it."""
    cells, sums = grid(counts)
    shuffled = list(cells.items())
    rng.shuffle(shuffled)
    assert suppress(dict(shuffled), sums, min_cell=n).reasons == \
        suppress(cells, sums, min_cell=n).reasons
