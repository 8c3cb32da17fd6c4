"""The report's plots: matplotlib figures as inline SVG (no fonts or scripts fetched), one
per indicator family. A plot leaves a suppressed value out; the tables say so.
"""

from __future__ import annotations

import io
import re
from typing import Any

from contracts.indicators import IndicatorRecord
from services.evaluation.deps import require
from services.evaluation.tables import BY

DEADLINES = ("child-welfare.decision-7wd", "child-welfare.assessment-3m",
             "service-need.assessment-start-7wd-75plus")


def plots(trend: list[IndicatorRecord], records: list[IndicatorRecord]) -> list[str]:
    """The SVG plots there is something to show for: deadline shares over `trend`, and
    outcome change, cross-sector use, path variants and costs of `records`."""
    plt = _pyplot()
    drawn = [_deadline_plot(plt, trend), _change_plot(plt, records), _cross_plot(plt, records),
             _variant_plot(plt, records), _cost_plot(plt, records)]
    return [p for p in drawn if p]


def _pyplot() -> Any:
    matplotlib = require("matplotlib")
    matplotlib.use("Agg")  # no display in a secure environment
    matplotlib.rcParams.update({"svg.fonttype": "path", "font.size": 9,
                                "axes.spines.top": False, "axes.spines.right": False})
    return require("matplotlib.pyplot")


def _svg(plt: Any, fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return re.sub(r"<metadata>.*?</metadata>", "", text[text.index("<svg"):], flags=re.S)


def _deadline_plot(plt: Any, trend: list[IndicatorRecord]) -> str | None:
    if not trend:
        return None
    fig, ax = plt.subplots(figsize=(9, 3.4))
    labels = sorted({r.period or "" for r in trend})
    hidden = 0
    for indicator in DEADLINES:
        values = {r.period: r.value for r in trend if r.indicator == indicator}
        hidden += sum(v is None for v in values.values())
        shares = [values.get(p) for p in labels]
        ax.plot(range(len(labels)), [float("nan") if v is None else 100 * v for v in shares],
                marker="o", label=indicator)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylim(0, 105)
    ax.set_ylabel("% within the deadline")
    ax.set_title("Statutory deadlines met, by THL half-year (1.4.-30.9. = H1, 1.10.-31.3. = H2)")
    ax.legend(fontsize=8, loc="lower left")
    if hidden:
        ax.annotate(f"{hidden} half-year value(s) suppressed (not plotted)", (0.99, 0.02),
                    xycoords="axes fraction", ha="right", fontsize=8, color="#8a5a00")
    return _svg(plt, fig)


def _change_plot(plt: Any, records: list[IndicatorRecord]) -> str | None:
    rows = [r for r in records if r.indicator.startswith("outcome.change.")
            and r.group is not None and r.group.count("=") == 1]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(9, 3))
    labels = [f"{r.indicator.split('.')[-1]}\n{r.group}" for r in rows]
    values = [r.value or 0 for r in rows]
    bars = ax.bar(labels, values, color=["#3a78b5" if v >= 0 else "#c0504d" for v in values])
    for bar, r in zip(bars, rows, strict=True):
        text = "suppressed" if r.value is None else f"{r.value:+.2f} (n={r.denominator})"
        ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=8)
    ax.axhline(0, color="#555", linewidth=0.8)
    ax.set_ylabel("mean change, points")
    ax.set_title("Outcome measure change from first to last measurement, by assessor")
    return _svg(plt, fig)


def _cross_plot(plt: Any, records: list[IndicatorRecord]) -> str | None:
    rows = {r.indicator: r for r in records
            if r.indicator.startswith("cross-sector.") and r.group is None}
    groups = [i.split(".")[1] for i in rows if not i.endswith(".before-12m")]
    if not groups:
        return None
    fig, ax = plt.subplots(figsize=(9, 3))
    xs = range(len(groups))
    for offset, suffix, label in ((-0.2, ".before-12m", "12 months before"),
                                  (0.2, "", "during the episode")):
        values = [rows[f"cross-sector.{g}{suffix}"].value for g in groups]
        ax.bar([x + offset for x in xs], [100 * (v or 0) for v in values], width=0.4,
               label=label + (" (· suppressed)" if None in values else ""))
    ax.set_xticks(list(xs), groups)
    ax.set_ylabel("% of social-care clients")
    ax.set_title("Health events of social-care clients, before and during the episode")
    ax.legend(fontsize=8)
    return _svg(plt, fig)


def _variant_plot(plt: Any, records: list[IndicatorRecord]) -> str | None:
    rows = [r for r in records if r.indicator == "paths.variant" and r.group is not None
            and r.group.startswith("variant=") and _everyone(r.group)
            and r.numerator is not None and r.group != "variant=(other variants)"]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(9, 0.5 + 0.45 * len(rows)))
    labels = [(r.group or "").removeprefix("variant=").replace(" > ", " → ") for r in rows]
    ax.barh(range(len(rows)), [r.numerator or 0 for r in rows], color="#5b8f5b")
    ax.set_yticks(range(len(rows)), labels, fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xlabel("clients")
    ax.set_title("Most common service paths across both worlds (first steps)")
    return _svg(plt, fig)


def _cost_plot(plt: Any, records: list[IndicatorRecord]) -> str | None:
    """Mean cost per client, per client-episode and per path variant, for everyone."""
    rows = [r for r in records if r.indicator.startswith("costs.") and r.value
            and (r.group is None or (r.indicator == "costs.variant" and _everyone(r.group)))]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(9, 0.9 + 0.32 * len(rows)))
    labels = [r.indicator if r.group is None else
              r.group.removeprefix("variant=").replace(" > ", " → ")[:90] for r in rows]
    bars = ax.barh(range(len(rows)), [r.value or 0 for r in rows], color="#8a6bb0")
    ax.set_yticks(range(len(rows)), labels, fontsize=7.5)
    ax.invert_yaxis()
    for bar, r in zip(bars, rows, strict=True):
        ax.annotate(f" {r.value:,.0f} € (n={r.numerator})".replace(",", " "),
                    (bar.get_width(), bar.get_y() + bar.get_height() / 2), va="center",
                    fontsize=8)
    ax.set_xlabel("mean estimated cost, € (unit-cost table)")
    ax.set_title("Estimated cost per client, per client-episode and per path variant")
    return _svg(plt, fig)


def _everyone(group: str) -> bool:
    """A label with no `--by` part (`variant=a > b`, not `variant=a > b,age_band=0-6`)."""
    return not any(f",{by}=" in group for by in BY)
