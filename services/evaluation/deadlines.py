"""The statutory deadline indicators, in SQL over the current view (a DuckDB view named
`silta_view`, CURRENT_SCHEMA's columns). Definitions and sources: README.md.

A case opens on the Finnish calendar day its matter was received (`notification.received`
at Europe/Helsinki time) and belongs to the period that day falls in. Its deadline is
met when the step came on or before the due day, missed when it came later or had not
come when the due day passed, and open when it had not come and the due day had not
passed at the period's end (`until`, the first day not yet counted). Due days come from
services/workdays.py, the simulator's calendar, through a table of days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from services import workdays
from services.evaluation.deps import require
from services.evaluation.tables import BY

pa = require("pyarrow")

NOTIFICATION_KIND = "https://silta.fi/fhir/CodeSystem/notification-kind"
ASSESSMENT_KIND = "https://silta.fi/fhir/CodeSystem/assessment-kind"
PALVELUTEHTAVA = "urn:oid:1.2.246.537.6.1221"
CHILD_WELFARE_TASK = "22"  # palvelutehtävä: lastensuojelu
AGED_75_PLUS = ("75-84", "85+")


@dataclass(frozen=True)
class Deadline:
    id: str
    opening: str      # SQL condition on `v` selecting the rows that open a case
    done: str         # SQL condition on `v` selecting the step the deadline is about
    due: str          # column of the calendar table
    link: str         # how the step finds its case: "record" (same source record) or "next"
    population: str = "TRUE"  # SQL condition on the case (columns of `cases`)


def _has_code(system: str, code: str) -> str:
    return (f"list_contains(list_transform(codes, c -> c.system || '|' || c.code), "
            f"'{system}|{code}')")


_CHILD_WELFARE_OPENING = (
    f"k = 'notification.received' AND ({_has_code(NOTIFICATION_KIND, 'child-welfare-notification')}"
    f" OR (service_task.system = '{PALVELUTEHTAVA}' AND service_task.code = '{CHILD_WELFARE_TASK}'))")

DEADLINES = (
    Deadline("child-welfare.decision-7wd", _CHILD_WELFARE_OPENING,
             "k = 'decision.made'", "due_7wd", "record"),
    Deadline("child-welfare.assessment-3m", _CHILD_WELFARE_OPENING,
             f"k = 'assessment.completed' AND {_has_code(ASSESSMENT_KIND, 'child-welfare-assessment')}",
             "due_3m", "next", population="decision_outcome IS DISTINCT FROM 'no-assessment'"),
    Deadline("service-need.assessment-start-7wd-75plus",
             f"k = 'notification.received' AND "
             f"{_has_code(NOTIFICATION_KIND, 'social-services-need-notice')}",
             f"k = 'assessment.started' AND {_has_code(ASSESSMENT_KIND, 'service-need-assessment')}",
             "due_7wd", "next",
             population=f"age_band IN ({', '.join(repr(b) for b in AGED_75_PLUS)})"),
)

# Materialised once: every indicator reads it several times, and the local day of 10^7
# rows is worth computing only once.
VIEW_SQL = """
CREATE OR REPLACE TEMP TABLE v AS
SELECT client, source_ref, sequence, occurred_at, coalesce(record_kind, kind) AS k, codes,
       service_task,
       value_code, value_number, episode, age_band, organisation, sector,
       timezone('Europe/Helsinki', occurred_at)::DATE AS day
FROM silta_view
"""

CASES_SQL = """
WITH openings AS (
    SELECT client, source_ref, day AS opened, age_band, organisation, sector,
           lead(day) OVER (PARTITION BY client ORDER BY day, sequence) AS next_opened
    FROM v WHERE {opening}
),
decisions AS (
    SELECT client, source_ref, min(day) AS decided,
           arg_min(value_code.code, day) AS decision_outcome
    FROM v WHERE k = 'decision.made' GROUP BY client, source_ref
),
steps AS (SELECT client, source_ref, day FROM v WHERE {done}),
cases AS (
    SELECT o.*, d.decision_outcome, cal.{due} AS due,
           (SELECT min(s.day) FROM steps s WHERE {link}) AS done
    FROM openings o
    LEFT JOIN decisions d USING (client, source_ref)
    JOIN workday_calendar cal ON cal.day = o.opened
)
SELECT {group} AS grp,
       count(*) FILTER (WHERE state = 'met') AS met,
       count(*) FILTER (WHERE state = 'missed') AS missed,
       count(*) FILTER (WHERE state = 'open') AS open
FROM (
    SELECT *, CASE
        WHEN done IS NOT NULL AND done < DATE '{until}'
            THEN CASE WHEN done <= due THEN 'met' ELSE 'missed' END
        WHEN due < DATE '{until}' THEN 'missed'
        ELSE 'open' END AS state
    FROM cases
    WHERE opened >= DATE '{start}' AND opened < DATE '{until}' AND ({population})
)
GROUP BY ALL
"""
_LINKS = {
    "record": "s.client = o.client AND s.source_ref = o.source_ref",
    "next": "s.client = o.client AND s.day >= o.opened "
            "AND (o.next_opened IS NULL OR s.day < o.next_opened)",
}


def prepare(con: Any) -> None:
    """The `v` table (the view's columns the indicators read, with the Finnish `day`) and
    the calendar table the deadline queries read."""
    con.execute(VIEW_SQL)
    first, last = con.sql("SELECT min(day), max(day) FROM v").fetchone()
    first = first or dt.date.today()
    last = max(last or first, dt.date.today())
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    calendar = pa.table({  # noqa: F841 - read by DuckDB by name
        "day": days,
        "due_7wd": [workdays.add_working_days(d, 7) for d in days],
        "due_3m": [workdays.add_months(d, 3) for d in days],
    })
    con.execute("CREATE OR REPLACE TEMP TABLE workday_calendar AS SELECT * FROM calendar")


def counts(con: Any, deadline: Deadline, start: dt.date, until: dt.date,
           by: str | None) -> dict[str | None, dict[str, int]]:
    """met/missed/open per group value (None: no grouping asked, or the value is absent)
    for cases opened in [start, until)."""
    group = f"CAST({by} AS VARCHAR)" if by in BY else "NULL::VARCHAR"
    sql = CASES_SQL.format(opening=deadline.opening, done=deadline.done, due=deadline.due,
                           link=_LINKS[deadline.link], population=deadline.population,
                           group=group, start=start.isoformat(), until=until.isoformat())
    return {grp: {"met": met, "missed": missed, "open": open_}
            for grp, met, missed, open_ in con.sql(sql).fetchall()}
