// The agent console's tools around the conversation shown (gateway/console_tools.py):
// internal notes (never the citizen's), handing the conversation to a colleague on
// duty or to a queue (with a note for the next person), and the citizen's earlier
// contacts by the callback number they consented to, each opened read-only in a
// dialog (GET /api/conversations/{id}, audited). Frames go over the console's socket.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  if (!$("handover")) return;
  const agent = () => window.ddhAgent;
  let colleagues = [];

  function active() { return agent() && agent().active(); }

  // --- internal notes ------------------------------------------------------------------
  $("note-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const conv = active();
    const text = $("internal-note").value.trim();
    if (!conv || !text) return;
    agent().send({ type: "note", conversation: conv.conversation, text });
    $("internal-note").value = "";  // the note comes back as a `note` frame (agent.js)
  });

  // --- handing over ----------------------------------------------------------------------
  function option(value, label) {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    return o;
  }

  const STATE = { available: "klar", busy: "optaget", "wrap-up": "efterbehandling" };

  function renderTargets() {
    const select = $("handover-to");
    const before = select.value;
    select.replaceChildren(option("", "Vælg …"));
    const people = document.createElement("optgroup");
    people.label = "Kolleger på vagt";
    for (const c of colleagues) {
      const o = option(`agent:${c.username}`, `${c.name} (${STATE[c.state] || c.state}, ` +
                       `${c.conversations} af ${c.capacity})`);
      people.appendChild(o);
    }
    if (!colleagues.length) {
      const none = option("", "Ingen andre er på vagt lige nu");
      none.disabled = true;
      people.appendChild(none);
    }
    const queues = document.createElement("optgroup");
    queues.label = "Tilbage i en kø (forrest)";
    queues.appendChild(option("queue:ddh", "Den Digitale Hotlines kø"));
    const conv = active();
    if (conv && conv.municipality) {
      queues.appendChild(option(`queue:${conv.municipality}`, `Kommunens kø (${conv.municipality})`));
    }
    select.append(people, queues);
    if ([...select.options].some((o) => o.value === before)) select.value = before;
  }

  function askColleagues() {
    if (agent() && agent().me() && agent().me().role === "agent") agent().send({ type: "colleagues" });
  }

  $("handover-to").addEventListener("focus", askColleagues);
  $("handover").addEventListener("submit", (e) => {
    e.preventDefault();
    const conv = active();
    const [kind, target] = $("handover-to").value.split(":");
    if (!conv || !target) return;
    const frame = { type: "handover", conversation: conv.conversation,
                    note: $("handover-note").value.trim() || null };
    frame[kind === "agent" ? "to_agent" : "to_queue"] = target;
    $("handover-status").textContent = "Giver videre …";
    agent().send(frame);
  });

  // --- earlier contacts ------------------------------------------------------------------
  const DATE = new Intl.DateTimeFormat("da-DK", { dateStyle: "short", timeStyle: "short",
                                                  timeZone: "Europe/Copenhagen" });

  function renderHistory(conv) {
    const rows = (conv && conv.contacts) || [];
    const ul = $("history-list");
    ul.replaceChildren();
    $("history").hidden = !rows.length;
    for (const r of rows) {
      const li = document.createElement("li");
      li.dataset.conversation = r.id;
      const what = document.createElement("span");
      what.textContent = `${DATE.format(new Date(r.started_at))} · ${r.topic_name || "andet"} · ` +
        `${r.outcome_da}${r.municipality_name ? " · " + r.municipality_name : ""} `;
      const b = document.createElement("button");
      b.type = "button";
      b.className = "secondary small";
      b.textContent = "Vis samtalen";
      b.addEventListener("click", () => view(r));
      li.append(what, b);
      ul.appendChild(li);
    }
  }

  async function view(r) {
    const dialog = $("viewer");
    const log = $("viewer-log");
    log.replaceChildren();
    $("viewer-meta").textContent = `${DATE.format(new Date(r.started_at))} · ${r.topic_name || "andet"} · ${r.outcome_da}`;
    const res = await fetch(`/api/conversations/${encodeURIComponent(r.id)}`, { credentials: "same-origin" });
    if (!res.ok) {
      $("viewer-meta").textContent = "Samtalen kan ikke vises (du har ikke adgang, eller den er slettet).";
    } else {
      const c = await res.json();
      const who = { citizen: "Borger", bot: "Bot", agent: "Medarbejder" };
      for (const t of c.transcript) {
        const li = document.createElement("li");
        li.className = `msg msg--${t.role === "citizen" ? "citizen" : t.role === "agent" ? "agent" : "bot"}`;
        li.textContent = `${who[t.role] || t.role}: ${t.text}`;
        log.appendChild(li);
      }
      for (const n of c.notes || []) {
        const li = document.createElement("li");
        li.className = "msg msg--note";
        const label = document.createElement("strong");
        label.textContent = `Intern note · ${n.name}`;
        const p = document.createElement("p");
        p.textContent = n.text;
        li.append(label, p);
        log.appendChild(li);
      }
      if (!c.transcript.length) log.append("Teksten er slettet (opbevaringsfristen er udløbet).");
    }
    if (!dialog.open) dialog.showModal();
  }

  // --- the socket ------------------------------------------------------------------------
  function onFrame(m) {
    const ev = JSON.parse(m.data);
    if (ev.type === "colleagues") {
      colleagues = ev.agents;
      renderTargets();
    } else if (ev.type === "history") {
      const conv = agent().get(ev.conversation);
      if (conv) conv.contacts = ev.contacts;
      if (conv && conv === active()) renderHistory(conv);
    } else if (ev.type === "handed_over") {
      $("handover-status").textContent = "";
      $("handover-note").value = "";
      $("console-status").textContent = ev.message;
    } else if (ev.type === "handover_offer") {
      $("console-status").textContent = `${ev.from} giver dig en samtale.`;
    } else if (ev.type === "error" && ev.about === "handover") {
      $("handover-status").textContent = ev.message;
    } else if (ev.type === "accepted") {
      $("console-status").textContent = "";
    }
  }

  document.addEventListener("ddh:socket", (e) => e.detail.addEventListener("message", onFrame));
  document.addEventListener("ddh:switched", (e) => {
    $("handover-status").textContent = "";
    renderTargets();
    renderHistory(e.detail);
    if (e.detail) askColleagues();
  });
  document.addEventListener("ddh:signed-out", () => {
    colleagues = [];
    $("console-status").textContent = "";
  });
})();
