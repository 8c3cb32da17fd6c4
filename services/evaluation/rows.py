"""`v`: the current view's rows as every indicator reads them, built in one scan.

The view is wide (codes as lists of structs with long system URIs, pseudonyms and record
references as long strings, UTC times); an indicator needs a few facts of each row.
Reading the codes and turning a time into a Finnish day are the costly parts at 10^7
rows, so both happen once, here, into one narrow temporary table (about 80 bytes a row):

- `client`: the pseudonym numbered 1..n (the numbers never leave DuckDB);
- `seq`, `ts`, `day`: the client's sequence number, the event time and its Finnish
  calendar day (Europe/Helsinki);
- `k`, `sector`, `grp`: the kind (an amendment's is the original's), the sector, and the
  value of the `--by` grouping (null without one), as ENUMs of the values present;
- `ref`: what a row is matched or grouped by within its client, as a 64-bit hash: the
  source record on the kinds whose records other rows are matched to (`REFS`: a
  notification and its decision, a relationship's opening and closing, ...), and what
  the indicator modules name per kind (`REFS`: a measurement's episode). With a thousand
  records a client and a million clients, the chance that two of one client's records
  share a hash anywhere is about 3 * 10^-8;
- `code`: the one code a row of its kind is about, as the indicator modules name it per
  kind (`CODES`: a decision's outcome, a measurement's instrument, an encounter's class);
- the indicator modules' own columns (`COLUMNS`: name -> SQL over a row of the view, where
  `k` is the kind), e.g. whether a row opens a deadline case.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.evaluation.tables import BY

# A notification and its decision, a relationship's opening and closing, an encounter's
# start and finish, a service's start and end: matched by their source record.
REFS = {kind: "source_ref" for kind in (
    "notification.received", "decision.made", "client-relationship.opened",
    "client-relationship.closed", "encounter.started", "encounter.finished",
    "service.started", "service.ended")}
US_PER_HOUR = 3_600_000_000
# The UTC hour of a time, floored (DuckDB's // truncates toward zero: before 1970 too).
HOUR = (f"((epoch_us({{t}}) - (epoch_us({{t}}) % {US_PER_HOUR} + {US_PER_HOUR}) % {US_PER_HOUR})"
        f" // {US_PER_HOUR})")

# Finnish days by UTC hour: the time zone is looked up once per hour that has events
# instead of once per row. Finland changes its clocks at 03:00/04:00 local time, so within
# a UTC hour the local day is constant; an hour where it is not (the +1:39:49 offset
# before 1921) is marked, and its rows are converted one by one.
HOURS_SQL = f"""
CREATE OR REPLACE TEMP TABLE silta_hours AS
SELECT hour, day, day = timezone('Europe/Helsinki',
                                 make_timestamptz((hour + 1) * {US_PER_HOUR} - 1))::DATE AS exact
FROM (SELECT hour, timezone('Europe/Helsinki', make_timestamptz(hour * {US_PER_HOUR}))::DATE
          AS day
      FROM (SELECT DISTINCT {HOUR.format(t="occurred_at")} AS hour FROM silta_view))
"""
CLIENTS_SQL = """
CREATE OR REPLACE TEMP TABLE silta_clients AS
SELECT pseudonym, CAST(row_number() OVER () AS INTEGER) AS client
FROM (SELECT DISTINCT client AS pseudonym FROM silta_view)
"""
ENUM_SQL = """
CREATE OR REPLACE TEMP TYPE {name} AS ENUM (
    SELECT DISTINCT CAST({column} AS VARCHAR) FROM silta_view WHERE {column} IS NOT NULL)
"""
ROWS_SQL = """
CREATE OR REPLACE TEMP TABLE v AS
SELECT ids.client, r.sequence AS seq, r.occurred_at AS ts,
       CASE WHEN hours.exact THEN hours.day
            ELSE timezone('Europe/Helsinki', r.occurred_at)::DATE END AS day,
       r.k::silta_kind AS k, r.sector::silta_sector AS sector, {group} AS grp,
       hash({ref}) AS ref, {code} AS code{columns}
FROM (SELECT * EXCLUDE (client), client AS pseudonym, coalesce(record_kind, kind) AS k
      FROM silta_view) AS r
JOIN silta_clients AS ids USING (pseudonym)
JOIN silta_hours AS hours ON hours.hour = {hour}
"""


def prepare(con: Any, view: Any, by: str | None, refs: Mapping[str, str],
            codes: Mapping[str, str], columns: Mapping[str, str]) -> None:
    """Write `v` for `view` (a DuckDB relation of the current view), grouped by `by`, with
    the indicators' `refs` and `codes` (kind -> SQL) and `columns` (name -> SQL)."""
    view.create_view("silta_view", replace=True)
    con.execute("DROP TABLE IF EXISTS v")  # it holds the types replaced below
    con.execute(HOURS_SQL)
    con.execute(CLIENTS_SQL)
    enums = {"silta_kind": "coalesce(record_kind, kind)", "silta_sector": "sector",
             "silta_group": by if by in BY else "NULL"}  # no --by: an empty ENUM, 1 byte
    for name, column in enums.items():
        con.execute(ENUM_SQL.format(name=name, column=column))
    con.execute(ROWS_SQL.format(
        group=f"CAST(r.{by} AS VARCHAR)::silta_group" if by in BY else "NULL::silta_group",
        hour=HOUR.format(t="r.occurred_at"), ref=_by_kind(refs), code=_by_kind(codes),
        columns="".join(f",\n       {sql} AS {name}" for name, sql in columns.items())))
    con.execute("DROP TABLE silta_clients; DROP TABLE silta_hours")


def _by_kind(sql: Mapping[str, str]) -> str:
    """A CASE choosing an expression by the row's kind; null for the other kinds."""
    cases = "".join(f" WHEN '{kind}' THEN {expr}" for kind, expr in sql.items())
    return f"CASE r.k{cases} END" if cases else "NULL::VARCHAR"
