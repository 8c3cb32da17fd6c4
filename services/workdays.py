"""Finnish working days and month deadlines, as the statutory deadlines count them: one
implementation for the simulator (services/simulate) and the indicators (services/evaluation).

Lastensuojelulaki 26 § and Sosiaalihuoltolaki 36 § count arkipäivät: the day the matter
came in is not counted, and Saturdays, Sundays and public holidays are not working days.
Public holidays come from the `holidays` library's Finland calendar, which also lists
Midsummer Eve and Christmas Eve: Laki säädettyjen määräaikain laskemisesta (150/1930)
treats those like holidays too.
"""

from __future__ import annotations

import calendar
import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

HELSINKI = ZoneInfo("Europe/Helsinki")


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("FI", years=year))


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(day: dt.date, count: int) -> dt.date:
    """The `count`-th working day after `day` (`day` itself is not counted)."""
    current = day
    while count > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            count -= 1
    return current


def working_days_between(opened: dt.date, done: dt.date) -> int:
    """Working days in (opened, done]: how many of the allowed days `done` used."""
    days = 0
    current = opened
    while current < done:
        current += dt.timedelta(days=1)
        days += is_working_day(current)
    return days


def next_working_day(day: dt.date) -> dt.date:
    """`day` itself when it is a working day, else the next one."""
    return day if is_working_day(day) else add_working_days(day, 1)


def previous_working_day(day: dt.date) -> dt.date:
    """`day` itself when it is a working day, else the working day before it."""
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the month's last day when it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """A wall-clock time in Finland with its offset (EET/EEST)."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=HELSINKI)
