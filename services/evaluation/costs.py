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
from services.evaluation.tables import Options, Table, with_total

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


# Priced items in the period, from `v` (rows.py), where paths.py makes an encounter's
# class and a service's kind their `code`: each distinct encounter of a priced class once,
# each day a priced service runs. `grp` is the group at the item's first row.
SCRATCH = ("unit_costs", "costed", "client_costs")  # what `price` leaves behind
COSTED_SQL = """
CREATE OR REPLACE TEMP TABLE costed AS
WITH encounters AS (
    SELECT client, 'encounter:' || code AS activity, min(day) AS day, 1 AS units,
           arg_min(grp, (day, seq)) AS grp
    FROM v WHERE k IN ('encounter.started', 'encounter.finished')
      AND day >= DATE '{start}' AND day < DATE '{until}'
    GROUP BY client, ref, activity
),
services AS (
    SELECT client, activity, greatest(started, DATE '{start}') AS day,
           date_diff('day', greatest(started, DATE '{start}'),
                     least(coalesce(ended, DATE '{until}' - 1), DATE '{until}' - 1)) + 1 AS units,
           grp
    FROM (
        SELECT client, ref,
               'service:' || any_value(code) FILTER (WHERE k = 'service.started')
                   AS activity,
               min(day) FILTER (WHERE k = 'service.started') AS started,
               max(day) FILTER (WHERE k = 'service.ended') AS ended,
               arg_min(grp, (day, seq)) FILTER (WHERE k = 'service.started') AS grp
        FROM v WHERE k IN ('service.started', 'service.ended')
        GROUP BY client, ref
    ) WHERE started IS NOT NULL AND started < DATE '{until}'
        AND coalesce(ended, DATE '{until}') >= DATE '{start}'
)
SELECT x.client, x.day, x.grp, p.item, x.units * p.cost_eur AS eur
FROM (SELECT * FROM encounters UNION ALL SELECT * FROM services) x
JOIN unit_costs p ON p.activity = x.activity WHERE x.units > 0;

CREATE OR REPLACE TEMP TABLE client_costs AS
SELECT client, sum(eur) AS eur, arg_min(grp, day) AS grp FROM costed GROUP BY client
"""

EPISODES_SQL = """
SELECT any_value(e.grp) AS grp, sum(c.eur) AS eur FROM (
    SELECT client, ref, min(day) FILTER (WHERE k = 'client-relationship.opened') AS opened,
           max(day) FILTER (WHERE k = 'client-relationship.closed') AS closed,
           arg_min(grp, (day, seq)) AS grp
    FROM v WHERE k IN ('client-relationship.opened', 'client-relationship.closed')
    GROUP BY client, ref
) e JOIN costed c ON c.client = e.client AND c.day >= e.opened
    AND c.day <= coalesce(e.closed, DATE '{until}' - 1)
WHERE e.opened IS NOT NULL AND e.opened < DATE '{until}'
  AND coalesce(e.closed, DATE '{until}') >= DATE '{start}'
GROUP BY e.client, e.ref
"""
STATS = "count(*), avg(eur), median(eur), sum(eur)"


def price(con: Any, options: Options, unit_costs: list[UnitCost]) -> None:
    """The priced items of the period (`costed`) and each client's sum (`client_costs`)."""
    start, until = options.window()
    priced = [r for r in unit_costs if r.activity]
    prices = pa.table({"item": [r.item for r in priced],  # noqa: F841 - read by DuckDB
                       "activity": [r.activity for r in priced],
                       "cost_eur": [r.cost_eur for r in priced]})
    con.execute("CREATE OR REPLACE TEMP TABLE unit_costs AS SELECT * FROM prices")
    con.execute(COSTED_SQL.format(start=start, until=until))


# Clients of the period: with a path (paths.py) or a priced item (a service running on
# from before the period has no step in it), in the group of their first step or item.
CLIENTS_SQL = """
SELECT coalesce(p.grp, c.grp) AS grp, c.eur
FROM path_clients p FULL JOIN client_costs c USING (client)
"""


def tables(con: Any, options: Options) -> list[Table]:
    """costs.client and costs.episode, from the tables `price` and paths.tables wrote."""
    start, until = options.window()
    group = "grp" if options.by else "NULL::VARCHAR"
    items: dict[str | None, dict[str, int]] = {}
    for grp, item, n in con.sql(f"SELECT {group}, item, count(DISTINCT client) FROM costed "
                                "GROUP BY ALL ORDER BY item").fetchall():
        items.setdefault(grp, {})[f"clients:{item}"] = n
    for grp, clients in con.sql(f"SELECT {group}, count(*) FROM ({CLIENTS_SQL}) "
                                "GROUP BY ALL").fetchall():
        items.setdefault(grp, {})["clients"] = clients
    per_client = f"SELECT {group} AS grp, eur FROM ({CLIENTS_SQL}) WHERE eur IS NOT NULL"
    per_episode = (f"SELECT {group} AS grp, eur FROM ({EPISODES_SQL})"
                   .format(start=start, until=until))
    return [_table(con, "costs.client", per_client, items, options),
            _table(con, "costs.episode", per_episode, {}, options)]


Stats = dict[tuple[str, bool, str | None], tuple[Any, ...]]


def summary(con: Any, sql: str) -> Stats:
    """count, mean, median and total of `eur` in `sql` per `cell` and `grp` (its columns),
    keyed (cell, everyone, group): for everyone the group is None."""
    return {(cell, everyone, grp): tuple(stats) for cell, everyone, grp, *stats in con.sql(
        f"SELECT cell, grouping(grp) > 0, grp, {STATS} FROM ({sql}) "
        "GROUP BY GROUPING SETS ((cell, grp), (cell))").fetchall()}


def values(stats: Stats, cell: str, options: Options) -> dict[str | None, tuple[Any, ...]]:
    """One cell's statistics by group label (None: everyone)."""
    return {None if everyone else options.label(grp): v
            for (c, everyone, grp), v in stats.items() if c == cell}


def _table(con: Any, indicator: str, sql: str, extra: dict[str | None, dict[str, int]],
           options: Options) -> Table:
    """Costed clients (or episodes) per group with `extra` cells; with a `clients` cell,
    the ones not costed too."""
    stats = summary(con, f"SELECT 'costed' AS cell, * FROM ({sql})")
    by_group = {grp: {"costed": 0} | cells for grp, cells in extra.items()}
    for (_, everyone, grp), (n, *_) in stats.items():
        if not everyone:
            by_group.setdefault(grp, {})["costed"] = n
    for cells in by_group.values():
        if "clients" in cells:
            cells["not costed"] = cells["clients"] - cells["costed"]
    rows = with_total(by_group, options)
    rows[None] = {"costed": 0} | rows[None]
    sums = {"clients": ("costed", "not costed")} if "clients" in rows[None] else {}
    return Table.of(indicator, rows, sums, cost_record(values(stats, "costed", options)))


def cost_record(values: dict[str | None, tuple[Any, ...]], cell: str = "costed",
                denominator: str | None = "clients") -> Any:
    """A record of mean € (value), median and total € (detail) over `cell`'s clients,
    withheld with it."""
    def record(group: str | None, shown: dict[str, int | None]) -> dict[str, Any]:
        n, mean, median, total = values.get(group, (0, None, None, None))
        visible = shown[cell] is not None and bool(n)
        return {"numerator": shown[cell],
                "denominator": shown.get(denominator) if denominator else None,
                "value": round(mean, 2) if visible else None,
                "detail": {"median_eur": round(median, 2) if visible else None,
                           "total_eur": round(total, 2) if visible else None}
                | {name: count for name, count in shown.items() if name.startswith("clients:")}}
    return record
