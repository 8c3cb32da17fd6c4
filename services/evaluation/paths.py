"""`paths.*`: service paths across both worlds, in SQL window functions over the
indicators' rows (`v`, rows.py); no process-mining library (pm4py is AGPL). Definitions:
README.md.

A client's path is the ordered sequence of activities in the period: social-care steps
by kind (`notification.received`, `decision.made`, ...), services by their service kind
(`service:home-care`), health encounters by their class (`health:EMER`); outcome
measurements, diagnoses, results and corrections are not activities, and a repeat of the
same activity straight after itself is one step. A client's group (`--by`) is the one at
their first step.

Two sorts of the period's activities by client and time make every path table: the
first finds the repeats, the second numbers the steps and reads each step's successor
and the client's first six steps (the variant), so neither the directly-follows graph nor
the variants need a join or an ordered aggregate.
"""

from __future__ import annotations

from typing import Any

from services.evaluation import costs
from services.evaluation.deps import require
from services.evaluation.tables import Options, Output, Table, with_total

pa = require("pyarrow")

SERVICE_KIND = "https://silta.fi/fhir/CodeSystem/service-kind"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
TOP_VARIANTS = 10
VARIANT_STEPS = 6  # a variant is the path's first steps: long tails are all unique
OTHER = "variant=(other variants)"  # the cell, and the label, of the variants not named
ENCOUNTER_KINDS = "('encounter.started', 'encounter.finished')"

# What this module (and costs.py) reads of `v` (rows.py): an encounter's class and a
# service's kind as their `code`.
_CLASS = f"list_filter(codes, c -> c.system = '{ACT_CODE}')[1].code"
CODES = {"encounter.started": _CLASS, "encounter.finished": _CLASS,
         "service.started": f"list_filter(codes, c -> c.system = '{SERVICE_KIND}')[1].code"}
ACTIVITY = f"""CASE
    WHEN k = 'service.started' THEN 'service:' || coalesce(code, 'other')
    WHEN k IN {ENCOUNTER_KINDS} THEN 'health:' || coalesce(code, 'other')
    WHEN sector = 'social' AND k NOT IN ('outcome-measure.recorded', 'service.ended')
        AND k NOT LIKE 'record.%' THEN k
    END"""

SCRATCH = ("path_activities", "path_steps", "path_clients")  # what `tables` leaves behind
# Activities numbered: the sorts below carry a number, not a string; names come back for
# the few rows that are published.
ACTIVITIES_SQL = f"""
CREATE OR REPLACE TEMP TABLE path_activities AS
SELECT k, sector, code, activity,
       CAST(dense_rank() OVER (ORDER BY activity) AS INTEGER) AS activity_id
FROM (SELECT *, {ACTIVITY} AS activity FROM (SELECT DISTINCT k, sector, code FROM v))
WHERE activity IS NOT NULL
"""
_LEADS = ", ".join(f"lead(activity_id, {n}) OVER w" for n in range(1, VARIANT_STEPS))
STEPS_SQL = f"""
CREATE OR REPLACE TEMP TABLE path_steps AS
WITH ordered AS (
    SELECT v.client, v.ts, v.seq, v.day, v.grp, a.activity_id,
           lag(a.activity_id) OVER (PARTITION BY v.client ORDER BY v.ts, v.seq) AS prev
    FROM v JOIN path_activities AS a
    ON a.k = v.k AND a.sector = v.sector AND a.code IS NOT DISTINCT FROM v.code
    WHERE v.day >= DATE '{{start}}' AND v.day < DATE '{{until}}'
)
SELECT client, day, activity_id, row_number() OVER w AS step,
       lead(activity_id) OVER w AS next_id, lead(day) OVER w AS next_day,
       CASE WHEN row_number() OVER w = 1
            THEN list_filter([activity_id, {_LEADS}], a -> a IS NOT NULL) END AS variant,
       first_value({{group}}) OVER w AS grp
FROM ordered WHERE prev IS DISTINCT FROM activity_id
WINDOW w AS (PARTITION BY client ORDER BY ts, seq)
"""
# One row per client with a path: group, variant, days from the first contact to the
# first service, and the cost of the period's priced items (costs.price).
CLIENTS_SQL = """
CREATE OR REPLACE TEMP TABLE path_clients AS
SELECT s.client, s.grp, s.variant, date_diff('day', s.day, f.service) AS to_service,
       coalesce(c.eur, 0) AS eur
FROM path_steps s
LEFT JOIN (SELECT client, min(day) AS service FROM path_steps
           WHERE activity_id IN (SELECT activity_id FROM path_activities
                                 WHERE activity LIKE 'service:%')
           GROUP BY client) f USING (client)
LEFT JOIN client_costs c USING (client)
WHERE s.step = 1
"""


def tables(con: Any, options: Options) -> list[Table]:
    """The paths tables; costs.price must have run for the period."""
    start, until = options.window()
    group = "grp" if options.by else "NULL::VARCHAR"
    con.execute(ACTIVITIES_SQL)
    con.execute(STEPS_SQL.format(start=start, until=until, group=group))
    con.execute(CLIENTS_SQL)
    names = dict(con.sql("SELECT activity_id, activity FROM path_activities").fetchall())
    return [_clients(con, options, names), *_follows(con, options, names)]


def _clients(con: Any, options: Options, activities: dict[int, str]) -> Table:
    """One table for what is counted in clients with a path: the variants they took, what
    those cost, and whether they reached a service (the same people in every cell, so one
    suppression covers all three indicators)."""
    rows, cells, named = _variant_counts(con, options, activities)
    con.register("path_variant_cells", pa.table({
        "variant": pa.array([list(ids) for ids in cells], pa.list_(pa.int32())),
        "cell": list(cells.values())}))
    cost = costs.summary(con, "SELECT p.grp, c.cell, p.eur "
                         "FROM path_clients p JOIN path_variant_cells c USING (variant)")
    con.unregister("path_variant_cells")
    outputs = [Output("paths.variant", _everyone, fields={"clients": "numerator"})]
    for cell in [*named.values(), OTHER]:
        prefix = cell[:200]
        outputs += [Output("paths.variant", _share(cell), prefix,
                           {cell: "numerator", "clients": "denominator"}),
                    Output("costs.variant", costs.cost_record(
                        costs.values(cost, cell, options), cell, denominator=None), prefix,
                        {cell: "numerator"})]
    outputs.append(Output("paths.first-contact-to-service", _to_service(con, options),
                          fields={"served": "numerator", "clients": "denominator",
                                  "not served": "not served"}))
    return Table(rows, [("clients", [*named.values(), OTHER]),
                        ("clients", ["served", "not served"])], outputs)


def _variant_counts(con: Any, options: Options, activities: dict[int, str]) -> tuple[
        dict[str | None, dict[str, int]], dict[tuple[int, ...], str], dict[str, str]]:
    """Per group: clients, those served, those per named variant and in the other
    variants; each variant's cell (by its activities); the named variants' cells."""
    counted = [(grp, tuple(ids), " > ".join(activities[i] for i in ids), n, served)
               for grp, ids, n, served in con.sql(
                   "SELECT grp, variant, count(*), count(to_service) FROM path_clients "
                   "GROUP BY ALL").fetchall()]
    overall: dict[str, int] = {}
    for _, _, name, n, _ in counted:
        overall[name] = overall.get(name, 0) + n
    # A rare variant's name alone says something about few people: it joins the others.
    named = sorted((v for v, n in overall.items() if n >= options.min_cell),
                   key=lambda v: (-overall[v], v))[:TOP_VARIANTS]
    cell_of = {name: f"variant={name}" for name in named}
    by_group: dict[str | None, dict[str, int]] = {}
    cells: dict[tuple[int, ...], str] = {}
    for grp, ids, name, n, served in counted:
        cell = cells[ids] = cell_of.get(name, OTHER)
        row = by_group.setdefault(grp, {"clients": 0, "served": 0, OTHER: 0}
                                  | {c: 0 for c in cell_of.values()})
        row[cell] += n
        row["clients"] += n
        row["served"] += served
    for row in by_group.values():
        row["not served"] = row["clients"] - row["served"]
    rows = with_total(by_group, options)
    rows[None] = {"clients": 0, "served": 0, "not served": 0, OTHER: 0} | rows[None]
    return rows, cells, cell_of


def _everyone(group: str | None, shown: dict[str, int | None]) -> dict[str, Any]:
    return {"numerator": shown["clients"]}


def _share(cell: str) -> Any:
    def record(group: str | None, shown: dict[str, int | None]) -> dict[str, Any]:
        n, clients = shown[cell], shown["clients"]
        return {"numerator": n, "denominator": clients,
                "value": n / clients if n is not None and clients else None}
    return record


def _to_service(con: Any, options: Options) -> Any:
    """Median days from the first contact in the period to the first service started."""
    medians = {options.label(g) if not everyone else None: m for everyone, g, m in con.sql(
        "SELECT grouping(grp) > 0, grp, median(to_service) FROM path_clients "
        "GROUP BY GROUPING SETS ((grp), ())").fetchall()}

    def record(group: str | None, shown: dict[str, int | None]) -> dict[str, Any]:
        n, median = shown["served"], medians.get(group)
        return {"numerator": n, "denominator": shown["clients"],
                "value": None if n is None or median is None else float(median)}
    return record


def _follows(con: Any, options: Options, activities: dict[int, str]) -> list[Table]:
    """The directly-follows graph: one table per edge, clients taking it and the median
    days between the two steps."""
    rows = con.sql("""
        SELECT grouping(grp) > 0, activity_id, next_id, grp, count(DISTINCT client),
               median(date_diff('day', day, next_day))
        FROM path_steps WHERE next_id IS NOT NULL
        GROUP BY GROUPING SETS ((activity_id, next_id, grp), (activity_id, next_id))
        """).fetchall()
    # (source, target) -> (everyone?, group value) -> (clients, median days)
    edges: dict[tuple[str, str], dict[tuple[bool, str | None], tuple[int, float]]] = {}
    for everyone, source, target, grp, clients, median in rows:
        edge = edges.setdefault((activities[source], activities[target]), {})
        edge[(everyone, grp)] = (clients, float(median))
    out = []
    for (source, target), found in sorted(edges.items(),
                                          key=lambda e: (-e[1][(True, None)][0], e[0])):
        if found[(True, None)][0] < options.min_cell:  # as with variants: a rare edge
            continue                                    # is not named
        groups = {g: n for (everyone, g), (n, _) in found.items() if not everyone}
        medians = {None if everyone else options.label(g): m
                   for (everyone, g), (_, m) in found.items() if everyone or options.by}
        out.append(Table.of("paths.follows",
                            with_total({g: {"with": n} for g, n in groups.items()}, options),
                            {}, _edge_record(medians), prefix=f"from={source},to={target}"[:200]))
    return out


def _edge_record(medians: dict[str | None, float]) -> Any:
    def record(group: str | None, shown: dict[str, int | None]) -> dict[str, Any]:
        median = medians.get(group)
        return {"numerator": shown["with"],
                "value": None if shown["with"] is None else median}
    return record
