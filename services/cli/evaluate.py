"""`silta evaluate indicators | report | publish`: outcome indicators over the current view,
after the suppression step (services/evaluation/README.md)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import Field

from services.cli.config import load
from services.cli.export import local_store
from services.errors import ConfigError
from services.settings import SiltaSettings

app = typer.Typer(help="Outcome indicators across social and health care: deadlines, "
                  "measure change, cross-sector use; tables, JSON and a report.",
                  no_args_is_help=True)


class EvaluateSettings(SiltaSettings):
    store_url: str = Field(default_factory=local_store,
                           description="the timeline store to read; default: the store "
                           "`silta run` (make demo) keeps")
    evaluation_min_cell: int = Field(5, ge=1, description="cells counting fewer individuals "
                                     "are suppressed (Toisiolaki 552/2019)")
    evaluation_publisher: str = Field("urn:silta:county:local", pattern=r"^\S{1,200}$",
                                      description="ce_source of published indicators: who "
                                      "this county is to the others")
    indicators_topic: str = "silta.indicators.v1"


Store = Annotated[str | None, typer.Option("--store", help="timeline store URL "
                                           "(default SILTA_STORE_URL, else the demo's)")]
PeriodOpt = Annotated[str | None, typer.Option("--period", help="2025 (year), 2025H1 "
                                               "(1.4.-30.9.), 2025H2 (1.10.-31.3.), 2025-03")]
By = Annotated[str | None, typer.Option("--by", help="organisation, age_band or sector")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="count what had happened by the "
                                          "end of this day (YYYY-MM-DD); default today")]
UnitCosts = Annotated[Path | None, typer.Option("--unit-costs", help="your own unit-cost "
                                                "table (CSV, as services/evaluation/data/)")]
MinCell = Annotated[int | None, typer.Option("--min-cell", help="suppress cells under N "
                                             "individuals (default SILTA_EVALUATION_MIN_CELL, 5)")]


def options(period: str | None, by: str | None, as_of: str | None,
            min_cell: int | None, settings: EvaluateSettings,
            unit_costs: Path | None = None) -> Any:
    from services.evaluation.periods import parse_period
    from services.evaluation.tables import BY, Options

    if by is not None and by not in BY:
        raise ConfigError(f"--by {by!r}: expected one of {', '.join(BY)}")
    until = None
    if as_of is not None:
        try:
            until = dt.date.fromisoformat(as_of) + dt.timedelta(days=1)
        except ValueError:
            raise ConfigError(f"--as-of {as_of!r}: expected a date YYYY-MM-DD") from None
    if min_cell is not None and min_cell < 1:
        raise ConfigError(f"--min-cell {min_cell}: must be at least 1")
    if unit_costs is not None:
        from services.evaluation.costs import load

        load(unit_costs)  # a bad table fails before the store is read
    return Options(period=parse_period(period) if period else None, until=until, by=by,
                   min_cell=min_cell or settings.evaluation_min_cell, unit_costs=unit_costs)


@app.command("indicators")
def indicators_command(
    store: Store = None, period: PeriodOpt = None, by: By = None, as_of: AsOf = None,
    min_cell: MinCell = None, unit_costs: UnitCosts = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON record per line")] = False,
) -> None:
    """Every indicator as a table (or JSON lines), suppressed."""
    from services.evaluation import Timeline
    from services.evaluation.indicators import indicators

    settings = load(EvaluateSettings)
    chosen = options(period, by, as_of, min_cell, settings, unit_costs)
    timeline = Timeline.from_store(store or settings.store_url)
    records = indicators(timeline.con, timeline.current(ordered=False), chosen)
    if as_json:
        for record in records:
            typer.echo(json.dumps(record.model_dump(exclude={"detail"} if not record.detail
                                                    else set()), ensure_ascii=False))
        return
    for line in table_lines(records):
        typer.echo(line)


# Indicators whose value is a share; the others' are a mean change or a median in days.
SHARES = ("child-welfare.", "service-need.", "cross-sector.", "paths.variant")


def table_lines(records: list[Any]) -> list[str]:
    def show(value: object) -> str:
        return "·" if value is None else str(value)

    rows = [("indicator", "period", "group", "num", "den", "value", "open", "suppressed")]
    for r in records:
        value = "·" if r.value is None else (
            f"{r.value:.1%}" if r.indicator.startswith(SHARES) else
            f"{r.value:+.2f}" if r.indicator.startswith("outcome.") else f"{r.value:g}")
        rows.append((r.indicator, show(r.period), show(r.group), show(r.numerator),
                     show(r.denominator), value, show(r.open),
                     "; ".join(f"{k} ({v.split(':')[0]})" for k, v in r.suppressed.items())))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
           for row in rows]
    out.append("· withheld by the suppression step (fewer than N individuals, or it would "
               "reveal such a cell); numbers count individuals' cases")
    return out



@app.command("report")
def report_command(
    out: Annotated[Path, typer.Option("--out", help="folder for index.html, indicators.csv "
                                      "and indicators.json")],
    period: PeriodOpt = None, store: Store = None, by: By = None, as_of: AsOf = None,
    min_cell: MinCell = None, unit_costs: UnitCosts = None,
    compare: Annotated[str | None, typer.Option(
        "--compare", help="other counties' records: a JSON lines file (silta evaluate "
        "publish --out FILE) or a topic at SILTA_KAFKA_BOOTSTRAP (silta.indicators.v1)")] = None,
) -> None:
    """A self-contained HTML report (no network needed) with plots, definitions and
    suppression notes, plus the same numbers as CSV and JSON."""
    from services.evaluation import Timeline
    from services.evaluation.report import write_report

    settings = load(EvaluateSettings)
    chosen = options(period, by, as_of, min_cell, settings, unit_costs)
    others = _others(compare, settings) if compare is not None else []
    timeline = Timeline.from_store(store or settings.store_url)
    files = write_report(timeline.con, timeline.current(ordered=False), chosen, out,
                         timeline.reader.description, others)
    typer.echo(f"report in {out}: " + ", ".join(f.name for f in files))


@app.command("publish")
def publish_command(
    period: PeriodOpt = None, store: Store = None, by: By = None, as_of: AsOf = None,
    min_cell: MinCell = None, unit_costs: UnitCosts = None,
    out: Annotated[Path | None, typer.Option("--out", help="write JSON lines to this file "
                                             "instead of the topic")] = None,
) -> None:
    """Send the suppressed indicator records to silta.indicators.v1 (SILTA_INDICATORS_TOPIC)
    as CloudEvents, for other counties; nothing but suppressed aggregates leaves."""
    from services.evaluation import Timeline
    from services.evaluation.indicators import indicators
    from services.evaluation.publish import message, publish
    from services.evaluation.readers import run

    settings = load(EvaluateSettings)
    chosen = options(period, by, as_of, min_cell, settings, unit_costs)
    timeline = Timeline.from_store(store or settings.store_url)
    records = indicators(timeline.con, timeline.current(ordered=False), chosen)
    if out is not None:
        out.write_text("".join(r.model_dump_json() + "\n" for r in records), encoding="utf-8")
        typer.echo(f"{len(records)} indicator records in {out}")
        return
    counted_to = chosen.window()[1] - dt.timedelta(days=1)
    now = dt.datetime.now(dt.UTC)
    sent = run(publish(settings.kafka, settings.indicators_topic,
                       [message(r, settings.evaluation_publisher, counted_to, now)
                        for r in records]))
    typer.echo(f"published {sent} indicator records to {settings.indicators_topic} as "
               f"{settings.evaluation_publisher}")


def _others(compare: str, settings: EvaluateSettings) -> list[tuple[str, Any]]:
    path = Path(compare)
    if path.exists():
        return [(path.stem, r) for r in read_records(path)]
    from services.evaluation.publish import read_published
    from services.evaluation.readers import run

    return run(read_published(settings.kafka, compare))


def read_records(path: Path) -> list[Any]:
    """IndicatorRecords, one JSON object a line; ConfigError naming the line otherwise."""
    from pydantic import ValidationError

    from contracts.indicators import IndicatorRecord

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--compare {path}: cannot read it ({type(exc).__name__})") from None
    records = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append(IndicatorRecord.model_validate_json(line))
        except ValidationError as exc:
            where = ".".join(str(p) for p in exc.errors()[0]["loc"]) or "the line"
            raise ConfigError(f"--compare {path} line {n}: {where}: "
                              f"{exc.errors()[0]['msg']}") from None
    return records
