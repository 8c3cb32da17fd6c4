"""Age bands: whole years at the event, with the statutory limits (under 18, 75 and over)
exact, checked against a reference that counts birthdays one by one."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from contracts.timeline import AGE_BANDS, age_band


def reference_years(born: dt.date, on: dt.date) -> int:
    years = 0
    while True:
        try:
            birthday = born.replace(year=born.year + years + 1)
        except ValueError:  # 29 February: the birthday is 1 March in common years
            birthday = dt.date(born.year + years + 1, 3, 1)
        if birthday > on:
            return years
        years += 1


def band_of(years: int) -> str:
    for band in reversed(AGE_BANDS):
        low = int(band.rstrip("+").split("-")[0])
        if years >= low:
            return band
    raise AssertionError(years)


@given(st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31)),
       st.integers(0, 110 * 366))
def test_band_matches_counted_birthdays(born: dt.date, days: int) -> None:
    on = born + dt.timedelta(days=days)
    assert age_band(born, on) == band_of(reference_years(born, on))


def test_statutory_limits_are_exact() -> None:
    born = dt.date(1950, 6, 15)
    assert age_band(born, dt.date(2025, 6, 14)) == "65-74"
    assert age_band(born, dt.date(2025, 6, 15)) == "75-84"
    child = dt.date(2007, 6, 15)
    assert age_band(child, dt.date(2025, 6, 14)) == "13-17"
    assert age_band(child, dt.date(2025, 6, 15)) == "18-24"
    assert age_band(child, dt.date(2007, 6, 14)) is None


def test_every_whole_age_has_its_band() -> None:
    born = dt.date(1900, 3, 1)
    for years in range(131):
        assert age_band(born, dt.date(1900 + years, 3, 1)) == band_of(years), years
