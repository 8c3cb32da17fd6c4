"""`outcome.change.<instrument>`: the change of an outcome measure's total score from the
first to the last measurement by the same assessor role within a client's episode, in SQL
over the indicators' rows (`v`, rows.py). Definitions: README.md.

An episode is the case the measurement names; when turvakielto coarsened it away, the
client's measurements in that palvelutehtävä are one episode. Measurements count when
they fall in the period (before `until`); an episode counts once it has two.
"""

from __future__ import annotations

from typing import Any

from services.evaluation.tables import Options, Table, with_total

INSTRUMENT = "https://silta.fi/fhir/CodeSystem/outcome-instrument"
ROLE = "https://silta.fi/fhir/CodeSystem/assessor-role"
# The distribution of change, in score points (Kykyviisari 0-10, higher is better).
BINS = (("worse by 1 or more", "change <= -1"), ("worse by under 1", "change > -1 AND change < 0"),
        ("no change", "change = 0"), ("better by under 1", "change > 0 AND change < 1"),
        ("better by 1 or more", "change >= 1"))

# What this module reads of `v` (rows.py): a measurement's instrument as its `code`, its
# episode (within one client) as its `ref`, by whom, and its score.
# the instrument of its `<instrument>-total` code (an item's score is not a measure of
# change)
CODES = {"outcome-measure.recorded": f"left(list_filter(codes, c -> c.system = '{INSTRUMENT}' "
                                     "AND ends_with(c.code, '-total'))[1].code, -6)"}
REFS = {"outcome-measure.recorded": "coalesce(episode, '/' || coalesce(service_task.code, ''))"}
COLUMNS = {
    "role": "CASE WHEN k = 'outcome-measure.recorded' THEN "
            f"list_filter(codes, c -> c.system = '{ROLE}')[1].code END",
    "score": "CASE WHEN k = 'outcome-measure.recorded' THEN value_number END",
}

SCRATCH = ("measure_changes",)  # the tables `tables` leaves behind
CHANGES_SQL = """
CREATE OR REPLACE TEMP TABLE measure_changes AS
SELECT code AS instrument, role,
       arg_max(score, (day, seq)) - arg_min(score, (day, seq)) AS change,
       arg_min({group}, (day, seq)) AS grp
FROM v
WHERE k = 'outcome-measure.recorded' AND score IS NOT NULL
  AND day >= DATE '{start}' AND day < DATE '{until}'
  AND code IS NOT NULL AND code <> '' AND role IS NOT NULL
GROUP BY code, role, client, ref HAVING count(*) >= 2
"""


def tables(con: Any, options: Options) -> list[Table]:
    start, until = options.window()
    con.execute(CHANGES_SQL.format(start=start, until=until,
                                   group="grp" if options.by else "NULL::VARCHAR"))
    bins = ", ".join(f"count(*) FILTER (WHERE {cond}) AS \"{name}\"" for name, cond in BINS)
    counted: dict[tuple[str, str], dict[str | None, dict[str, int]]] = {}
    for instrument, role, grp, n, improved, *dist in con.sql(f"""
            SELECT instrument, role, grp, count(*), count(*) FILTER (WHERE change > 0), {bins}
            FROM measure_changes GROUP BY ALL""").fetchall():
        cells = {"n": n, "improved": improved} | {b[0]: c for b, c in zip(BINS, dist, strict=True)}
        counted.setdefault((instrument, role), {})[grp] = cells
    summary = {(i, r, g, bool(total)): (mean, median)
               for i, r, g, total, mean, median in con.sql("""
        SELECT instrument, role, grp, grouping(grp), avg(change), median(change)
        FROM measure_changes
        GROUP BY GROUPING SETS ((instrument, role, grp), (instrument, role))""").fetchall()}
    out = []
    for (instrument, role), by_group in sorted(counted.items()):
        rows = with_total(by_group, options)
        means = {options.label(g): summary[(instrument, role, g, False)] for g in by_group}
        means[None] = summary[(instrument, role, None, True)]
        out.append(Table.of(f"outcome.change.{instrument}", rows,
                            {"n": [b[0] for b in BINS], "improved": [b[0] for b in BINS[3:]]},
                            _record(means), prefix=f"assessor={role}"))
    return out


def _record(means: dict[str | None, tuple[float, float]]) -> Any:
    def record(group: str | None, cells: dict[str, int | None]) -> dict[str, Any]:
        n = cells["n"]
        mean, median = means[group] if n is not None else (None, None)
        return {"numerator": cells["improved"], "denominator": n,
                "value": None if mean is None else round(mean, 3),
                "detail": {"median": None if median is None else round(median, 3)}
                | {name: cells[name] for name, _ in BINS}}
    return record
