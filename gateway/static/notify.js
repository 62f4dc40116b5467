// The agent console gets attention when a citizen needs it: for a new offer or a new
// citizen in the queue, a short beep (Web Audio, no sound file) and — only while the tab
// is hidden — a desktop notification when the agent allowed them (asked on their first
// click or key press after signing in, as browsers require a user gesture). The tab's
// title counts what waits: citizens in the agent's queue and unread messages in their
// conversations, "(2) Agentkonsol – Den Digitale Hotline".
(() => {
  "use strict";
  const TITLE = document.title;
  const seen = window.ddhNotify = { beeps: 0, notifications: [] };  // for tests
  const known = new Set();  // queue entries and offers already announced
  let first = true;  // the queue as it was at sign-in is no news
  let waiting = 0;
  let asked = false;

  function beep() {
    seen.beeps += 1;  // counted even where the browser plays no sound: the title still counts
    window.ddhSound.beep({ frequency: 660, seconds: 0.25, volume: 0.1 });
  }

  function desktop(title, body, tag) {
    if (!document.hidden || !("Notification" in window) || Notification.permission !== "granted") return;
    try {
      const n = new Notification(title, { body, tag, lang: "da" });
      n.onclick = () => { window.focus(); n.close(); };
      seen.notifications.push({ title, body, tag });
    } catch (err) { /* some browsers allow them only from a service worker */ }
  }

  function alert(id, title, body) {
    if (known.has(id)) return;
    known.add(id);
    beep();
    desktop(title, body, `ddh-${id}`);
  }

  function count() {
    const agent = window.ddhAgent;
    const n = agent && agent.me() ? waiting + agent.unread() : 0;
    document.title = n ? `(${n}) ${TITLE}` : TITLE;
  }

  function onFrame(m) {
    const ev = JSON.parse(m.data);
    if (ev.type === "offer") {
      alert(ev.id, "Ny samtale til dig", `${ev.topic || "andet"} · ${ev.channel}: ${ev.summary || ""}`.slice(0, 180));
    }
  }

  function onQueue(ev) {  // queue.js, after each queue frame
    const entries = ev.detail.entries;
    if (!window.ddhAgent || !window.ddhAgent.me()) return;  // signed out: the list was emptied
    waiting = entries.length;
    for (const e of entries) {
      if (first) known.add(e.id);
      else alert(e.id, "Ny borger i køen", `${e.topic || "andet"} · ${e.channel}: ${e.summary || ""}`.slice(0, 180));
    }
    first = false;
    count();
  }

  // the browser asks the agent once, on a gesture of theirs
  function ask() {
    if (asked || !("Notification" in window) || Notification.permission !== "default") return;
    asked = true;
    Notification.requestPermission().catch(() => null);
  }

  document.addEventListener("ddh:socket", (e) => e.detail.addEventListener("message", onFrame));
  document.addEventListener("ddh:changed", count);
  document.addEventListener("ddh:queue", onQueue);
  document.addEventListener("ddh:signed-in", () => {
    first = true;
    document.addEventListener("pointerdown", ask, { once: true, capture: true });
    document.addEventListener("keydown", ask, { once: true, capture: true });
  });
  document.addEventListener("ddh:signed-out", () => {
    waiting = 0;
    known.clear();
    count();
  });
})();
