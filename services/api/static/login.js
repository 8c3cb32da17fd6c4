// Login and the API client. The token lives in this tab's sessionStorage and in request
// headers only: never in a URL, a cookie or a log. Until a token is accepted nothing but
// the login form is loaded; the timeline library and page.js come after, the charting
// library and dashboard.js when the dashboard is first opened.
"use strict";
(() => {
  const KEY = "silta.token";
  const { t } = window.SiltaI18n;
  const form = document.getElementById("login");
  const input = document.getElementById("token");
  const error = document.getElementById("login-error");
  let session = null;

  class Unauthorized extends Error {}

  async function get(path, params = {}) {
    const token = sessionStorage.getItem(KEY);
    if (!token) throw new Unauthorized("no token");
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      for (const one of [].concat(value)) if (one !== undefined && one !== null) query.append(name, one);
    }
    const url = query.size ? `${path}?${query}` : path;
    const response = await fetch(url, {
      headers: { Authorization: `Bearer ${token}` }, cache: "no-store", credentials: "omit",
    });
    if (response.status === 401 || response.status === 403) {
      logout(response.status === 403 ? "login.scope" : "login.expired");
      throw new Unauthorized(String(response.status));
    }
    return response;
  }

  // Every view the page shows is a read of its own, audited by the API.
  async function view(name, client) {
    const response = await get("/ui/session", { view: name, client });
    if (!response.ok) throw new Error(`session ${response.status}`);
    session = await response.json();
    return session.labels;
  }

  function showLogin(message) {
    for (const id of ["clients-view", "client-view", "dashboard-view", "views", "logout"]) {
      document.getElementById(id).hidden = true;
    }
    form.hidden = false;
    error.hidden = !message;
    error.textContent = message ? t(message) : "";
    input.focus();
  }

  function logout(message) {
    sessionStorage.removeItem(KEY);
    window.SiltaPage?.clear();
    window.SiltaDashboard?.clear();
    showLogin(message);
  }

  function load(tag, attributes) {
    return new Promise((resolve, reject) => {
      const element = Object.assign(document.createElement(tag), attributes);
      element.onload = resolve;
      element.onerror = () => reject(new Error(`could not load ${attributes.src || attributes.href}`));
      document.head.append(element);
    });
  }

  // Each file once, in order: each one needs the globals of the ones before it.
  const loaded = new Map();
  function scripts(names) {
    return names.reduce((before, src) => before.then(() => {
      if (!loaded.has(src)) loaded.set(src, load("script", { src: `static/${src}` }));
      return loaded.get(src);
    }), Promise.resolve());
  }

  let started = null;
  function start() {
    form.hidden = true;
    document.getElementById("logout").hidden = false;
    document.getElementById("views").hidden = false;
    started ??= Promise.all([
      load("link", { rel: "stylesheet", href: "static/vendor/vis-timeline-graph2d.min.css" }),
      scripts(["vendor/moment.min.js", "vendor/moment-locale-fi.js", "vendor/moment-timezone.min.js",
               "vendor/moment-timezone-helsinki.js", "vendor/vis-data.min.js",
               "vendor/vis-timeline-graph2d.min.js", "page.js"]),
    ]);
    return started;
  }

  async function login(token) {
    sessionStorage.setItem(KEY, token);
    try {
      await view("login");
    } catch (failure) {
      if (failure instanceof Unauthorized) {
        logout(failure.message === "403" ? "login.scope" : "login.invalid");
      } else {
        logout("login.failed");
      }
      return;
    }
    await start();
    await window.SiltaPage.route();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const token = input.value.trim();
    input.value = "";
    if (token) login(token);
  });
  document.getElementById("logout").addEventListener("click", () => logout());
  document.getElementById("lang").addEventListener("click", () => window.SiltaI18n.toggle());

  window.SiltaApi = {
    get, view, scripts, Unauthorized,
    get labels() { return session?.labels; },
    get dashboardUnavailable() { return session?.dashboard_unavailable; },
  };
  window.SiltaI18n.apply(document);
  if (sessionStorage.getItem(KEY)) login(sessionStorage.getItem(KEY));
  else showLogin();
})();
