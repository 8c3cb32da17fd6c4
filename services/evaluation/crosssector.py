"""`cross-sector.<group>`: the share of social-care clients with psychiatric, substance-use
or emergency health events during their social-care episode, and (`.before-12m`) in the
12 months before it, in SQL over the indicators' rows (`v`, rows.py). Definitions: README.md.

A social-care client is one with a client relationship (`client-relationship.opened`)
running in the period; the episode runs from its opening day to its closing day, or to
`until` when still open. A client with several episodes counts once: during any of them,
or in the 12 months before the first. Every group is counted in the same pass.
"""

from __future__ import annotations

from typing import Any

from services.evaluation.tables import Options, Table, with_total

ICD10 = "urn:oid:1.2.246.537.6.1"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
GROUPS = {
    "psychiatric": f"c.system = '{ICD10}' AND c.code >= 'F00' AND c.code < 'G'",
    "substance-use": f"c.system = '{ICD10}' AND c.code >= 'F10' AND c.code < 'F20'",
    "emergency": f"c.system = '{ACT_CODE}' AND c.code = 'EMER'",
}


# What this module reads of `v` (rows.py): the groups a health event is in, one bit per
# group in GROUPS' order (one narrow column instead of one per group).
COLUMNS = {"health_groups": "CASE WHEN sector = 'health' THEN " + " | ".join(
    f"CASE WHEN len(list_filter(codes, c -> {condition})) > 0 THEN {1 << n} ELSE 0 END"
    for n, condition in enumerate(GROUPS.values())) + " END"}


def _in(n: int, table: str = "") -> str:
    return f"({table}health_groups & {1 << n} <> 0)"


_EVENTS = ", ".join(f"bool_or({_in(n)}) AS in_{n}" for n in range(len(GROUPS)))
_DURING = ", ".join(f"bool_or(h.in_{n}) AS in_{n}" for n in range(len(GROUPS)))
_COUNTS = ", ".join(f"count(*) FILTER (WHERE during.in_{n}), "
                    f"count(*) FILTER (WHERE before.in_{n})" for n in range(len(GROUPS)))
SQL = f"""
WITH relationships AS (
    SELECT client, ref,
           min(day) FILTER (WHERE k = 'client-relationship.opened') AS opened,
           max(day) FILTER (WHERE k = 'client-relationship.closed') AS closed,
           arg_min({{group}}, (day, seq)) AS grp
    FROM v WHERE k IN ('client-relationship.opened', 'client-relationship.closed')
    GROUP BY client, ref
),
episodes AS (
    SELECT client, opened, coalesce(closed, DATE '{{until}}' - 1) AS closed, grp
    FROM relationships
    WHERE opened IS NOT NULL AND opened < DATE '{{until}}'
      AND coalesce(closed, DATE '{{until}}') >= DATE '{{start}}'
),
events AS (
    SELECT client, day, {_EVENTS} FROM v WHERE health_groups > 0 GROUP BY client, day
),
clients AS (
    SELECT client, min(opened) AS first_opened, arg_min(grp, opened) AS grp
    FROM episodes GROUP BY client
),
during AS (
    SELECT e.client, {_DURING} FROM episodes e JOIN events h
    ON h.client = e.client AND h.day BETWEEN e.opened AND e.closed
    GROUP BY e.client
),
before AS (
    SELECT c.client, {_DURING} FROM clients c JOIN events h
    ON h.client = c.client AND h.day >= c.first_opened - INTERVAL 12 MONTH
       AND h.day < c.first_opened
    GROUP BY c.client
)
SELECT grp, count(*) AS clients, {_COUNTS}
FROM clients LEFT JOIN during USING (client) LEFT JOIN before USING (client)
GROUP BY grp
"""


def tables(con: Any, options: Options) -> list[Table]:
    start, until = options.window()
    rows = con.sql(SQL.format(group="grp" if options.by else "NULL::VARCHAR", start=start,
                              until=until)).fetchall()
    out = []
    for n, name in enumerate(GROUPS):
        for suffix, column in (("", 2 + 2 * n), (".before-12m", 3 + 2 * n)):
            by_group = {r[0]: {"with": r[column], "without": r[1] - r[column],
                               "clients": r[1]} for r in rows}
            counts = with_total(by_group, options)
            counts[None] = {"with": 0, "without": 0, "clients": 0} | counts[None]
            out.append(Table.of(f"cross-sector.{name}{suffix}", counts,
                                {"clients": ("with", "without")}, _record))
    return out


def _record(group: str | None, cells: dict[str, int | None]) -> dict[str, Any]:
    share, clients = cells["with"], cells["clients"]
    return {"numerator": share, "denominator": clients,
            "value": share / clients if share is not None and clients else None}
