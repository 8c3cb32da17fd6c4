"""Indicator speed and memory over N synthetic current-view rows (default 10^7), built in
DuckDB (no pipeline, no Python objects per row), in the disk-backed database with the
memory limit the evaluator's tools use.

    .venv/bin/python -m bench.indicators [--count 10000000]   (writes bench/results/indicators.json)

Reported: seconds per indicator family and for `indicators()` as a whole (everything, with
suppression), and peak RSS of the process. The baseline in the same run is one grouped
scan of the same view (`SELECT kind, count(*) ... GROUP BY kind`): the ratios say how many
scans each indicator costs. Each client has 20 rows: a child-welfare notification, its
decision, a client relationship, an assessment started and completed, eight Kykyviisari
scores, a health encounter started and finished, a diagnosis, a service started and
ended, a notice of need and its service-need assessment.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.timing import environment, write

SILTA = "https://silta.fi/fhir/CodeSystem/"
BANDS = ("0-6", "7-12", "13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65-74",
         "75-84", "85+")


def _code(system: str, code: str) -> str:
    return f"{{'system': '{system}', 'code': {code}}}"


ROWS_SQL = f"""
CREATE TABLE current_view AS
WITH g AS (
    SELECT n, n // 20 AS c, n % 20 AS i,
           TIMESTAMPTZ '2024-01-01 09:00:00+02' + to_days(CAST((n // 20) % 700 AS INTEGER))
               AS t0
    FROM generate_series(0, {{count}} - 1) AS s(n)
)
SELECT
    md5(n::VARCHAR) AS entry_id, md5(c::VARCHAR) AS client,
    CAST(i + 1 AS BIGINT) AS sequence,
    CASE WHEN i IN (13, 14, 15) THEN 'health' ELSE 'social' END AS sector,
    CASE i WHEN 0 THEN 'notification.received' WHEN 1 THEN 'decision.made'
        WHEN 2 THEN 'client-relationship.opened' WHEN 3 THEN 'assessment.started'
        WHEN 4 THEN 'assessment.completed' WHEN 13 THEN 'encounter.started'
        WHEN 14 THEN 'encounter.finished' WHEN 15 THEN 'diagnosis.recorded'
        WHEN 16 THEN 'service.started' WHEN 17 THEN 'service.ended'
        WHEN 18 THEN 'notification.received' WHEN 19 THEN 'assessment.started'
        ELSE 'outcome-measure.recorded' END AS kind,
    'active' AS status,
    CASE WHEN i = 1 THEN t0 + to_days(CAST(c % 12 AS INTEGER))
         WHEN i = 4 THEN t0 + to_days(CAST(60 + c % 60 AS INTEGER))
         WHEN i BETWEEN 5 AND 12 THEN t0 + to_days(CAST(10 * (i - 4) AS INTEGER))
         WHEN i = 17 THEN t0 + to_days(CAST(100 + c % 90 AS INTEGER))
         WHEN i = 19 THEN t0 + to_days(CAST(30 + c % 11 AS INTEGER))
         WHEN i = 18 THEN t0 + to_days(CAST(38 AS INTEGER))
         ELSE t0 + to_days(CAST(i AS INTEGER)) END AS occurred_at,
    CASE i
        WHEN 0 THEN [{_code(SILTA + 'notification-kind', "'child-welfare-notification'")}]
        WHEN 18 THEN [{_code(SILTA + 'notification-kind', "'social-services-need-notice'")}]
        WHEN 3 THEN [{_code(SILTA + 'assessment-kind', "'child-welfare-assessment'")}]
        WHEN 4 THEN [{_code(SILTA + 'assessment-kind', "'child-welfare-assessment'")}]
        WHEN 19 THEN [{_code(SILTA + 'assessment-kind', "'service-need-assessment'")}]
        WHEN 13 THEN [{_code('http://terminology.hl7.org/CodeSystem/v3-ActCode',
                             "['AMB', 'EMER', 'IMP'][c % 3 + 1]")}]
        WHEN 14 THEN [{_code('http://terminology.hl7.org/CodeSystem/v3-ActCode',
                             "['AMB', 'EMER', 'IMP'][c % 3 + 1]")}]
        WHEN 15 THEN [{_code('urn:oid:1.2.246.537.6.1', "['F32.1', 'F10.2', 'I10'][c % 3 + 1]")}]
        WHEN 16 THEN [{_code(SILTA + 'service-kind', "['home-care', 'supported-housing'][c % 2 + 1]")}]
        WHEN 17 THEN [{_code(SILTA + 'service-kind', "['home-care', 'supported-housing'][c % 2 + 1]")}]
        WHEN 0 THEN [] ELSE CASE WHEN i BETWEEN 5 AND 12 THEN [
            {_code(SILTA + 'outcome-instrument', "'kykyviisari-total'")},
            {_code(SILTA + 'assessor-role', "['self', 'worker', 'family', 'self'][i % 4 + 1]")}]
        ELSE [] END END AS codes,
    CASE WHEN i BETWEEN 5 AND 12 THEN CAST((c + i) % 11 AS DOUBLE) END AS value_number,
    CASE WHEN i = 1 THEN {_code(SILTA + 'decision-outcome', "'assessment-started'")} END
        AS value_code,
    {_code('urn:oid:1.2.246.537.6.1221', "'22'")} AS service_task,
    '1.2.246.10.' || (c % 7) AS organisation,
    md5(CASE WHEN i IN (0, 1) THEN 'n' WHEN i IN (13, 14) THEN 'e' WHEN i IN (16, 17)
             THEN 's' WHEN i IN (18, 19) THEN 'o' WHEN i = 2 THEN 'r' ELSE 'x' || i END
        || c) AS source_ref,
    md5('episode' || c) AS episode,
    CASE WHEN i >= 18 THEN ['75-84', '85+'][c % 2 + 1]
         ELSE {list(BANDS)}[c % 11 + 1] END AS age_band,
    NULL::VARCHAR AS record_kind
FROM g
"""


def timed(results: dict[str, tuple[float, float]], name: str, fn: Any) -> Any:
    """Run `fn`, keeping its wall and CPU seconds (CPU counts this process only: the
    machine is shared, so wall time also holds other people's work)."""
    started, cpu = time.perf_counter(), time.process_time()
    out = fn()
    results[name] = (time.perf_counter() - started, time.process_time() - cpu)
    print(f"  {name:<40} {results[name][0]:>7.2f} s  (CPU {results[name][1]:>6.2f} s)",
          flush=True)
    return out


def steps(con: Any, options: Any, seconds: dict[str, tuple[float, float]]) -> None:
    """Each step `indicators()` takes, timed on its own."""
    from services.evaluation import costs, crosssector, deadlines, outcomes, paths, rows
    from services.evaluation.indicators import CODES, COLUMNS, REFS, deadline_tables, publish

    view = con.table("current_view")
    timed(seconds, "rows: the one scan of the view (v)",
          lambda: rows.prepare(con, view, options.by, REFS, CODES, COLUMNS))
    timed(seconds, "deadline cases (all three)", lambda: deadlines.prepare(con))
    tables = timed(seconds, "deadline counts (all three)",
                   lambda: deadline_tables(con, options))
    tables += timed(seconds, "outcome.change", lambda: outcomes.tables(con, options))
    tables += timed(seconds, "cross-sector", lambda: crosssector.tables(con, options))
    timed(seconds, "costs: priced items", lambda: costs.price(con, options, costs.load()))
    tables += timed(seconds, "paths (variants, follows, to service)",
                    lambda: paths.tables(con, options))
    tables += timed(seconds, "costs.client, costs.episode", lambda: costs.tables(con, options))
    timed(seconds, "suppression and records",
          lambda: [publish(table, options) for table in tables])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000_000)
    parser.add_argument("--by", choices=("organisation", "age_band", "sector"))
    args = parser.parse_args()
    from services.evaluation.exports import connect
    from services.evaluation.indicators import indicators
    from services.evaluation.tables import Options

    seconds: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp))
        timed(seconds, "synthesise (not an indicator)",
              lambda: con.execute(ROWS_SQL.replace("{count}", str(args.count))
                                  + "; CHECKPOINT"))  # on disk, as an export's fold leaves it
        options = Options(until=dt.date(2026, 1, 1), by=args.by)
        timed(seconds, "baseline: one grouped scan",
              lambda: con.sql("SELECT kind, count(*) FROM current_view GROUP BY kind").fetchall())
        records = timed(seconds, "all, with suppression: indicators()",
                        lambda: indicators(con, con.table("current_view"), options))
        steps(con, options, seconds)
        con.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    baseline = seconds["baseline: one grouped scan"][0]
    ratios = {k: round(v[0] / baseline, 1) for k, v in seconds.items()
              if not k.startswith(("synthesise", "baseline"))}
    print(f"{args.count} rows, {len(records)} records; peak RSS {rss_mb:.0f} MB; "
          f"times one grouped scan: {ratios}")
    path = write("indicators", {
        "environment": environment(), "rows": args.count, "by": args.by,
        "seconds": {k: round(v[0], 3) for k, v in seconds.items()},
        "cpu_seconds": {k: round(v[1], 3) for k, v in seconds.items()},
        "ratio_to_one_scan": ratios, "peak_rss_mb": round(rss_mb), "records": len(records)})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
