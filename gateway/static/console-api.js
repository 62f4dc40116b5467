// The console pages' JSON calls (dashboard notices, guide editor): the session cookie
// plus the CSRF token from /api/agent/me, and FastAPI's error detail as one message
// (a validation error names its field). Loaded before the page's own script.
(() => {
  "use strict";
  let csrf = null;

  async function token() {
    if (csrf === null) {
      const me = await fetch("/api/agent/me", { credentials: "same-origin" });
      csrf = me.ok ? (await me.json()).csrf : "";
    }
    return csrf;
  }

  function message(detail) {
    if (!Array.isArray(detail)) return detail;
    return detail.map((d) => (d.loc && d.loc.length > 1 ? `${d.loc[d.loc.length - 1]}: ` : "")
      + d.msg).join("; ");
  }

  async function send(method, path, payload) {
    const res = await fetch(path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": await token() },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    if (!res.ok) {
      const err = await res.json().catch(() => ({}));
      throw new Error(message(err.detail) || res.statusText);
    }
    return res.json();
  }

  window.ddhConsole = { send };
  // another person may sign in on this page (agent.js): their session, their token
  document.addEventListener("ddh:signed-out", () => { csrf = null; });
})();
