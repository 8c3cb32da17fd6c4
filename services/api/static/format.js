// How the dashboard writes indicator records: names, groups and numbers in Finnish or
// English. A suppressed field is never a number: `cell()` says so instead.
"use strict";
window.SiltaFormat = (() => {
  const { t } = window.SiltaI18n;
  const api = window.SiltaApi;
  const SERVICE_KIND = "https://silta.fi/fhir/CodeSystem/service-kind";
  const ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
  const lang = () => window.SiltaI18n.lang;
  const locale = () => (lang() === "fi" ? "fi-FI" : "en-GB");
  const texts = () => api.labels.indicators;
  const named = (names) => names?.[lang()] ?? names?.fi;

  const formats = new Map();
  function number(value, options) {
    const key = `${locale()}|${JSON.stringify(options)}`;
    if (!formats.has(key)) formats.set(key, new Intl.NumberFormat(locale(), options));
    return formats.get(key).format(value);
  }

  // What an indicator's value is: a share, a mean change in points, euros or days.
  function unitOf(indicator) {
    if (/^(child-welfare|service-need|cross-sector)\.|^paths\.variant$/.test(indicator)) return "share";
    if (indicator.startsWith("outcome.change.")) return "points";
    if (indicator.startsWith("costs.")) return "eur";
    if (indicator.startsWith("paths.")) return "days";
    return "number";
  }

  function valueText(value, unit) {
    switch (unit) {
      case "share": return number(value, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });
      case "points": return number(value, { signDisplay: "exceptZero", minimumFractionDigits: 2, maximumFractionDigits: 2 });
      case "eur": return number(value, { style: "currency", currency: "EUR", maximumFractionDigits: 0 });
      case "days": return `${number(value, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} ${t("unit.days")}`;
      default: return number(value, {});
    }
  }

  // One field of a record as a table cell's text and whether it was suppressed.
  function cell(record, field) {
    const value = field === "value" ? record.value
      : ["numerator", "denominator", "open"].includes(field) ? record[field] : record.detail?.[field];
    const hidden = field in record.suppressed || (value === null && field === "value"
      && ("numerator" in record.suppressed || "denominator" in record.suppressed));
    if (hidden) return { text: t("suppressed"), suppressed: true };
    if (value === null || value === undefined) return { text: "–", suppressed: false };
    if (field === "value") return { text: valueText(value, unitOf(record.indicator)), suppressed: false };
    if (field.endsWith("_eur")) return { text: valueText(value, "eur"), suppressed: false };
    if (field === "median") return { text: valueText(value, unitOf(record.indicator)), suppressed: false };
    return { text: number(value, {}), suppressed: false };
  }

  // The longest known prefix of an indicator id that `table` names.
  function lookup(table, indicator) {
    for (let id = indicator; id; id = id.includes(".") ? id.slice(0, id.lastIndexOf(".")) : "") {
      if (table[id]) return named(table[id]);
    }
    return undefined;
  }

  const name = (indicator) => named(texts().names[indicator]) ?? lookup(texts().names, indicator) ?? indicator;
  const definition = (indicator) => lookup(texts().definitions, indicator) ?? "";

  function step(text) {
    if (text.startsWith("service:")) {
      const kind = text.slice(8);
      return `${t("step.service")}: ${named(api.labels.codes[SERVICE_KIND]?.[kind]) ?? kind}`;
    }
    if (text.startsWith("health:")) return named(api.labels.codes[ACT_CODE]?.[text.slice(7)]) ?? text;
    return named(api.labels.kinds[text]) ?? text;
  }

  function part(key, value) {
    const values = texts().values;
    if (key === "variant") return named(values[value]) ?? value.split(" > ").map(step).join(" → ");
    if (key === "from" || key === "to") return step(value);
    return named(values[value]) ?? value;
  }

  const dimension = (key) => named(texts().groups[key]) ?? key;

  // `age_band=13-17,assessor=self` -> "Age band 13-17, assessor self"; null: everyone.
  function group(label, { keys = true } = {}) {
    if (label === null || label === undefined) return t("everyone");
    const pairs = label.split(/,(?=[a-z_]+=)/).map((p) => p.split(/=(.*)/s));
    return pairs.map(([key, value]) => (keys && key !== "variant"
      ? `${dimension(key)}: ${part(key, value)}` : part(key, value))).join(", ");
  }

  // The group label without the part named `key` (`assessor=self,age_band=7-12` -> age_band).
  function without(label, key) {
    const rest = (label ?? "").split(/,(?=[a-z_]+=)/).filter((p) => p && !p.startsWith(`${key}=`));
    return rest.length ? rest.join(",") : null;
  }

  function partOf(label, key) {
    const found = (label ?? "").split(/,(?=[a-z_]+=)/).find((p) => p.startsWith(`${key}=`));
    return found ? found.slice(key.length + 1) : null;
  }

  function reasons(record, minCell) {
    return Object.entries(record.suppressed).map(([field, why]) => {
      const kind = why.startsWith("primary") ? t("suppressed.primary", { n: minCell }) : t("suppressed.secondary");
      const known = ["numerator", "denominator", "open", "missed", "without"].includes(field);
      return `${known ? t(`field.${field}`) : field}: ${kind}`;
    }).join("; ");
  }

  const day = (iso) => (iso ? new Date(`${iso}T12:00:00Z`).toLocaleDateString(locale(), { timeZone: "UTC" }) : "–");
  const moment = (iso) => new Date(iso).toLocaleString(locale(), { timeZone: "Europe/Helsinki", dateStyle: "short", timeStyle: "short" });

  return { unitOf, valueText, cell, name, definition, dimension, group, without, partOf, reasons, number, day, moment };
})();
