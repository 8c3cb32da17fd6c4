// The dashboard's charts as ECharts options (static/vendor/echarts.common.min.js, SVG
// renderer). Every chart has the same numbers in a table below it (dashboard.js); a
// suppressed value is never drawn as a number: a bar says "suppressed", a line leaves a
// gap and the note under the chart names what is missing.
"use strict";
window.SiltaCharts = (() => {
  const { t } = window.SiltaI18n;
  const F = window.SiltaFormat;
  // At least 3:1 against white (WCAG 1.4.11); series differ by pattern and symbol too.
  const PALETTE = ["#005a8c", "#8a4b00", "#6b2c91", "#1d6b3a", "#b00020", "#0b6e73", "#a3207c", "#4a4a4a"];
  const SYMBOLS = ["circle", "rect", "triangle", "diamond"];
  const TEXT = "#1b1b1b";
  const AXIS = { axisLabel: { color: TEXT }, axisLine: { lineStyle: { color: "#4a4a4a" } } };
  const THL_2023H1 = { "child-welfare.decision-7wd": 0.92, "child-welfare.assessment-3m": 0.86 };
  const ROLES = ["self", "family", "worker", "professional"];

  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const suppressed = (r, field = "value") => F.cell(r, field).suppressed;

  function base(description, option) {
    return {
      animation: false, color: PALETTE, textStyle: { color: TEXT, fontFamily: "system-ui, sans-serif" },
      aria: { enabled: true, decal: { show: true }, label: { description } },
      tooltip: { trigger: "item", confine: true, formatter: (p) => escape(p.data?.tip ?? p.name) },
      ...option,
    };
  }

  // A bar for one field of a record, or an empty bar labelled "suppressed".
  function bar(record, field, scale, where, horizontal) {
    const shown = F.cell(record, field);
    const value = field === "value" ? record.value : record[field];
    const tip = `${where}: ${shown.text}`;
    if (shown.suppressed || value === null) {
      return { value: 0, tip, suppressed: shown.suppressed, itemStyle: { color: "transparent" },
               label: { show: true, formatter: shown.text, color: TEXT, fontSize: 11,
                        position: horizontal ? "right" : "insideBottom", rotate: horizontal ? 0 : 90,
                        align: "left", verticalAlign: "middle" } };
    }
    return { value: value * scale, tip, label: { formatter: shown.text } };
  }

  function trend(records) {
    const periods = [...new Set(records.map((r) => r.period))].sort();
    const ids = [...new Set(records.map((r) => r.indicator))];
    const missing = [];
    const series = ids.map((id, n) => {
      const marks = n === 0 ? [{ yAxis: 100, name: t("dash.statutory"), lineStyle: { color: TEXT, type: "solid" },
                                 label: { position: "insideEndTop" } }] : [];
      if (THL_2023H1[id]) {
        marks.push({ yAxis: THL_2023H1[id] * 100, name: t("dash.thl", { share: F.valueText(THL_2023H1[id], "share") }),
                     label: { position: marks.length ? "insideStartTop" : "insideStartBottom" } });
      }
      return {
        name: F.name(id), type: "line", symbol: SYMBOLS[n % SYMBOLS.length], symbolSize: 10, connectNulls: false,
        data: periods.map((period) => {
          const r = records.find((x) => x.indicator === id && x.period === period);
          if (!r || r.value === null) {
            if (r && suppressed(r)) missing.push(`${F.name(id)} ${period}`);
            return { value: null, suppressed: Boolean(r && suppressed(r)) };
          }
          return { value: r.value * 100, tip: `${F.name(id)}, ${period}: ${F.cell(r, "value").text}` };
        }),
        markLine: { silent: true, symbol: "none", lineStyle: { type: "dashed" }, data: marks,
                    label: { formatter: "{b}", color: TEXT } },
      };
    });
    return { missing, option: base(t("chart.trend"), {
      grid: { top: 40, left: 60, right: 30, bottom: 40 + 22 * ids.length },
      legend: { bottom: 0, left: 0, orient: "vertical", textStyle: { color: TEXT } },
      xAxis: { type: "category", data: periods, ...AXIS },
      yAxis: { type: "value", min: 0, max: 100, name: t("unit.share"), axisLabel: { color: TEXT, formatter: "{value} %" } },
      series,
    }) };
  }

  function outcomes(records) {
    const rows = records.filter((r) => r.indicator.startsWith("outcome.change.") && F.partOf(r.group, "assessor"));
    const roles = ROLES.filter((role) => rows.some((r) => F.partOf(r.group, "assessor") === role));
    const instruments = new Set(rows.map((r) => r.indicator));
    const keys = [...new Set(rows.map((r) => `${r.indicator}|${F.without(r.group, "assessor") ?? ""}`))];
    const missing = [];
    const series = keys.map((key) => {
      const [indicator, rest] = key.split("|");
      const name = [instruments.size > 1 ? F.name(indicator) : null, F.group(rest || null)].filter(Boolean).join(" · ");
      return { name, type: "bar", data: roles.map((role) => {
        const r = rows.find((x) => x.indicator === indicator && F.partOf(x.group, "assessor") === role
          && (F.without(x.group, "assessor") ?? "") === rest);
        if (!r) return { value: null };
        const where = `${name}, ${F.group(`assessor=${role}`, { keys: false })}`;
        if (suppressed(r)) missing.push(where);
        return bar(r, "value", 1, where, false);
      }) };
    });
    return { missing, option: base(t("chart.outcomes"), {
      grid: { top: 30, left: 60, right: 20, bottom: 40 + 22 * Math.ceil(keys.length / 3) },
      legend: { bottom: 0, left: 0, textStyle: { color: TEXT } },
      xAxis: { type: "category", data: roles.map((role) => F.group(`assessor=${role}`, { keys: false })), ...AXIS },
      yAxis: { type: "value", name: t("unit.points"), ...AXIS },
      series,
    }) };
  }

  function cross(records) {
    const everyone = records.filter((r) => r.indicator.startsWith("cross-sector.") && r.group === null);
    const groups = [...new Set(everyone.map((r) => r.indicator.split(".")[1]))];
    const missing = [];
    const series = [[".before-12m", "dash.before"], ["", "dash.during"]].map(([suffix, label]) => ({
      name: t(label), type: "bar", data: groups.map((g) => {
        const r = everyone.find((x) => x.indicator === `cross-sector.${g}${suffix}`);
        if (!r) return { value: null };
        if (suppressed(r)) missing.push(F.name(r.indicator));
        return bar(r, "value", 100, F.name(r.indicator), false);
      }),
    }));
    return { missing, option: base(t("chart.cross"), {
      grid: { top: 30, left: 60, right: 20, bottom: 60 },
      legend: { bottom: 0, left: 0, textStyle: { color: TEXT } },
      xAxis: { type: "category", data: groups.map((g) => t(`cross.${g}`)), ...AXIS },
      yAxis: { type: "value", min: 0, name: t("unit.share"), axisLabel: { color: TEXT, formatter: "{value} %" } },
      series,
    }) };
  }

  // Horizontal bars, one per record, of `field`, named by `label`.
  function bars(description, rows, label, unit, field) {
    const missing = rows.filter((r) => suppressed(r, field)).map(label);
    return { missing, height: 70 + 56 * rows.length, option: base(description, {
      grid: { top: 10, left: 10, right: 110, bottom: 30, containLabel: true },
      xAxis: { type: "value", name: unit, nameLocation: "middle", nameGap: 26, ...AXIS },
      yAxis: { type: "category", inverse: true, data: rows.map(label),
               axisLabel: { color: TEXT, width: 440, overflow: "break", lineHeight: 15 }, axisLine: AXIS.axisLine },
      series: [{ type: "bar", data: rows.map((r) => bar(r, field, 1, label(r), true)),
                 label: { show: true, position: "right", color: TEXT } }],
    }) };
  }

  function paths(records) {
    const rows = records.filter((r) => r.indicator === "paths.variant" && r.group !== null
      && r.group !== "variant=(other variants)").sort((a, b) => (b.numerator ?? 0) - (a.numerator ?? 0));
    return bars(t("chart.paths"), rows, (r) => F.group(r.group, { keys: false }), t("unit.clients"), "numerator");
  }

  function costs(records) {
    const rows = records.filter((r) => r.indicator.startsWith("costs.") && (r.value !== null || suppressed(r)));
    const label = (r) => [F.name(r.indicator), r.group === null ? null : F.group(r.group)].filter(Boolean).join(" · ");
    return bars(t("chart.costs"), rows, label, t("unit.eur"), "value");
  }

  return { trend, outcomes, cross, paths, costs };
})();
