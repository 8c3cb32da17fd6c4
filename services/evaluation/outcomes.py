"""`outcome.change.<instrument>`: the change of an outcome measure's total score from the
first to the last measurement by the same assessor role within a client's episode, in SQL
over the `v` view (deadlines.prepare). Definitions: README.md.

An episode is the case the measurement names; when turvakielto coarsened it away, the
client's measurements in that palvelutehtävä are one episode. Measurements count when
they fall in the period (before `until`); an episode counts once it has two.
"""

from __future__ import annotations

from typing import Any

from services.evaluation.tables import BY, Options, Table, with_total

INSTRUMENT = "https://silta.fi/fhir/CodeSystem/outcome-instrument"
ROLE = "https://silta.fi/fhir/CodeSystem/assessor-role"
# The distribution of change, in score points (Kykyviisari 0-10, higher is better).
BINS = (("worse by 1 or more", "change <= -1"), ("worse by under 1", "change > -1 AND change < 0"),
        ("no change", "change = 0"), ("better by under 1", "change > 0 AND change < 1"),
        ("better by 1 or more", "change >= 1"))

CHANGES_SQL = """
CREATE OR REPLACE TEMP TABLE measure_changes AS
WITH m AS (
    SELECT client, day, sequence, value_number AS score, age_band, organisation, sector,
           coalesce(episode, client || '/' || coalesce(service_task.code, '')) AS ep,
           regexp_extract(list_filter(codes, c -> c.system = '{instrument}')[1].code,
                          '^(.*)-total$', 1) AS instrument,
           list_filter(codes, c -> c.system = '{role}')[1].code AS role
    FROM v
    WHERE k = 'outcome-measure.recorded' AND value_number IS NOT NULL
      AND day >= DATE '{start}' AND day < DATE '{until}'
)
SELECT instrument, role, client, ep,
       arg_max(score, (day, sequence)) - arg_min(score, (day, sequence)) AS change,
       arg_min({group}, (day, sequence)) AS grp
FROM m WHERE instrument IS NOT NULL AND instrument <> '' AND role IS NOT NULL
GROUP BY instrument, role, client, ep HAVING count(*) >= 2
"""


def tables(con: Any, options: Options) -> list[Table]:
    start, until = options.window()
    group = f"CAST({options.by} AS VARCHAR)" if options.by in BY else "NULL::VARCHAR"
    con.execute(CHANGES_SQL.format(instrument=INSTRUMENT, role=ROLE, start=start,
                                   until=until, group=group))
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
        out.append(Table(f"outcome.change.{instrument}", rows,
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
