// Finnish and English labels of the page. Kind and code names come from the API
// (GET /ui/session), so they are written once, in services/api/labels.py.
"use strict";
window.SiltaI18n = (() => {
  const TEXT = {
    fi: {
      skip: "Siirry sisältöön", title: "Asiakkaan aikajana", logout: "Kirjaudu ulos",
      "login.title": "Kirjaudu",
      "login.help": "Anna kyselyrajapinnan tunniste (bearer token), jolla on oikeus timeline:read. Tunniste säilyy vain tämän välilehden muistissa.",
      "login.token": "Tunniste", "login.submit": "Kirjaudu",
      "login.invalid": "Tunniste ei kelpaa. Yritä uudelleen.",
      "login.scope": "Tunnisteella ei ole oikeutta timeline:read.",
      "login.expired": "Istunto päättyi tai tunniste ei enää kelpaa. Kirjaudu uudelleen.",
      "login.failed": "Palvelu ei vastannut. Yritä hetken päästä uudelleen.",
      "clients.title": "Asiakkaat", "clients.help": "Asiakkaat näkyvät vain pseudonyymeinä. Määrät ovat voimassa olevia kirjauksia.",
      "clients.search": "Hae pseudonyymillä", "clients.pseudonym": "Pseudonyymi",
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
    },
    en: {
      skip: "Skip to content", title: "Client timeline", logout: "Log out",
      "login.title": "Log in",
      "login.help": "Enter a query API token (bearer token) with the timeline:read scope. It is kept only in this tab's memory.",
      "login.token": "Token", "login.submit": "Log in",
      "login.invalid": "The token is not valid. Try again.",
      "login.scope": "The token does not grant timeline:read.",
      "login.expired": "The session ended or the token is no longer valid. Log in again.",
      "login.failed": "The service did not answer. Try again shortly.",
      "clients.title": "Clients", "clients.help": "Clients are shown by pseudonym only. Counts are current entries.",
      "clients.search": "Search by pseudonym", "clients.pseudonym": "Pseudonym",
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
