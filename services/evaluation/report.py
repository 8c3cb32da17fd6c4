"""The evaluator's report: one self-contained HTML page (inline CSS and SVG plots, nothing
fetched, so it opens in an offline secure processing environment), with the same numbers
beside it as `indicators.csv` and `indicators.json`.

Everything shown is an IndicatorRecord, so everything went through the suppression step;
a plot leaves a suppressed value out and says so.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from contracts.indicators import IndicatorRecord
from services.evaluation.indicators import compute, prepare
from services.evaluation.periods import periods_between
from services.evaluation.plots import plots
from services.evaluation.tables import Options

DEFINITIONS = {
    "child-welfare.decision-7wd": (
        "Child-welfare matters (a child-welfare notification, or another notification in "
        "palvelutehtävä 22) decided within 7 working days: the decision on starting the "
        "assessment came on or before the 7th working day after receipt (the receipt day "
        "is not counted; Saturdays, Sundays, public holidays, Midsummer Eve and Christmas "
        "Eve are not working days). Lastensuojelulaki 417/2007 26 §."),
    "child-welfare.assessment-3m": (
        "Child-welfare matters whose assessment was completed within 3 months of receipt, "
        "of those not decided as 'no assessment'. Lastensuojelulaki 417/2007 26 §."),
    "service-need.assessment-start-7wd-75plus": (
        "Notices of a need for social services about people aged 75 or over at the notice "
        "whose service-need assessment started by the 7th working day. Sosiaalihuoltolaki "
        "1301/2014 36 §."),
    "outcome.change": (
        "Change of an outcome measure's total score (e.g. Kykyviisari 0-10, higher is "
        "better) from the first to the last measurement by the same assessor role within "
        "a client's episode; n counts episodes measured at both ends, the numerator those "
        "that improved, the value is the mean change."),
    "paths": (
        "Service paths across social and health care: the most common variants (a "
        "client's first six steps: social-care steps, services by kind, health encounters "
        "by class), the directly-follows graph (clients taking each step to the next, "
        "median days between them) and the days from the first contact to the first "
        "service. Variants and steps taken by fewer than N clients are not named."),
    "costs": (
        "Estimated cost per client, per client-episode (a social-care client "
        "relationship) and per path variant: priced activities in the period times the "
        "unit-cost table's prices (2024 national averages by the Ministry of Finance and "
        "the Ministry of Social Affairs and Health with THL; rows marked as assumptions "
        "say what is assumed). Outpatient health encounters are priced per visit, "
        "services per day; a variant's mean counts its clients with nothing priced as "
        "0 €, and is withheld with the variant's count."),
    "cross-sector": (
        "Share of social-care clients (a client relationship running in the period) with "
        "psychiatric (ICD-10 F00-F99), substance-use (F10-F19) or emergency (encounter "
        "class EMER) health events during their episode, and in the 12 months before it."),
}
FIELDS = ("indicator", "period", "group", "numerator", "denominator", "value", "open")

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
color:#1d2733;background:#f6f7f9}
main{max-width:1040px;margin:0 auto;padding:24px 32px 48px;background:#fff}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 6px;
border-bottom:2px solid #d8dee6;padding-bottom:4px}
.meta{color:#566270;margin:0 0 18px}.def{color:#36404c;max-width:800px}
table{border-collapse:collapse;width:100%;margin:10px 0;font-size:13.5px}
th,td{padding:4px 8px;border-bottom:1px solid #e3e7ec;text-align:right}
th:nth-child(-n+3),td:nth-child(-n+3){text-align:left}th{background:#eef1f5}
td.s{color:#9aa4b0}.plot svg{max-width:100%;height:auto}
.note{background:#fff7e0;border-left:4px solid #e0b300;padding:8px 12px;font-size:13.5px}
ul.supp{font-size:13px;color:#36404c;columns:2}
"""


@dataclass(frozen=True)
class Position:
    """What the report covers: where the data came from and up to when."""

    source: str
    entries: int
    first: dt.date | None
    last: dt.date | None
    read_at: dt.datetime


def position(con: Any, source: str) -> Position:
    """What the prepared rows (`v`, rows.py) hold: how many, from which day to which."""
    count, first, last = con.sql("SELECT count(*), min(day), max(day) FROM v").fetchone()
    return Position(source, int(count), first, last, dt.datetime.now(dt.UTC))


def write_report(con: Any, view: Any, options: Options, out: Path, source: str,
                 compare: Sequence[tuple[str, IndicatorRecord]] = ()) -> list[Path]:
    """Compute every indicator for `options.period` and write index.html, indicators.csv
    and indicators.json into `out`; returns the files written. `compare` holds other
    counties' records with who published them."""
    prepared = prepare(con, view, options)
    where = position(con, source)
    records = compute(prepared, options)
    trend: list[IndicatorRecord] = []
    if where.first is not None and where.last is not None:
        for period in periods_between(where.first, where.last):
            trend += compute(prepared, replace(options, period=period, by=None),
                             families=("deadlines",))
    out.mkdir(parents=True, exist_ok=True)
    page = _page(records, where, options, plots(trend, records), compare)
    files = [out / "index.html", out / "indicators.csv", out / "indicators.json"]
    files[0].write_text(page, encoding="utf-8")
    _write_csv(files[1], records)
    files[2].write_text(json.dumps({
        "period": options.period.label if options.period else None,
        "min_cell": options.min_cell, "position": _position_dict(where),
        "records": [r.model_dump() for r in records]}, indent=1, ensure_ascii=False) + "\n")
    return files


def _cell(value: object, suppressed: bool) -> str:
    if suppressed:
        return '<td class="s" title="suppressed">·</td>'
    if isinstance(value, float):
        return f"<td>{value:.3f}</td>"
    return f"<td>{html.escape('' if value is None else str(value))}</td>"


def _table(records: Sequence[IndicatorRecord], county: Sequence[str] = ()) -> str:
    head = "".join(f"<th>{f}</th>" for f in (*FIELDS, *(["county"] if county else [])))
    body = []
    for n, r in enumerate(records):
        hidden = {"numerator", "denominator", "open"} & set(r.suppressed)
        cells = [_cell(getattr(r, f), f in hidden or (f == "value" and r.value is None
                                                     and bool(r.suppressed))) for f in FIELDS]
        if county:
            cells.append(_cell(county[n], False))
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _page(records: list[IndicatorRecord], where: Position, options: Options,
          plots: list[str], compare: Sequence[tuple[str, IndicatorRecord]]) -> str:
    period = options.period.label if options.period else "the whole timeline"
    window = (f"{options.period.start:%d.%m.%Y}-{options.period.end - dt.timedelta(days=1):%d.%m.%Y}"
              if options.period else "all")
    sections = _sections(records)
    notes = [f"<li>{html.escape(r.indicator)} {html.escape(r.group or 'everyone')}: "
             f"{html.escape(f)} — {html.escape(why)}</li>"
             for r in records for f, why in r.suppressed.items()]
    others = _beside_others(records, compare) if compare else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Silta indicators {html.escape(period)}</title>
<style>{CSS}</style></head><body><main>
<h1>Outcome indicators across social and health care: {html.escape(period)}</h1>
<p class="meta">Period {html.escape(window)} · data from {html.escape(where.source)} ·
{where.entries} current entries with event dates {where.first or '-'} to {where.last or '-'}
· counted as of {options.window()[1] - dt.timedelta(days=1):%d.%m.%Y} · read
{where.read_at:%Y-%m-%d %H:%M} UTC</p>
<p class="note">Anonymous results (Toisiolaki 552/2019): every cell counting fewer than
{options.min_cell} individuals is suppressed (·), and further cells where a suppressed one
could be worked out from the totals. Open cases (deadline not yet reached at the period's
end) are counted apart, neither met nor missed.</p>
{''.join(f'<div class="plot">{p}</div>' for p in plots)}
{''.join(sections)}
{others}
<h2>Suppression notes</h2>
{'<ul class="supp">' + ''.join(notes) + '</ul>' if notes else '<p>Nothing suppressed.</p>'}
<p class="meta">Also in this folder: indicators.csv and indicators.json (the same records).
Generated by silta evaluate report.</p>
</main></body></html>
"""


def _sections(records: list[IndicatorRecord]) -> list[str]:
    """Per indicator family: its definition and its table."""
    sections = []
    for key, text in DEFINITIONS.items():
        rows = [r for r in records if r.indicator == key or r.indicator.startswith(key + ".")]
        sections.append(f"<h2>{html.escape(key)}</h2><p class='def'>{html.escape(text)}</p>"
                        + (_table(rows) if rows else "<p>No cases in this period.</p>"))
    return sections


def _beside_others(records: list[IndicatorRecord],
                   compare: Sequence[tuple[str, IndicatorRecord]]) -> str:
    """This county's record first, then the others' for the same indicator and group."""
    mine = {(r.indicator, r.period, r.group): r for r in records}
    shown: list[IndicatorRecord] = []
    counties: list[str] = []
    for same in dict.fromkeys((r.indicator, r.period, r.group) for _, r in compare):
        if same in mine:
            shown.append(mine[same])
            counties.append("this county")
        for county, r in compare:
            if (r.indicator, r.period, r.group) == same:
                shown.append(r)
                counties.append(county)
    return ("<h2>Beside other counties</h2><p class='def'>Published aggregates other "
            "regions shared on silta.indicators.v1 (already suppressed there).</p>"
            + _table(shown, counties))


def _position_dict(where: Position) -> dict[str, Any]:
    return {"source": where.source, "entries": where.entries,
            "first_event_day": where.first.isoformat() if where.first else None,
            "last_event_day": where.last.isoformat() if where.last else None,
            "read_at": where.read_at.isoformat()}


def _write_csv(path: Path, records: list[IndicatorRecord]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*FIELDS, "suppressed", "detail"])
        for r in records:
            writer.writerow([*(getattr(r, f) for f in FIELDS),
                             "; ".join(f"{k}: {v}" for k, v in r.suppressed.items()),
                             json.dumps(r.detail, ensure_ascii=False) if r.detail else ""])
