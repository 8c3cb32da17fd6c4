"""Reporting periods: THL's half-years, calendar months and calendar years.

THL reports child-welfare processing times by half-year, 1.4.–30.9. and 1.10.–31.3., so
`2025H1` is 1.4.–30.9.2025 and `2025H2` is 1.10.2025–31.3.2026 (the half-year is named by
the year it starts in). `2025-03` is March 2025 and `2025` the calendar year. A period is
a half-open range of Finnish calendar days, [start, end).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from services.errors import ConfigError
from services.workdays import add_months

_PERIOD = re.compile(r"^(?P<year>\d{4})(?:H(?P<half>[12])|-(?P<month>\d{2}))?$")


class PeriodError(ConfigError, ValueError):
    """A period that is not `YYYY`, `YYYYH1`, `YYYYH2` or `YYYY-MM`."""


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date  # first day after the period
    label: str

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day < self.end

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return parse_period(_shift(self.label, -1))


def parse_period(text: str) -> Period:
    match = _PERIOD.match(text.strip())
    if match is None or not 1900 <= int(match["year"]) <= 2199:
        raise PeriodError(f"period {text!r}: expected a year (2025), a THL half-year "
                          "(2025H1 = 1.4.-30.9., 2025H2 = 1.10.-31.3.) or a month (2025-03)")
    year = int(match["year"])
    if match["half"]:
        start = dt.date(year, 4 if match["half"] == "1" else 10, 1)
        return Period(start, add_months(start, 6), f"{year}H{match['half']}")
    if match["month"]:
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise PeriodError(f"period {text!r}: month {month} is not 01-12 (expected "
                              "2025, 2025H1 or 2025-03)")
        start = dt.date(year, month, 1)
        return Period(start, add_months(start, 1), f"{year}-{month:02d}")
    return Period(dt.date(year, 1, 1), dt.date(year + 1, 1, 1), str(year))


def half_year_of(day: dt.date) -> Period:
    """The THL half-year `day` falls in."""
    if 4 <= day.month <= 9:
        return parse_period(f"{day.year}H1")
    return parse_period(f"{day.year if day.month >= 10 else day.year - 1}H2")


def periods_between(first: dt.date, last: dt.date, kind: str = "half-year") -> list[Period]:
    """Every period of `kind` (half-year, month, year) from the one holding `first` to the
    one holding `last`."""
    if kind == "half-year":
        current = half_year_of(first)
    elif kind == "month":
        current = parse_period(f"{first.year}-{first.month:02d}")
    elif kind == "year":
        current = parse_period(str(first.year))
    else:
        raise PeriodError(f"period kind {kind!r}: expected half-year, month or year")
    out = []
    while current.start <= last:
        out.append(current)
        current = parse_period(_shift(current.label, 1))
    return out


def _shift(label: str, step: int) -> str:
    match = _PERIOD.match(label)
    assert match is not None
    year = int(match["year"])
    if match["half"]:
        index = year * 2 + int(match["half"]) - 1 + step
        return f"{index // 2}H{index % 2 + 1}"
    if match["month"]:
        index = year * 12 + int(match["month"]) - 1 + step
        return f"{index // 12}-{index % 12 + 1:02d}"
    return str(year + step)
