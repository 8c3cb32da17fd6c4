"""The indicators' rows (rows.py): the Finnish day of each event, found once per UTC hour,
is the day Europe/Helsinki gives the event itself, across clock changes and the years
before 1921 when Finland's offset was not whole hours."""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.evaluation import rows
from services.evaluation.exports import connect
from services.evaluation.table import CURRENT_SCHEMA
from services.workdays import HELSINKI

TIMES = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1),
                     timezones=st.just(dt.UTC))
# the hours around midnight and the clock changes, where a wrong offset shows
EDGES = st.builds(lambda d, h, m: dt.datetime(d.year, d.month, d.day, h, m, tzinfo=dt.UTC),
                  st.dates(dt.date(1915, 1, 1), dt.date(2060, 12, 31)),
                  st.sampled_from([0, 1, 2, 20, 21, 22, 23]), st.integers(0, 59))


@pytest.fixture(scope="module")
def con() -> Iterator[Any]:
    with tempfile.TemporaryDirectory() as tmp:
        connection = connect(Path(tmp))
        yield connection
        connection.close()


def days(con: Any, times: list[dt.datetime]) -> list[dt.date]:
    n = len(times)
    view = pa.table({name: pa.nulls(n, CURRENT_SCHEMA.field(name).type)
                     for name in CURRENT_SCHEMA.names} | {
        "client": pa.array(["c"] * n), "sequence": pa.array(range(n), pa.int64()),
        "kind": pa.array(["notification.received"] * n), "sector": pa.array(["social"] * n),
        "occurred_at": pa.array(times, CURRENT_SCHEMA.field("occurred_at").type)})
    rows.prepare(con, con.from_arrow(view), None, rows.REFS, {}, {})
    found = dict(con.sql("SELECT seq, day FROM v").fetchall())
    return [found[n] for n in range(n)]


def test_a_sweep_agrees_with_zoneinfo(con: Any) -> None:
    rng = random.Random(1921)
    span = int((dt.datetime(2100, 1, 1) - dt.datetime(1900, 1, 1)).total_seconds())
    times = [dt.datetime(1900, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=rng.randrange(span))
             for _ in range(5_000)]
    for change in (dt.datetime(2025, 3, 29), dt.datetime(2025, 10, 25), dt.datetime(1921, 4, 30),
                   dt.datetime(1969, 12, 31), dt.datetime(1981, 3, 28)):
        times += [change.replace(tzinfo=dt.UTC) + dt.timedelta(minutes=7 * n)
                  for n in range(3 * 24 * 60 // 7)]
    assert days(con, times) == [t.astimezone(HELSINKI).date() for t in times]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(TIMES | EDGES, min_size=1, max_size=40))
def test_the_day_is_the_finnish_calendar_day(con: Any, times: list[dt.datetime]) -> None:
    assert days(con, times) == [t.astimezone(HELSINKI).date() for t in times]


def test_clock_changes_and_midnight(con: Any) -> None:
    times = [
        dt.datetime(2025, 3, 30, 0, 59, tzinfo=dt.UTC),   # 02:59 EET, before spring forward
        dt.datetime(2025, 3, 30, 1, 0, tzinfo=dt.UTC),    # 04:00 EEST
        dt.datetime(2025, 6, 19, 20, 59, tzinfo=dt.UTC),  # 23:59 on Midsummer Eve's eve
        dt.datetime(2025, 6, 19, 21, 0, tzinfo=dt.UTC),   # 00:00 on Midsummer Eve
        dt.datetime(2025, 12, 31, 21, 59, tzinfo=dt.UTC),  # 23:59 EET
        dt.datetime(2025, 12, 31, 22, 0, tzinfo=dt.UTC),  # 00:00 on New Year's Day
        dt.datetime(1920, 6, 1, 22, 15, tzinfo=dt.UTC),   # 23:54:49 at +1:39:49
        dt.datetime(1920, 6, 1, 22, 25, tzinfo=dt.UTC),   # 00:04:49, the same UTC hour
    ]
    assert days(con, times) == [dt.date(2025, 3, 30), dt.date(2025, 3, 30), dt.date(2025, 6, 19),
                           dt.date(2025, 6, 20), dt.date(2025, 12, 31), dt.date(2026, 1, 1),
                           dt.date(1920, 6, 1), dt.date(1920, 6, 2)]
