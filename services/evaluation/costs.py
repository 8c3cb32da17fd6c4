"""`costs.*`: cost estimates per client and per client-episode from a versioned unit-cost
table, in SQL over the path steps (paths.py) and the `v` view. Definitions: README.md.

The table (`data/unit-costs-2024.csv` by default, or the user's own) has one row per
priced item: `item`, `activity` (what on the timeline it prices: `encounter:<class>` per
distinct encounter, `service:<service kind>` per day the service runs), `unit` (`visit` or
`day`), `cost_eur`, `year`, `source`, and `assumption` (empty when the source gives both
the price and what it prices). A bad row is a UnitCostError naming the row and column.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.errors import ConfigError
from services.evaluation.deps import require
from services.evaluation.tables import Options, Table

pa = require("pyarrow")

DEFAULT_TABLE = Path(__file__).resolve().parent / "data" / "unit-costs-2024.csv"
COLUMNS = ("item", "activity", "unit", "cost_eur", "year", "source", "assumption")


class UnitCostError(ConfigError):
    """A unit-cost table that cannot be used; the message names the row and column."""


class UnitCost(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9-]*$")
    activity: str | None = Field(None, pattern=r"^(encounter|service):[A-Za-z0-9-]+$")
    unit: Literal["visit", "day"]
    cost_eur: float = Field(ge=0, allow_inf_nan=False)
    year: int = Field(ge=1990, le=2100)
    source: str = Field(min_length=1)
    assumption: str | None = None


def load(path: Path = DEFAULT_TABLE) -> list[UnitCost]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnitCostError(f"unit-cost table {path}: cannot read it "
                            f"({type(exc).__name__})") from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise UnitCostError(f"unit-cost table {path}: missing column(s) {', '.join(missing)} "
                            f"(expected {', '.join(COLUMNS)})")
    rows: list[UnitCost] = []
    for n, raw in enumerate(reader, 2):  # row 1 is the header
        values = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in raw.items()}
        if None in raw:
            raise UnitCostError(f"unit-cost table {path} row {n}: more cells than columns")
        try:
            row = UnitCost.model_validate(values)
        except ValidationError as exc:
            error = exc.errors()[0]
            column = str(error["loc"][0]) if error["loc"] else "?"
            shown = raw.get(column) or "(empty)"
            raise UnitCostError(f"unit-cost table {path} row {n}, column {column}: "
                                f"{shown[:40]!r}: {error['msg']}") from None
        if row.item in {r.item for r in rows}:
            raise UnitCostError(f"unit-cost table {path} row {n}, column item: "
                                f"{row.item!r} appears twice")
        if row.activity and row.activity in {r.activity for r in rows}:
            raise UnitCostError(f"unit-cost table {path} row {n}, column activity: "
                                f"{row.activity!r} is priced twice")
        rows.append(row)
    return rows


COSTED_SQL = """
CREATE OR REPLACE TEMP TABLE costed AS
WITH encounters AS (
    SELECT client, 'encounter:' || list_filter(codes, c -> c.system = '{act}')[1].code AS activity,
           min(day) AS day, 1 AS units
    FROM v WHERE k IN ('encounter.started', 'encounter.finished')
      AND day >= DATE '{start}' AND day < DATE '{until}'
    GROUP BY client, source_ref, activity
),
services AS (
    SELECT client, activity, greatest(started, DATE '{start}') AS day,
           date_diff('day', greatest(started, DATE '{start}'),
                     least(coalesce(ended, DATE '{until}' - 1), DATE '{until}' - 1)) + 1 AS units
    FROM (
        SELECT client, source_ref,
               'service:' || any_value(list_filter(codes, c -> c.system = '{service}')[1].code)
                   FILTER (WHERE k = 'service.started') AS activity,
               min(day) FILTER (WHERE k = 'service.started') AS started,
               max(day) FILTER (WHERE k = 'service.ended') AS ended
        FROM v WHERE k IN ('service.started', 'service.ended')
        GROUP BY client, source_ref
    ) WHERE started IS NOT NULL AND started < DATE '{until}'
        AND coalesce(ended, DATE '{until}') >= DATE '{start}'
)
SELECT x.client, x.day, p.item, x.units * p.cost_eur AS eur
FROM (SELECT * FROM encounters UNION ALL SELECT * FROM services) x
JOIN unit_costs p ON p.activity = x.activity WHERE x.units > 0
"""

EPISODES_SQL = """
SELECT sum(eur) AS eur FROM (
    SELECT client, source_ref, min(day) FILTER (WHERE k = 'client-relationship.opened') AS opened,
           max(day) FILTER (WHERE k = 'client-relationship.closed') AS closed
    FROM v WHERE k IN ('client-relationship.opened', 'client-relationship.closed')
    GROUP BY client, source_ref
) e JOIN costed c ON c.client = e.client AND c.day >= e.opened
    AND c.day <= coalesce(e.closed, DATE '{until}' - 1)
WHERE e.opened IS NOT NULL AND e.opened < DATE '{until}'
  AND coalesce(e.closed, DATE '{until}') >= DATE '{start}'
GROUP BY e.client, e.source_ref
"""


def tables(con: Any, options: Options, unit_costs: list[UnitCost]) -> list[Table]:
    from services.evaluation.paths import ACT_CODE, SERVICE_KIND

    start, until = options.window()
    priced = [r for r in unit_costs if r.activity]
    prices = pa.table({"item": [r.item for r in priced],  # noqa: F841 - read by DuckDB
                       "activity": [r.activity for r in priced],
                       "cost_eur": [r.cost_eur for r in priced]})
    con.execute("CREATE OR REPLACE TEMP TABLE unit_costs AS SELECT * FROM prices")
    con.execute(COSTED_SQL.format(act=ACT_CODE, service=SERVICE_KIND, start=start, until=until))
    per_client = "SELECT sum(eur) AS eur FROM costed GROUP BY client"
    clients = con.sql("SELECT count(DISTINCT client) FROM path_steps").fetchone()[0]
    items = dict(con.sql("SELECT item, count(DISTINCT client) FROM costed GROUP BY item")
                 .fetchall())
    return [_table(con, "costs.client", per_client, clients, items),
            _table(con, "costs.episode", EPISODES_SQL.format(start=start, until=until), None,
                   {})]


def _table(con: Any, indicator: str, sql: str, population: int | None,
           items: dict[str, int]) -> Table:
    n, mean, median, total = con.sql(
        f"SELECT count(*), avg(eur), median(eur), sum(eur) FROM ({sql})").fetchone()

    def record(group: str | None, shown: dict[str, int | None]) -> dict[str, Any]:
        visible = shown["costed"] is not None and bool(n)
        return {"numerator": shown["costed"], "denominator": population,
                "value": round(mean, 2) if visible else None,
                "detail": {"median_eur": round(median, 2) if visible else None,
                           "total_eur": round(total, 2) if visible else None}
                | {f"clients:{item}": shown.get(f"clients:{item}") for item in items}}

    cells = {"costed": int(n)} | {f"clients:{item}": c for item, c in items.items()}
    return Table(indicator, {None: cells}, {}, record)
