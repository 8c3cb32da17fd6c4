"""`cross-sector.<group>`: the share of social-care clients with psychiatric, substance-use
or emergency health events during their social-care episode, and (`.before-12m`) in the
12 months before it, in SQL over the `v` view (deadlines.prepare). Definitions: README.md.

A social-care client is one with a client relationship (`client-relationship.opened`)
running in the period; the episode runs from its opening day to its closing day, or to
`until` when still open. A client with several episodes counts once: during any of them,
or in the 12 months before the first.
"""

from __future__ import annotations

from typing import Any

from services.evaluation.tables import BY, Options, Table, with_total

ICD10 = "urn:oid:1.2.246.537.6.1"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
GROUPS = {
    "psychiatric": f"c.system = '{ICD10}' AND c.code >= 'F00' AND c.code < 'G'",
    "substance-use": f"c.system = '{ICD10}' AND c.code >= 'F10' AND c.code < 'F20'",
    "emergency": f"c.system = '{ACT_CODE}' AND c.code = 'EMER'",
}

SQL = """
WITH relationships AS (
    SELECT client, source_ref,
           min(day) FILTER (WHERE k = 'client-relationship.opened') AS opened,
           max(day) FILTER (WHERE k = 'client-relationship.closed') AS closed,
           arg_min({group}, day) AS grp
    FROM v WHERE k IN ('client-relationship.opened', 'client-relationship.closed')
    GROUP BY client, source_ref
),
episodes AS (
    SELECT client, opened, coalesce(closed, DATE '{until}' - 1) AS closed, grp
    FROM relationships
    WHERE opened IS NOT NULL AND opened < DATE '{until}'
      AND coalesce(closed, DATE '{until}') >= DATE '{start}'
),
events AS (
    SELECT DISTINCT client, day FROM v
    WHERE sector = 'health' AND len(list_filter(codes, c -> {condition})) > 0
),
clients AS (
    SELECT client, min(opened) AS first_opened, arg_min(grp, opened) AS grp
    FROM episodes GROUP BY client
),
during AS (
    SELECT DISTINCT e.client FROM episodes e JOIN events h
    ON h.client = e.client AND h.day BETWEEN e.opened AND e.closed
),
before AS (
    SELECT DISTINCT c.client FROM clients c JOIN events h
    ON h.client = c.client AND h.day >= c.first_opened - INTERVAL 12 MONTH
       AND h.day < c.first_opened
)
SELECT grp, count(*) AS clients, count(during.client) AS during,
       count(before.client) AS before
FROM clients LEFT JOIN during USING (client) LEFT JOIN before USING (client)
GROUP BY grp
"""


def tables(con: Any, options: Options) -> list[Table]:
    start, until = options.window()
    group = f"CAST({options.by} AS VARCHAR)" if options.by in BY else "NULL::VARCHAR"
    out = []
    for name, condition in GROUPS.items():
        rows = con.sql(SQL.format(group=group, start=start, until=until,
                                  condition=condition)).fetchall()
        for suffix, column in (("", 2), (".before-12m", 3)):
            by_group = {r[0]: {"with": r[column], "without": r[1] - r[column],
                               "clients": r[1]} for r in rows}
            counts = with_total(by_group, options)
            counts[None] = {"with": 0, "without": 0, "clients": 0} | counts[None]
            out.append(Table(f"cross-sector.{name}{suffix}", counts,
                             {"clients": ("with", "without")}, _record))
    return out


def _record(group: str | None, cells: dict[str, int | None]) -> dict[str, Any]:
    share, clients = cells["with"], cells["clients"]
    return {"numerator": share, "denominator": clients,
            "value": share / clients if share is not None and clients else None}
