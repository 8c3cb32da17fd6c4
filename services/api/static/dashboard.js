// The indicator dashboard: GET /indicators for the chosen period and grouping, drawn as
// charts (charts.js) with the same numbers in tables below them, and every record in one
// table at the end. Loaded by page.js when #dashboard is first opened.
"use strict";
window.SiltaDashboard = (() => {
  const { t } = window.SiltaI18n;
  const api = window.SiltaApi;
  const F = window.SiltaFormat;
  const C = window.SiltaCharts;
  const $ = (id) => document.getElementById(id);
  const BY = ["organisation", "age_band", "sector"];
  const DEADLINE = /^(child-welfare|service-need)\./;
  const charts = new Map();  // element id -> ECharts instance
  let answer = null;  // the last GET /indicators
  let asking = 0;  // the latest request; answers to earlier ones are dropped

  async function show() {
    await api.view("dashboard");
    controls();
    if (api.dashboardUnavailable) {
      unavailable(api.dashboardUnavailable);
      return;
    }
    if (answer) render();
    else await load();
  }

  function option(value, text) {
    return Object.assign(document.createElement("option"), { value, textContent: text });
  }

  function periodName(label) {
    const half = /^(\d{4})H([12])$/.exec(label);
    if (!half) return label;
    const year = Number(half[1]);
    return half[2] === "1" ? `${label} (1.4.–30.9.${year})` : `${label} (1.10.${year}–31.3.${year + 1})`;
  }

  // The selects keep their choice through a new answer and a language switch.
  function controls() {
    const period = $("dash-period").value;
    const by = $("dash-by").value;
    const periods = answer?.periods ?? (period ? [period] : []);
    $("dash-period").replaceChildren(option("", t("dash.whole")), ...periods.map((p) => option(p, periodName(p))));
    $("dash-period").value = period;
    $("dash-by").replaceChildren(option("", t("dash.by_none")),
      ...BY.map((key) => option(key, F.dimension(key))));
    $("dash-by").value = by;
  }

  function unavailable(reason) {
    $("dash-status").textContent = t("dash.unavailable", { reason });
    $("dash-content").hidden = true;
    for (const id of ["dash-period", "dash-by"]) $(id).disabled = true;
  }

  async function load() {
    const mine = ++asking;
    const view = $("dashboard-view");
    delete view.dataset.drawn;
    view.setAttribute("aria-busy", "true");
    $("dash-status").textContent = t("dash.loading");
    const response = await api.get("/indicators", { period: $("dash-period").value || undefined,
                                                    by: $("dash-by").value || undefined });
    if (mine !== asking) return;
    view.removeAttribute("aria-busy");
    const body = await response.json();
    if (response.status === 503 && body.error?.code === "indicators.unavailable") {
      unavailable(body.error.message);
    } else if (!response.ok) {
      $("dash-status").textContent = t("dash.failed");
    } else {
      answer = body;
      controls();
      render();
    }
  }

  function render() {
    const a = answer;
    delete $("dashboard-view").dataset.drawn;
    $("dash-status").textContent = t("dash.status", {
      counted: F.day(a.counted_to), entries: F.number(a.data.entries, {}), first: F.day(a.data.first_event_day),
      last: F.day(a.data.last_event_day), computed: F.moment(a.computed_at) });
    $("dash-suppression").textContent = t("dash.suppression", { n: a.min_cell });
    $("dash-content").hidden = false;
    const records = a.records;
    const deadlines = records.filter((r) => DEADLINE.test(r.indicator));
    section("trend", "deadlines", a.trend, () => C.trend(a.trend), [
      [a.trend, ["period", "indicator", "numerator", "denominator", "value", "open", "suppressed"], "dash.trend"],
      [deadlines, ["indicator", "group", "numerator", "denominator", "value", "open", "suppressed"], "dash.in_period"]],
      ["col.met", "col.cases", "col.share"]);
    const outcomes = records.filter((r) => r.indicator.startsWith("outcome.change."));
    section("outcomes", "outcomes", outcomes, () => C.outcomes(records), [[outcomes,
      ["indicator", "group", "denominator", "numerator", "value", "median", "suppressed"]]],
      ["col.improved", "col.measured", "col.mean_change"]);
    const cross = records.filter((r) => r.indicator.startsWith("cross-sector."));
    section("cross", "cross", cross, () => C.cross(records), [[cross,
      ["indicator", "group", "numerator", "denominator", "value", "suppressed"]]],
      ["col.clients", "col.of", "col.share"]);
    const paths = records.filter((r) => r.indicator === "paths.variant" || r.indicator === "paths.first-contact-to-service");
    section("paths", "paths", paths, () => C.paths(records), [[paths,
      ["indicator", "group", "numerator", "denominator", "value", "suppressed"]]],
      ["col.clients", "col.of", "col.value"]);
    const costs = records.filter((r) => r.indicator.startsWith("costs."));
    section("costs", "costs", costs, () => C.costs(records), [[costs,
      ["indicator", "group", "numerator", "denominator", "value", "median_eur", "total_eur", "suppressed"]]],
      ["col.clients", "col.of", "col.mean_eur"]);
    $("dash-all-title").textContent = t("dash.all", { n: records.length });
    $("table-all").replaceChildren(table(records,
      ["indicator", "group", "numerator", "denominator", "value", "open", "suppressed"], null, {}));
    const drawn = `${a.period ?? ""}|${a.by ?? ""}|${window.SiltaI18n.lang}`;
    requestAnimationFrame(() => requestAnimationFrame(() => { $("dashboard-view").dataset.drawn = drawn; }));
  }

  // One dashboard section: definitions, chart, its note, tables. `heads` names the
  // numerator, denominator and value columns in the section's own words.
  function section(chartName, name, records, chart, tables, heads) {
    const ids = [...new Set(records.map((r) => r.indicator))];
    const list = document.createElement("dl");
    const seen = new Set();
    for (const id of ids) {
      const text = F.definition(id);
      if (seen.has(text)) continue;
      seen.add(text);
      list.append(Object.assign(document.createElement("dt"), { textContent: F.name(id) }),
                  Object.assign(document.createElement("dd"), { textContent: text }));
    }
    $(`def-${name}`).querySelector("div").replaceChildren(list);
    const element = $(`chart-${chartName}`);
    const drawn = records.length ? chart() : null;
    element.hidden = !drawn;
    if (drawn) draw(element, drawn);
    $(`note-${chartName}`).textContent = !records.length ? t("dash.empty")
      : drawn.missing.length ? t("dash.not_drawn", { items: drawn.missing.join("; ") }) : "";
    const columns = { numerator: heads[0], denominator: heads[1], value: heads[2] };
    $(`table-${name}`).replaceChildren(
      ...tables.filter(([rows]) => rows.length).map(([rows, fields, caption]) => table(rows, fields, caption, columns)));
  }

  function draw(element, { option, height }) {
    if (height) element.style.height = `${height}px`;
    let chart = charts.get(element.id);
    if (!chart) {
      chart = window.echarts.init(element, null, { renderer: "svg", locale: "EN" });
      charts.set(element.id, chart);
    }
    chart.setOption(option, true);
    if (height) chart.resize();
  }

  const HEADS = { indicator: "col.indicator", group: "col.group", period: "col.period", numerator: "col.numerator",
                  denominator: "col.denominator", value: "col.value", open: "col.open", median: "col.median",
                  median_eur: "col.median", total_eur: "col.total_eur", suppressed: "col.suppressed" };
  const NUMERIC = new Set(["numerator", "denominator", "value", "open", "median", "median_eur", "total_eur"]);

  function table(records, fields, caption, heads) {
    const element = document.createElement("table");
    element.className = "figures";
    if (caption) {
      const period = answer.period ? periodName(answer.period) : t("dash.whole");
      element.createCaption().textContent = t(caption, { period });
    }
    const head = element.createTHead().insertRow();
    for (const field of fields) {
      const th = Object.assign(document.createElement("th"), { scope: "col", textContent: t(heads[field] ?? HEADS[field]) });
      if (NUMERIC.has(field)) th.className = "num";
      head.append(th);
    }
    const body = element.createTBody();
    for (const record of records) {
      const row = body.insertRow();
      row.dataset.indicator = record.indicator;
      row.dataset.group = record.group ?? "";
      row.dataset.period = record.period ?? "";
      for (const field of fields) row.append(cellFor(record, field));
    }
    return element;
  }

  function cellFor(record, field) {
    const cell = document.createElement(field === "indicator" ? "th" : "td");
    cell.dataset.field = field;
    if (field === "indicator") {
      cell.scope = "row";
      cell.textContent = F.name(record.indicator);
    } else if (field === "group") {
      cell.textContent = F.group(record.group);
    } else if (field === "period") {
      cell.textContent = record.period ?? t("dash.whole");
    } else if (field === "suppressed") {
      cell.textContent = F.reasons(record, answer.min_cell);
    } else {
      const shown = F.cell(record, field);
      cell.textContent = shown.text;
      cell.className = shown.suppressed ? "num suppressed" : "num";
    }
    return cell;
  }

  function clear() {
    answer = null;
    asking += 1;
    for (const chart of charts.values()) chart.dispose();
    charts.clear();
    for (const id of ["table-deadlines", "table-outcomes", "table-cross", "table-paths", "table-costs", "table-all"]) {
      $(id).replaceChildren();
    }
    for (const id of ["dash-status", "dash-suppression", "dash-all-title"]) $(id).textContent = "";
    $("dash-content").hidden = true;
    delete $("dashboard-view").dataset.drawn;
    $("dashboard-view").removeAttribute("aria-busy");
  }

  for (const id of ["dash-period", "dash-by"]) {
    $(id).addEventListener("change", () => load().catch((failure) => {
      if (!(failure instanceof api.Unauthorized)) throw failure;
    }));
  }
  window.addEventListener("resize", () => { for (const chart of charts.values()) chart.resize(); });
  window.SiltaI18n.onChange(() => {
    if ($("dashboard-view").hidden) return;
    controls();
    if (answer) render();
    else if (api.dashboardUnavailable) unavailable(api.dashboardUnavailable);
  });
  return { show, clear };
})();
