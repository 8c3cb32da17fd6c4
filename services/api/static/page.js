// The client list, one client's swimlane, and the routes (the dashboard is dashboard.js).
// Loaded by login.js after a token was accepted; draws with vis-timeline (static/vendor),
// reads through window.SiltaApi. Times are Helsinki's, whatever the browser's zone.
"use strict";
(() => {
  const { t } = window.SiltaI18n;
  const api = window.SiltaApi;
  const ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
  const SECTORS = ["health", "social"];
  // A band runs from the entry that opens a record to the one that closes it (same source
  // record, so the same opaque source_ref).
  const OPENS = new Set(["started", "opened"]);
  const CLOSES = new Set(["finished", "closed", "ended", "completed"]);
  const FIRST_WINDOW = 500;
  const CLIENT_PAGE = 100;
  const VIS_LOCALES = {  // vis-timeline's own few words; its axis names months by moment
    en: { current: "current", time: "time", deleteSelected: "Delete selected" },
    fi: { current: "nykyinen", time: "aika", deleteSelected: "Poista valitut" },
  };
  const $ = (id) => document.getElementById(id);

  const lang = () => window.SiltaI18n.lang;
  const named = (names) => names?.[lang()] ?? names?.fi;
  const kindName = (kind) => named(api.labels.kinds[kind]) ?? kind;
  const codeName = (code) => named(api.labels.codes[code.system]?.[code.code]);
  const systemName = (system) => api.labels.systems[system] ?? system;
  const ZONE = "Europe/Helsinki";
  const formats = {};
  const when = (iso) => (formats[lang()] ??= new Intl.DateTimeFormat(lang() === "fi" ? "fi-FI" : "en-GB", {
    dateStyle: "medium", timeStyle: "short", timeZone: ZONE,
  })).format(new Date(iso));
  // The Helsinki calendar day of an instant, as the date inputs write it (YYYY-MM-DD).
  const dayFormat = new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit" });
  const helsinkiDay = (iso) => dayFormat.format(new Date(iso));
  // The time axis in Helsinki time too: vis-timeline draws through moment, given a zone
  // by moment-timezone (static/vendor, with Helsinki's data only).
  const helsinkiMoment = (date) => window.moment(date).tz(ZONE);

  const VIEWS = { "clients-view": "clients", "client-view": "clients", "dashboard-view": "dashboard" };
  function show(id) {
    for (const view of Object.keys(VIEWS)) $(view).hidden = view !== id;
    for (const link of document.querySelectorAll("#views a")) {
      if (link.dataset.view === VIEWS[id]) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }

  // --- the client list: searched and paged by the API -----------------------------------
  let clients = [];
  let matched = 0;
  let nextCursor = null;
  let searching = 0;  // the latest search; answers to earlier ones are dropped

  async function clientList() {
    await api.view("clients");
    show("clients-view");
    await searchClients(false);
  }

  async function searchClients(more) {
    const search = $("client-search").value.trim().toLowerCase();
    const mine = ++searching;
    if (!/^[0-9a-f]{0,32}$/.test(search)) {  // a pseudonym is hex: nothing else is sent
      clients = [];
      matched = 0;
      nextCursor = null;
      renderClients("clients.badsearch");
      return;
    }
    const response = await api.get("/clients", { limit: CLIENT_PAGE, search: search || undefined,
                                                 cursor: more ? nextCursor : undefined });
    if (!response.ok) throw new Error(`clients ${response.status}`);
    const page = await response.json();
    if (mine !== searching) return;
    clients = more ? clients.concat(page.clients) : page.clients;
    matched = page.matched;
    nextCursor = page.next_cursor ?? null;
    renderClients();
  }

  let typing = null;
  function searchSoon() {
    clearTimeout(typing);
    typing = setTimeout(() => searchClients(false).catch(ignoreUnauthorized), 250);
  }

  function renderClients(problem) {
    const body = $("clients-table").tBodies[0];
    body.replaceChildren(...clients.map((c) => {
      const row = document.createElement("tr");
      const link = Object.assign(document.createElement("a"), { href: `#client/${c.client}` });
      link.append(Object.assign(document.createElement("code"), { textContent: c.client }));
      const cell = document.createElement("td");
      cell.append(link);
      row.append(cell, ...[c.health, c.social, c.total].map((n) =>
        Object.assign(document.createElement("td"), { className: "num", textContent: n })));
      return row;
    }));
    $("clients-count").textContent = problem ? t(problem) : t("clients.count", { shown: clients.length, all: matched });
    $("clients-more").hidden = !nextCursor;
  }

  // --- one client --------------------------------------------------------------------
  let timeline = null;
  let entries = [];
  let byId = new Map();  // entry_id -> entry, of the client shown
  let days = new Map();  // entry_id -> its Helsinki day, YYYY-MM-DD
  let marks = [];  // the marks on screen, in time order: arrow keys walk this

  async function fetchTimeline(pseudonym) {
    const all = [];
    const params = { include_history: "true", limit: 500 };
    for (;;) {
      const response = await api.get(`/clients/${pseudonym}/timeline`, params);
      if (response.status === 404) return null;
      if (!response.ok) throw new Error(`timeline ${response.status}`);
      const page = await response.json();
      all.push(...page.entries);
      if (!page.next_cursor) return all;
      params.cursor = page.next_cursor;
    }
  }

  async function clientView(pseudonym) {
    await api.view("client", pseudonym);
    show("client-view");
    $("client-pseudonym").textContent = pseudonym;
    entries = [];
    byId = new Map();
    timeline?.destroy();  // never show the previous client while this one loads
    timeline = null;
    delete $("timeline").dataset.drawn;
    $("client-summary").textContent = "";
    $("kind-options").replaceChildren();
    const found = await fetchTimeline(pseudonym);
    entries = found ?? [];
    byId = new Map(entries.map((e) => [e.entry_id, e]));
    days = new Map(entries.map((e) => [e.entry_id, helsinkiDay(e.occurred_at)]));
    if (!found) $("client-summary").textContent = t("client.notfound");
    kindOptions();
    draw(true);
  }

  function laneOf(entry) {
    const corrected = entry.corrects && byId.get(entry.corrects);
    if (entry.sector === "health") {
      const encounterClass = entry.codes.find((c) => c.system === ACT_CODE);
      if (encounterClass) return `health|${ACT_CODE}|${encounterClass.code}`;
      if (corrected) return laneOf(corrected);
      return `health|lane|${entry.kind.split(".")[0]}`;
    }
    if (entry.service_task) return `social|${entry.service_task.system}|${entry.service_task.code}`;
    if (corrected) return laneOf(corrected);
    return "social|lane|none";
  }

  function laneName(lane) {
    const [, system, code] = lane.split("|");
    if (system === "lane") return t(`lane.${code}`);
    return codeName({ system, code }) ?? `${systemName(system)} ${code}`;
  }

  function selected() {
    const kinds = new Set([...document.querySelectorAll("#kind-options input:checked")].map((i) => i.value));
    const from = $("period-from").value;
    const to = $("period-to").value;
    const history = $("show-history").checked;
    return entries.filter((e) => kinds.has(e.kind) && (history || e.view === "current")
      && (!from || days.get(e.entry_id) >= from) && (!to || days.get(e.entry_id) <= to));
  }

  // Kind checkboxes with counts; a kind unchecked stays unchecked when the labels change.
  function kindOptions() {
    const off = new Set([...document.querySelectorAll("#kind-options input:not(:checked)")].map((i) => i.value));
    const counts = new Map();
    for (const e of entries) counts.set(e.kind, (counts.get(e.kind) ?? 0) + 1);
    $("kind-options").replaceChildren(...[...counts].sort().map(([kind, count]) => {
      const label = Object.assign(document.createElement("label"), { className: "check" });
      const box = Object.assign(document.createElement("input"), { type: "checkbox", value: kind, checked: !off.has(kind) });
      box.addEventListener("change", () => draw(false));
      label.append(box, ` ${kindName(kind)} (${count})`);
      return label;
    }));
  }

  function markClass(entry) {
    const classes = ["entry", "mark", `mark-${entry.sector}`];
    if (entry.status !== "active") classes.push(`mark-${entry.status}`);
    if (entry.view !== "current") classes.push(`view-${entry.view}`);
    return classes.join(" ");
  }

  function markLabel(entry) {
    const parts = [kindName(entry.kind), when(entry.occurred_at), t(`status.${entry.status}`)];
    if (entry.view !== "current") parts.push(t(`view.${entry.view}`));
    return parts.join(", ");
  }

  function bands(shown) {
    const records = new Map();
    for (const e of shown) {
      if (e.status === "retracted") continue;
      const [subject, action] = e.kind.split(".");
      if (!OPENS.has(action) && !CLOSES.has(action)) continue;
      const key = `${e.source_ref}|${subject}`;
      const record = records.get(key) ?? { sector: e.sector, open: null, close: null };
      if (OPENS.has(action) && (!record.open || e.occurred_at < record.open.occurred_at)) record.open = e;
      if (CLOSES.has(action) && (!record.close || e.occurred_at > record.close.occurred_at)) record.close = e;
      records.set(key, record);
    }
    const last = shown.reduce((m, e) => (e.occurred_at > m ? e.occurred_at : m), "");
    const out = [];
    for (const [key, r] of records) {
      if (!r.open) continue;
      const end = r.close?.occurred_at ?? last;
      if (end <= r.open.occurred_at) continue;
      const lane = laneOf(r.open);
      const name = laneName(lane);
      out.push({
        id: `band|${key}`, type: "background", group: lane,
        start: r.open.occurred_at, end, className: `band band-${r.sector}${r.open.view !== "current" ? " band-history" : ""}`,
        content: r.close ? name : `${name} (${t("band.ongoing")})`,
      });
    }
    return out;
  }

  function draw(fit) {
    const shown = selected();
    const lanes = new Map();
    for (const e of shown) lanes.set(laneOf(e), e.sector);
    const counts = { health: 0, social: 0 };
    for (const e of shown) counts[e.sector] += 1;
    const groups = [];
    for (const sector of SECTORS) {
      const children = [...lanes].filter(([, s]) => s === sector).map(([lane]) => lane).sort();
      groups.push({ id: sector, content: `${t(`sector.${sector}`)} (${counts[sector]})`, className: `lane lane-${sector}`,
                    nestedGroups: children.length ? children : undefined, showNested: true, treeLevel: 1 });
      for (const lane of children) groups.push({ id: lane, content: laneName(lane), className: `sublane sublane-${sector}`, treeLevel: 2 });
    }
    // Marks are vis-timeline's own item elements, made focusable once drawn (focusable()):
    // a template element per item costs ten times more to draw with thousands of entries.
    const items = shown.map((e) => ({
      id: e.entry_id, type: "point", group: laneOf(e), start: e.occurred_at,
      className: markClass(e), sector: e.sector, status: e.status, view: e.view,
      content: e.status === "retracted" ? "✕" : e.status === "amended" ? "✎" : "",
    }));
    items.push(...bands(shown));
    marks = [...shown].sort((a, b) => (a.occurred_at < b.occurred_at ? -1 : a.occurred_at > b.occurred_at ? 1 : a.sequence - b.sequence));
    $("client-summary").textContent = entries.length ? t("client.summary", {
      shown: shown.length, all: entries.length, health: counts.health, social: counts.social }) : t("client.notfound");

    const options = {
      locale: lang(), locales: VIS_LOCALES, moment: helsinkiMoment,
      stack: false, zoomKey: "ctrlKey", horizontalScroll: false, verticalScroll: false,
      zoomMin: 60 * 60 * 1000, zoomMax: 30 * 365 * 24 * 3600 * 1000, orientation: "top",
      groupOrder: (a, b) => SECTORS.indexOf(a.id) - SECTORS.indexOf(b.id) || String(a.id).localeCompare(String(b.id)),
      dataAttributes: ["id", "sector", "status", "view"],
    };
    // A new timeline for every drawing: vis-timeline updates thousands of items in place
    // far slower than it draws them afresh.
    const range = timeline && !fit ? timeline.getWindow() : latest();
    timeline?.destroy();
    // The window is set before the first redraw (vis-timeline draws on the next frame).
    // Not in the options: given a start there, it stays hidden until the range changes.
    timeline = new window.vis.Timeline($("timeline"), items, groups, options);
    if (range.start) timeline.setWindow(range.start, range.end, { animation: false });
    timeline.on("itemover", (props) => card(props.item));
    timeline.on("select", (props) => card(props.items[0]));
    timeline.on("changed", focusable);
    // Says which client is drawn once its first redraw is done (the browser tests and
    // bench.page wait for it).
    const drawn = $("client-pseudonym").textContent;
    timeline.once("changed", () => { $("timeline").dataset.drawn = drawn; });
  }

  // The whole timeline with a margin, so that the first and last marks are not cut.
  function whole(from = entries) {
    const times = from.map((e) => Date.parse(e.occurred_at));
    if (!times.length) return {};
    const first = Math.min(...times);
    const last = Math.max(...times);
    const margin = Math.max((last - first) * 0.04, 12 * 3600 * 1000);
    return { start: first - margin, end: last + margin };
  }

  // Drawing thousands of marks at once takes seconds (bench.page): a long timeline opens
  // on its latest FIRST_WINDOW entries; "whole timeline" or zooming out shows the rest.
  function latest() {
    return whole(marks.length > FIRST_WINDOW ? marks.slice(-FIRST_WINDOW) : marks);
  }

  // After every redraw (also each pan step): only marks new to the screen, or drawn in
  // the other language, get their attributes.
  function focusable() {
    for (const mark of $("timeline").querySelectorAll(`.vis-point.mark:not([data-lang="${lang()}"])`)) {
      const entry = byId.get(mark.dataset.id);
      if (!entry) continue;
      mark.dataset.lang = lang();
      mark.tabIndex = 0;
      mark.setAttribute("role", "button");
      mark.setAttribute("aria-label", markLabel(entry));
    }
  }

  function card(id) {
    const entry = byId.get(id);
    if (!entry) return;
    const rows = [
      ["card.kind", kindName(entry.kind)],
      ["card.sector", t(`sector.${entry.sector}`)],
      ["card.lane", laneName(laneOf(entry))],
      ["card.when", when(entry.occurred_at)],
      ["card.status", `${t(`status.${entry.status}`)} · ${t(`view.${entry.view}`)}`],
      ["card.codes", entry.codes.map((c) => {
        const name = codeName(c);
        return `${systemName(c.system)} ${c.code}${name ? ` (${name})` : ""}`;
      }).join("; ") || "–"],
      ["card.value", valueText(entry.value)],
      ["card.record_status", entry.record_status ?? "–"],
      ["card.sequence", String(entry.sequence)],
    ];
    const body = $("card-body");
    body.replaceChildren(...rows.flatMap(([key, text]) => [
      Object.assign(document.createElement("dt"), { textContent: t(key) }),
      Object.assign(document.createElement("dd"), { textContent: text }),
    ]));
    body.hidden = false;
    body.dataset.id = entry.entry_id;
    // Struck through: a record that a later entry withdrew or replaced (not the retraction).
    body.className = entry.view === "current" || entry.status === "retracted" ? "" : `card-${entry.view}`;
    $("card-empty").hidden = true;
  }

  function valueText(value) {
    if (!value) return "–";
    if (value.number !== undefined && value.number !== null) return `${value.number}${value.unit ? ` ${value.unit}` : ""}`;
    if (value.code) {
      const name = codeName(value.code);
      return `${systemName(value.code.system)} ${value.code.code}${name ? ` (${name})` : ""}`;
    }
    if (value.boolean !== undefined && value.boolean !== null) return t(value.boolean ? "yes" : "no");
    return "–";
  }

  // Arrow keys walk the marks in time order, moving the window along when needed.
  function step(from, by) {
    const index = marks.findIndex((e) => e.entry_id === from);
    const next = marks[index + by];
    if (!next) return;
    const range = timeline.getWindow();
    const at = new Date(next.occurred_at);
    if (at < range.start || at > range.end) timeline.moveTo(at, { animation: false });
    const focus = (tries) => {
      const mark = $("timeline").querySelector(`.vis-point.mark[data-id="${next.entry_id}"]`);
      if (mark) mark.focus();
      else if (tries > 0) requestAnimationFrame(() => focus(tries - 1));
    };
    focus(10);
  }

  $("timeline").addEventListener("focusin", (event) => {
    const mark = event.target.closest(".mark");
    if (mark) card(mark.dataset.id);
  });
  $("timeline").addEventListener("keydown", (event) => {
    const mark = event.target.closest(".mark");
    if (!mark) return;
    if (event.key === "ArrowRight" || event.key === "ArrowDown") { step(mark.dataset.id, 1); event.preventDefault(); }
    if (event.key === "ArrowLeft" || event.key === "ArrowUp") { step(mark.dataset.id, -1); event.preventDefault(); }
    if (event.key === "Enter" || event.key === " ") { timeline.setSelection([mark.dataset.id]); card(mark.dataset.id); event.preventDefault(); }
  });
  $("zoom-in").addEventListener("click", () => timeline?.zoomIn(0.5, { animation: false }));
  $("zoom-out").addEventListener("click", () => timeline?.zoomOut(0.5, { animation: false }));
  $("zoom-fit").addEventListener("click", () => {
    const { start, end } = whole();
    if (timeline && start) timeline.setWindow(start, end, { animation: false });
  });
  for (const id of ["show-history", "period-from", "period-to"]) $(id).addEventListener("change", () => draw(false));
  $("client-search").addEventListener("input", searchSoon);
  $("clients-more").addEventListener("click", () => searchClients(true).catch(ignoreUnauthorized));

  // --- routes: #clients, #client/<pseudonym> (a pseudonym, never an identity code) and
  // #dashboard
  const PSEUDONYM = /^#client\/([0-9a-f]{32})$/;
  async function dashboard() {
    await api.scripts(["vendor/echarts.common.min.js", "format.js", "charts.js", "dashboard.js"]);
    show("dashboard-view");
    await window.SiltaDashboard.show();
  }

  function ignoreUnauthorized(failure) {
    if (!(failure instanceof api.Unauthorized)) throw failure;
  }

  async function route() {
    const match = PSEUDONYM.exec(location.hash);
    try {
      if (match) await clientView(match[1]);
      else if (location.hash === "#dashboard") await dashboard();
      else await clientList();
    } catch (failure) {
      ignoreUnauthorized(failure);
    }
  }
  window.addEventListener("hashchange", route);
  // On logout nothing of what was read stays in the page.
  function clear() {
    timeline?.destroy();
    timeline = null;
    delete $("timeline").dataset.drawn;
    entries = [];
    byId = new Map();
    days = new Map();
    marks = [];
    clients = [];
    nextCursor = null;
    $("client-search").value = "";
    $("clients-more").hidden = true;
    $("clients-table").tBodies[0].replaceChildren();
    $("kind-options").replaceChildren();
    for (const id of ["client-pseudonym", "client-summary", "clients-count"]) $(id).textContent = "";
    $("card-body").replaceChildren();
    $("card-body").hidden = true;
    $("card-empty").hidden = false;
  }
  window.SiltaPage = { route, clear };
  window.SiltaI18n.onChange(() => {
    if (!$("client-view").hidden) {
      kindOptions();
      draw(false);
      if (!$("card-body").hidden) card($("card-body").dataset.id);
    } else if (!$("clients-view").hidden) {
      renderClients();
    }
  });
})();
