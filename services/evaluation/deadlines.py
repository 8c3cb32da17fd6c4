"""The statutory deadline indicators, in SQL over the indicators' rows (`v`, rows.py).
Definitions and sources: README.md.

A case opens on the Finnish calendar day its matter was received (`notification.received`
at Europe/Helsinki time) and belongs to the period that day falls in. Its deadline is
met when the step came on or before the due day, missed when it came later or had not
come when the due day passed, and open when it had not come and the due day had not
passed at the period's end (`until`, the first day not yet counted). Due days come from
services/workdays.py, the simulator's calendar, through a table of days.

`prepare` finds every case of every deadline once (`deadline_cases`: opening day, due
day, the day the step came, group); `counts` sorts a period's cases into met, missed and
open, so a report's many periods cost one small aggregate each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from services import workdays
from services.evaluation.deps import require

pa = require("pyarrow")

NOTIFICATION_KIND = "https://silta.fi/fhir/CodeSystem/notification-kind"
ASSESSMENT_KIND = "https://silta.fi/fhir/CodeSystem/assessment-kind"
PALVELUTEHTAVA = "urn:oid:1.2.246.537.6.1221"
CHILD_WELFARE_TASK = "22"  # palvelutehtävä: lastensuojelu
AGED_75_PLUS = ("75-84", "85+")


@dataclass(frozen=True)
class Deadline:
    id: str
    opening: str      # SQL condition on a `notification.received` row of the view
    done_kind: str    # the kind of the step the deadline is about
    done_code: str | None  # the code that step must be about (an assessment's kind)
    due: str          # column of the calendar table
    link: str         # how the step finds its case: "record" (same source record) or "next"
    case_population: str = "TRUE"     # SQL on the case (its decision's `decision_outcome`)
    opening_population: str = "TRUE"  # SQL on the opening row of the view

    def done(self, row: str) -> str:
        """SQL selecting the step's rows of `v` (as `row`)."""
        code = f" AND {row}.code = '{self.done_code}'" if self.done_code else ""
        return f"{row}.k = '{self.done_kind}'{code}"


def _has_code(system: str, code: str) -> str:
    return f"list_contains(codes, {{'system': '{system}', 'code': '{code}'}})"


_CHILD_WELFARE_OPENING = (
    f"{_has_code(NOTIFICATION_KIND, 'child-welfare-notification')} OR "
    f"(service_task.system = '{PALVELUTEHTAVA}' AND service_task.code = '{CHILD_WELFARE_TASK}')")

DEADLINES = (
    Deadline("child-welfare.decision-7wd", _CHILD_WELFARE_OPENING,
             "decision.made", None, "due_7wd", "record"),
    Deadline("child-welfare.assessment-3m", _CHILD_WELFARE_OPENING, "assessment.completed",
             "child-welfare-assessment", "due_3m", "next",
             case_population="decision_outcome IS DISTINCT FROM 'no-assessment'"),
    Deadline("service-need.assessment-start-7wd-75plus",
             _has_code(NOTIFICATION_KIND, "social-services-need-notice"),
             "assessment.started", "service-need-assessment", "due_7wd", "next",
             opening_population=f"age_band IN ({', '.join(repr(b) for b in AGED_75_PLUS)})"),
)

# What the deadlines read of `v` (rows.py): a decision's outcome and an assessment's kind
# as their `code`; per deadline, whether a row opens a case (null: not an opening; false:
# an opening outside the population), deadlines that open alike sharing the column.
_ASSESSMENT = f"list_filter(codes, c -> c.system = '{ASSESSMENT_KIND}')[1].code"
CODES = {"decision.made": "value_code.code", "assessment.started": _ASSESSMENT,
         "assessment.completed": _ASSESSMENT}
COLUMNS: dict[str, str] = {}
OPENS: list[str] = []  # per deadline, its opening column
for _d in DEADLINES:
    _opens = (f"CASE WHEN k = 'notification.received' AND ({_d.opening}) "
              f"THEN coalesce({_d.opening_population}, FALSE) END")
    _column = next((c for c, sql in COLUMNS.items() if sql == _opens), f"opens_{len(COLUMNS)}")
    COLUMNS[_column] = _opens
    OPENS.append(_column)

# Openings (one table per opening column, with the day the client's next matter of the
# same kind opened) and decisions, made once and shared by the deadlines' cases.
OPENINGS_SQL = """
CREATE OR REPLACE TEMP TABLE openings_{opens} AS
SELECT client, ref, day AS opened, grp, {opens} AS counted,
       lead(day) OVER (PARTITION BY client ORDER BY day, seq) AS next_opened
FROM v WHERE {opens} IS NOT NULL
"""
DECISIONS_SQL = """
CREATE OR REPLACE TEMP TABLE decisions AS
SELECT client, ref, arg_min(code, (day, seq)) AS decision_outcome
FROM v WHERE k = 'decision.made' GROUP BY client, ref
"""
CASES_SQL = """
SELECT '{id}' AS deadline, o.opened, cal.{due} AS due, {done} AS done, o.grp
FROM openings_{opens} AS o
JOIN workday_calendar AS cal ON cal.day = o.opened
{step}
LEFT JOIN decisions AS d ON d.client = o.client AND d.ref = o.ref
WHERE o.counted AND ({population})
"""
# How a case finds its step: the first on the same record, or the client's first on or
# after the opening day (an as-of join: the nearest one), if before the next matter.
_STEPS = {
    "record": ("LEFT JOIN (SELECT client, ref, min(day) AS day FROM v WHERE {done} "
               "GROUP BY client, ref) AS s ON s.client = o.client AND s.ref = o.ref", "s.day"),
    "next": ("ASOF LEFT JOIN (SELECT client, day FROM v WHERE {done}) AS s "
             "ON s.client = o.client AND s.day >= o.opened",
             "CASE WHEN s.day < coalesce(o.next_opened, DATE '9999-12-31') THEN s.day END"),
}

COUNTS_SQL = """
SELECT deadline, {group} AS grp,
       count(*) FILTER (WHERE state = 'met') AS met,
       count(*) FILTER (WHERE state = 'missed') AS missed,
       count(*) FILTER (WHERE state = 'open') AS open
FROM (
    SELECT *, CASE
        WHEN done IS NOT NULL AND done < DATE '{until}'
            THEN CASE WHEN done <= due THEN 'met' ELSE 'missed' END
        WHEN due < DATE '{until}' THEN 'missed'
        ELSE 'open' END AS state
    FROM deadline_cases
    WHERE opened >= DATE '{start}' AND opened < DATE '{until}'
)
GROUP BY ALL
"""


def prepare(con: Any) -> None:
    """The calendar of due days and every deadline's cases (`deadline_cases`), from `v`."""
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
    for opens in dict.fromkeys(OPENS):
        con.execute(OPENINGS_SQL.format(opens=opens))
    con.execute(DECISIONS_SQL)
    cases = []
    for n, d in enumerate(DEADLINES):
        step, done = _STEPS[d.link]
        cases.append(CASES_SQL.format(id=d.id, opens=OPENS[n], due=d.due, done=done,
                                      step=step.format(done=d.done("v")),
                                      population=d.case_population))
    con.execute(f"CREATE OR REPLACE TEMP TABLE deadline_cases AS {' UNION ALL '.join(cases)}")
    for table in ["decisions", *(f"openings_{opens}" for opens in dict.fromkeys(OPENS))]:
        con.execute(f"DROP TABLE {table}")


def counts(con: Any, start: dt.date, until: dt.date,
           grouped: bool) -> dict[str, dict[str | None, dict[str, int]]]:
    """met/missed/open per deadline and group value (None: not `grouped`, or the value is
    absent) for cases opened in [start, until)."""
    sql = COUNTS_SQL.format(group="grp" if grouped else "NULL::VARCHAR",
                            start=start.isoformat(), until=until.isoformat())
    out: dict[str, dict[str | None, dict[str, int]]] = {d.id: {} for d in DEADLINES}
    for deadline, grp, met, missed, open_ in con.sql(sql).fetchall():
        out[deadline][grp] = {"met": met, "missed": missed, "open": open_}
    return out
