"""`paths.*`: service paths across both worlds, in SQL window functions over the `v` view
(deadlines.prepare); no process-mining library (pm4py is AGPL). Definitions: README.md.

A client's path is the ordered sequence of activities in the period: social-care steps
by kind (`notification.received`, `decision.made`, ...), services by their service kind
(`service:home-care`), health encounters by their class (`health:EMER`); outcome
measurements, diagnoses, results and corrections are not activities, and a repeat of the
same activity straight after itself is one step. Paths are for everyone (`--by` does not
split them).
"""

from __future__ import annotations

from typing import Any

from services.evaluation.tables import Options, Table

SERVICE_KIND = "https://silta.fi/fhir/CodeSystem/service-kind"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
TOP_VARIANTS = 10
VARIANT_STEPS = 6  # a variant is the path's first steps: long tails are all unique

STEPS_SQL = """
CREATE OR REPLACE TEMP TABLE path_steps AS
WITH a AS (
    SELECT client, occurred_at, sequence, day, CASE
        WHEN k = 'service.started' THEN 'service:' || coalesce(
            list_filter(codes, c -> c.system = '{service}')[1].code, 'other')
        WHEN k IN ('encounter.started', 'encounter.finished') THEN 'health:' || coalesce(
            list_filter(codes, c -> c.system = '{act}')[1].code, 'other')
        WHEN sector = 'social' AND k NOT IN ('outcome-measure.recorded', 'service.ended')
            AND k NOT LIKE 'record.%' THEN k
        END AS activity
    FROM v WHERE day >= DATE '{start}' AND day < DATE '{until}'
),
ordered AS (
    SELECT *, lag(activity) OVER (PARTITION BY client ORDER BY occurred_at, sequence) AS prev
    FROM a WHERE activity IS NOT NULL
)
SELECT client, occurred_at, day, activity,
       row_number() OVER (PARTITION BY client ORDER BY occurred_at, sequence) AS step
FROM ordered WHERE prev IS DISTINCT FROM activity
"""


def tables(con: Any, options: Options) -> list[Table]:
    start, until = options.window()
    con.execute(STEPS_SQL.format(service=SERVICE_KIND, act=ACT_CODE, start=start, until=until))
    return [_variants(con, options), *_follows(con, options), _to_service(con, options)]


def _variants(con: Any, options: Options) -> Table:
    rows = con.sql(f"""
        SELECT variant, count(*) FROM (
            SELECT client, string_agg(activity, ' > ' ORDER BY step) AS variant
            FROM path_steps WHERE step <= {VARIANT_STEPS} GROUP BY client)
        GROUP BY variant ORDER BY count(*) DESC, variant""").fetchall()
    # A rare variant's name alone says something about few people: it joins the others.
    top = [(v, n) for v, n in rows if n >= options.min_cell][:TOP_VARIANTS]
    counts: dict[str | None, dict[str, int]] = {f"variant={v}"[:256]: {"with": n} for v, n in top}
    counts["variant=(other variants)"] = {"with": sum(n for _, n in rows) - sum(n for _, n in top)}
    total = sum(n for _, n in rows)
    counts[None] = {"with": total}

    def record(group: str | None, shown: dict[str, int | None]) -> dict[str, Any]:
        n, everyone = shown["with"], None if group is None else total
        return {"numerator": n, "denominator": everyone,
                "value": n / everyone if n is not None and everyone else None}

    return Table("paths.variant", counts, {}, record)


def _follows(con: Any, options: Options) -> list[Table]:
    """The directly-follows graph: one table per edge, clients taking it and the median
    days between the two steps."""
    rows = con.sql("""
        SELECT a.activity, b.activity, count(DISTINCT a.client),
               median(date_diff('day', a.day, b.day))
        FROM path_steps a JOIN path_steps b ON a.client = b.client AND b.step = a.step + 1
        GROUP BY ALL ORDER BY 3 DESC, 1, 2""").fetchall()
    out = []
    for source, target, clients, median in rows:
        if clients < options.min_cell:  # as with variants: a rare edge is not named
            continue

        def record(group: str | None, shown: dict[str, int | None],
                   median: float = median) -> dict[str, Any]:
            return {"numerator": shown["with"],
                    "value": None if shown["with"] is None else float(median)}
        out.append(Table("paths.follows", {None: {"with": clients}}, {}, record,
                         prefix=f"from={source},to={target}"[:256]))
    return out


def _to_service(con: Any, options: Options) -> Table:
    """Days from the first contact in the period to the first service started."""
    clients, served, median = con.sql("""
        SELECT count(*), count(service), median(date_diff('day', contact, service)) FROM (
            SELECT client, min(day) AS contact,
                   min(day) FILTER (WHERE activity LIKE 'service:%') AS service
            FROM path_steps GROUP BY client)""").fetchone()

    def record(group: str | None, shown: dict[str, int | None]) -> dict[str, Any]:
        n = shown["served"]
        return {"numerator": n, "denominator": shown["clients"],
                "value": None if n is None or median is None else float(median)}

    return Table("paths.first-contact-to-service",
                 {None: {"served": served, "not served": clients - served, "clients": clients}},
                 {"clients": ("served", "not served")}, record)
