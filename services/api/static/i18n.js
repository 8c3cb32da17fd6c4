// Finnish and English labels of the page and the dashboard. Kind, code and indicator
// names come from the API (GET /ui/session), so they are written once, in
// services/api/labels.py and indicator_texts.py.
"use strict";
window.SiltaI18n = (() => {
  const TEXT = {
    fi: {
      skip: "Siirry sisältöön", title: "Aikajana ja mittaristo", logout: "Kirjaudu ulos",
      "nav.label": "Näkymät", "nav.clients": "Asiakkaat", "nav.dashboard": "Mittaristo",
      "login.title": "Kirjaudu",
      "login.help": "Anna kyselyrajapinnan tunniste (bearer token), jolla on oikeus timeline:read. Tunniste säilyy vain tämän välilehden muistissa.",
      "login.token": "Tunniste", "login.submit": "Kirjaudu",
      "login.invalid": "Tunniste ei kelpaa. Yritä uudelleen.",
      "login.scope": "Tunnisteella ei ole oikeutta timeline:read.",
      "login.expired": "Istunto päättyi tai tunniste ei enää kelpaa. Kirjaudu uudelleen.",
      "login.failed": "Palvelu ei vastannut. Yritä hetken päästä uudelleen.",
      "clients.title": "Asiakkaat", "clients.help": "Asiakkaat näkyvät vain pseudonyymeinä. Määrät ovat voimassa olevia kirjauksia.",
      "clients.search": "Hae pseudonyymillä", "clients.pseudonym": "Pseudonyymi",
      "clients.search_help": "Osa pseudonyymiä (0–9, a–f); haku koskee kaikkia asiakkaita.",
      "clients.badsearch": "Pseudonyymissä on vain merkkejä 0–9 ja a–f.",
      "clients.more": "Näytä lisää",
      "clients.total": "Yhteensä", "clients.count": "{shown} / {all} asiakasta",
      "sector.health": "Terveydenhuolto", "sector.social": "Sosiaalihuolto",
      "client.back": "← Asiakkaat", "client.title": "Aikajana", "client.tools": "Aikajanan työkalut",
      "client.history": "Näytä korjatut ja perutut", "client.kinds": "Tapahtumalajit",
      "client.summary": "{shown} / {all} kirjausta näkyvissä: terveydenhuolto {health}, sosiaalihuolto {social}.",
      "client.notfound": "Tällä pseudonyymillä ei ole kirjauksia.",
      "zoom.in": "Lähennä", "zoom.out": "Loitonna", "zoom.fit": "Koko aikajana",
      "period.from": "Alkaen", "period.to": "Päättyen",
      "legend.active": "voimassa", "legend.amended": "korjaus", "legend.superseded": "korvattu",
      "legend.retracted": "peruttu", "legend.keys": "Sarkain ja nuolinäppäimet siirtävät tapahtumasta toiseen.",
      "card.title": "Tapahtuma", "card.empty": "Vie osoitin tai kohdistus tapahtumaan.",
      "card.kind": "Laji", "card.sector": "Sektori", "card.when": "Aika", "card.lane": "Kaista",
      "card.codes": "Koodit", "card.value": "Arvo", "card.status": "Tila",
      "card.record_status": "Lähdetietueen tila", "card.sequence": "Järjestysnumero",
      "status.active": "voimassa", "status.amended": "korjaus", "status.retracted": "peruutus",
      "view.current": "nykyinen", "view.superseded": "korvattu myöhemmällä korjauksella",
      "view.retracted": "peruttu",
      "lane.diagnosis": "Diagnoosit", "lane.observation": "Havainnot", "lane.procedure": "Toimenpiteet",
      "lane.encounter": "Käynnit", "lane.record": "Korjaukset", "lane.none": "Ei palvelutehtävää",
      "band.ongoing": "jatkuu", "yes": "kyllä", "no": "ei",
      "dash.title": "Vaikuttavuuden mittaristo",
      "dash.help": "Anonyymejä koosteita sosiaali- ja terveydenhuollon yhteisestä aikajanasta: samat luvut kuin komento silta evaluate indicators antaa samasta tietovarastosta.",
      "dash.period": "Kausi", "dash.whole": "Koko aikajana", "dash.by": "Ryhmittely", "dash.by_none": "Ei ryhmittelyä",
      "dash.loading": "Lasketaan lukuja…",
      "dash.status": "Tapahtumat {counted} asti · {entries} voimassa olevaa kirjausta, tapahtumapäivät {first}–{last} · laskettu {computed}",
      "dash.suppression": "Luvut ovat anonyymejä (toisiolaki 552/2019): alle {n} henkilön solut ja solut, jotka voisi päätellä summista, on salattu. Ne näkyvät merkinnällä ”salattu”, eivät koskaan lukuna.",
      "dash.unavailable": "Mittaristo ei ole käytettävissä: {reason}",
      "dash.failed": "Lukujen laskeminen epäonnistui. Yritä hetken päästä uudelleen.",
      "dash.definition": "Määritelmä", "dash.deadlines": "Lakisääteiset määräajat",
      "dash.trend": "Määräajassa käsiteltyjen osuus THL:n puolivuosittain (enintään kuusi viimeisintä), kaikki asiakkaat",
      "dash.in_period": "Valittu kausi: {period}",
      "dash.statutory": "Laki: kaikki määräajassa (100 %)", "dash.thl": "THL, koko maa 1.4.–30.9.2023: {share}",
      "dash.outcomes": "Mittarin muutos arvioijan mukaan", "dash.cross": "Terveystapahtumat sosiaalihuollon asiakkailla",
      "dash.paths": "Yleisimmät palvelupolut", "dash.costs": "Arvioidut kustannukset",
      "dash.all": "Kaikki luvut taulukkona ({n} riviä)", "dash.before": "12 kk ennen asiakkuutta",
      "dash.during": "asiakkuuden aikana", "dash.empty": "Ei tapauksia tällä kaudella.",
      "dash.not_drawn": "Salattu, ei piirretty: {items}.",
      "col.indicator": "Mittari", "col.group": "Ryhmä", "col.numerator": "Osoittaja", "col.denominator": "Nimittäjä",
      "col.value": "Arvo", "col.open": "Avoinna", "col.suppressed": "Salattu", "col.period": "Kausi",
      "col.met": "Määräajassa", "col.cases": "Ratkaistuja tapauksia", "col.share": "Osuus",
      "col.improved": "Parani", "col.measured": "Mitattuja asiakkuuksia", "col.mean_change": "Keskimuutos",
      "col.median": "Mediaani", "col.clients": "Asiakkaita", "col.of": "Kaikista", "col.mean_eur": "Keskiarvo",
      "col.total_eur": "Yhteensä", "col.path": "Polku",
      everyone: "Kaikki", suppressed: "salattu", "suppressed.primary": "alle {n} henkilöä",
      "suppressed.secondary": "pääteltävissä summista", "unit.days": "vrk", "unit.points": "pistettä",
      "unit.share": "osuus, %", "unit.clients": "asiakkaita", "unit.eur": "euroa",
      "field.numerator": "osoittaja", "field.denominator": "nimittäjä", "field.open": "avoimet",
      "field.missed": "myöhässä", "field.without": "ilman", "step.service": "palvelu",
      "cross.psychiatric": "Psykiatrinen diagnoosi", "cross.substance-use": "Päihdediagnoosi", "cross.emergency": "Päivystyskäynti",
      "chart.trend": "Viivakaavio: määräajassa käsiteltyjen osuus puolivuosittain. Luvut ovat kaavion alla taulukossa.",
      "chart.outcomes": "Pylväskaavio: mittarin keskimuutos arvioijan mukaan. Luvut ovat kaavion alla taulukossa.",
      "chart.cross": "Pylväskaavio: terveystapahtumien osuus sosiaalihuollon asiakkailla ennen asiakkuutta ja sen aikana. Luvut ovat kaavion alla taulukossa.",
      "chart.paths": "Pylväskaavio: yleisimpien palvelupolkujen asiakasmäärät. Luvut ovat kaavion alla taulukossa.",
      "chart.costs": "Pylväskaavio: arvioitu keskimääräinen kustannus. Luvut ovat kaavion alla taulukossa.",
    },
    en: {
      skip: "Skip to content", title: "Timeline and dashboard", logout: "Log out",
      "nav.label": "Views", "nav.clients": "Clients", "nav.dashboard": "Dashboard",
      "login.title": "Log in",
      "login.help": "Enter a query API token (bearer token) with the timeline:read scope. It is kept only in this tab's memory.",
      "login.token": "Token", "login.submit": "Log in",
      "login.invalid": "The token is not valid. Try again.",
      "login.scope": "The token does not grant timeline:read.",
      "login.expired": "The session ended or the token is no longer valid. Log in again.",
      "login.failed": "The service did not answer. Try again shortly.",
      "clients.title": "Clients", "clients.help": "Clients are shown by pseudonym only. Counts are current entries.",
      "clients.search": "Search by pseudonym", "clients.pseudonym": "Pseudonym",
      "clients.search_help": "Part of a pseudonym (0–9, a–f); the search covers every client.",
      "clients.badsearch": "A pseudonym holds only the characters 0–9 and a–f.",
      "clients.more": "Show more",
      "clients.total": "Total", "clients.count": "{shown} of {all} clients",
      "sector.health": "Health care", "sector.social": "Social care",
      "client.back": "← Clients", "client.title": "Timeline", "client.tools": "Timeline tools",
      "client.history": "Show amended and retracted", "client.kinds": "Entry kinds",
      "client.summary": "{shown} of {all} entries shown: health care {health}, social care {social}.",
      "client.notfound": "No entries for this pseudonym.",
      "zoom.in": "Zoom in", "zoom.out": "Zoom out", "zoom.fit": "Whole timeline",
      "period.from": "From", "period.to": "To",
      "legend.active": "current", "legend.amended": "amendment", "legend.superseded": "superseded",
      "legend.retracted": "retracted", "legend.keys": "Tab and the arrow keys move from entry to entry.",
      "card.title": "Entry", "card.empty": "Hover over or focus an entry.",
      "card.kind": "Kind", "card.sector": "Sector", "card.when": "When", "card.lane": "Lane",
      "card.codes": "Codes", "card.value": "Value", "card.status": "Status",
      "card.record_status": "Source record status", "card.sequence": "Sequence",
      "status.active": "active", "status.amended": "amendment", "status.retracted": "retraction",
      "view.current": "current", "view.superseded": "superseded by a later amendment",
      "view.retracted": "retracted",
      "lane.diagnosis": "Diagnoses", "lane.observation": "Observations", "lane.procedure": "Procedures",
      "lane.encounter": "Encounters", "lane.record": "Corrections", "lane.none": "No service task",
      "band.ongoing": "ongoing", "yes": "yes", "no": "no",
      "dash.title": "Outcome indicator dashboard",
      "dash.help": "Anonymous aggregates of the joint social and health care timeline: the same numbers silta evaluate indicators gives for the same store.",
      "dash.period": "Period", "dash.whole": "Whole timeline", "dash.by": "Grouping", "dash.by_none": "No grouping",
      "dash.loading": "Computing the figures…",
      "dash.status": "Events up to {counted} · {entries} current entries, event days {first}–{last} · computed {computed}",
      "dash.suppression": "The figures are anonymous (Toisiolaki 552/2019): cells counting fewer than {n} individuals, and cells that could be worked out from the totals, are suppressed. They show as “suppressed”, never as a number.",
      "dash.unavailable": "The dashboard is unavailable: {reason}",
      "dash.failed": "Computing the figures failed. Try again shortly.",
      "dash.definition": "Definition", "dash.deadlines": "Statutory deadlines",
      "dash.trend": "Share within the deadline by THL half-year (the latest six at most), all clients",
      "dash.in_period": "Chosen period: {period}",
      "dash.statutory": "The law: all within the deadline (100%)", "dash.thl": "THL, all Finland 1.4.–30.9.2023: {share}",
      "dash.outcomes": "Outcome change by assessor", "dash.cross": "Health events of social-care clients",
      "dash.paths": "Most common service paths", "dash.costs": "Estimated costs",
      "dash.all": "All figures as a table ({n} rows)", "dash.before": "12 months before the episode",
      "dash.during": "during the episode", "dash.empty": "No cases in this period.",
      "dash.not_drawn": "Suppressed, not drawn: {items}.",
      "col.indicator": "Indicator", "col.group": "Group", "col.numerator": "Numerator", "col.denominator": "Denominator",
      "col.value": "Value", "col.open": "Open", "col.suppressed": "Suppressed", "col.period": "Period",
      "col.met": "Met", "col.cases": "Decided cases", "col.share": "Share",
      "col.improved": "Improved", "col.measured": "Episodes measured", "col.mean_change": "Mean change",
      "col.median": "Median", "col.clients": "Clients", "col.of": "Of all", "col.mean_eur": "Mean",
      "col.total_eur": "Total", "col.path": "Path",
      everyone: "Everyone", suppressed: "suppressed", "suppressed.primary": "fewer than {n} individuals",
      "suppressed.secondary": "could be worked out from the totals", "unit.days": "days", "unit.points": "points",
      "unit.share": "share, %", "unit.clients": "clients", "unit.eur": "euros",
      "field.numerator": "numerator", "field.denominator": "denominator", "field.open": "open",
      "field.missed": "missed", "field.without": "without", "step.service": "service",
      "cross.psychiatric": "Psychiatric diagnosis", "cross.substance-use": "Substance-use diagnosis", "cross.emergency": "Emergency visit",
      "chart.trend": "Line chart: share within the deadline by half-year. The figures are in the table below the chart.",
      "chart.outcomes": "Bar chart: mean change of the outcome measure by assessor. The figures are in the table below the chart.",
      "chart.cross": "Bar chart: share of social-care clients with health events before and during the episode. The figures are in the table below the chart.",
      "chart.paths": "Bar chart: clients on the most common service paths. The figures are in the table below the chart.",
      "chart.costs": "Bar chart: estimated mean cost. The figures are in the table below the chart.",
    },
  };
  let lang = sessionStorage.getItem("silta.lang") === "en" ? "en" : "fi";

  function t(key, values) {
    const text = TEXT[lang][key] ?? TEXT.fi[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => String(values?.[name] ?? ""));
  }

  function apply(root) {
    document.documentElement.lang = lang;
    for (const element of root.querySelectorAll("[data-i18n]")) {
      element.textContent = t(element.dataset.i18n);
    }
    const button = document.getElementById("lang");
    button.textContent = lang === "fi" ? "English" : "Suomeksi";
    button.lang = lang === "fi" ? "en" : "fi";
    document.title = `Silta · ${t("title")}`;
  }

  const listeners = [];
  function toggle() {
    lang = lang === "fi" ? "en" : "fi";
    sessionStorage.setItem("silta.lang", lang);
    apply(document);
    for (const listener of listeners) listener(lang);
  }

  return { t, apply, toggle, onChange: (f) => listeners.push(f), get lang() { return lang; } };
})();
