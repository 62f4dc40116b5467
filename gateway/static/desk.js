// The desk's side of the agent console (handoff/offers.py, gateway/desk_dispatch.py):
// offers pushed to the agent (take / decline, with the seconds left), the agent's state
// as the desk sets it, SLA colours on the queue and a short sound when an entry breaches
// its target wait, the citizens waiting in queues the agent cannot take yet, and a note
// when a chat was given to a colleague. It listens on the console's socket, which
// agent.js announces with the "ddh:socket" event; the queue list stays agent.js's.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const desk = $("desk");
  if (!desk) return;
  const WHY = {
    timeout: "Tilbuddet udløb.",
    taken: "En kollega tog samtalen.",
    left: "Borgeren forlod køen.",
    unavailable: "Tilbuddet blev trukket tilbage, da du ikke længere er klar.",
    declined: "Du afviste samtalen. Den går videre til en kollega.",
  };
  const STATES = { available: "Klar", busy: "Optaget", "wrap-up": "Efterbehandling", away: "Væk" };
  // what tests (and a curious agent, in the developer tools) can read
  const seen = window.ddhDesk = { beeps: 0, offers: [], withdrawn: [], states: [], accepted: [] };
  let ws = null;
  let current = null;  // {id, deadline}
  let ticker = null;
  const breached = new Set();

  // --- the page's parts (made here: agent.html only loads this file) -----------------
  const note = document.createElement("p");
  note.id = "desk-note";
  note.className = "desk-note";
  note.setAttribute("role", "status");
  const box = document.createElement("section");
  box.id = "offer";
  box.className = "desk-offer";
  box.hidden = true;
  box.setAttribute("aria-labelledby", "offer-title");
  box.innerHTML = `<h2 id="offer-title">Ny samtale til dig</h2>
    <p class="desk-offer__what"></p><p class="desk-offer__summary"></p>
    <p class="desk-offer__left" aria-live="off"></p>
    <div class="desk-offer__actions"><button type="button" class="desk-offer__take">Tag samtalen</button>
    <button type="button" class="secondary desk-offer__decline">Afvis</button></div>`;
  desk.prepend(box);
  desk.prepend(note);
  const elsewhere = document.createElement("ul");
  elsewhere.id = "elsewhere";
  elsewhere.className = "desk-elsewhere";
  elsewhere.setAttribute("aria-label", "Venter i andre køer");
  const queueSection = $("queue") && $("queue").parentElement;
  if (queueSection) queueSection.appendChild(elsewhere);

  function send(frame) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  }

  function say(text) {
    note.textContent = text || "";
  }

  // --- offers -------------------------------------------------------------------------
  function showOffer(ev) {
    seen.offers.push(ev.conversation);
    current = { id: ev.id, deadline: Date.now() + ev.expires_in_s * 1000 };
    box.dataset.handoff = ev.id;
    box.dataset.conversation = ev.conversation;
    box.querySelector(".desk-offer__what").textContent =
      [ev.topic || "andet", ev.channel, `ventet ${Math.round(ev.waiting_s)} s`, ev.reason]
        .filter(Boolean).join(" · ");
    box.querySelector(".desk-offer__summary").textContent = ev.summary;
    box.classList.toggle("sla-breached", ev.sla === "breached");
    box.classList.toggle("crisis", ev.priority > 0);
    box.hidden = false;
    countdown();
    clearInterval(ticker);
    ticker = setInterval(countdown, 1000);
    box.querySelector(".desk-offer__take").focus({ preventScroll: true });
  }

  function countdown() {
    if (!current) return;
    const left = Math.max(0, Math.round((current.deadline - Date.now()) / 1000));
    box.querySelector(".desk-offer__left").textContent = `Svar inden ${left} s`;
  }

  function hideOffer(id) {
    if (current && id && current.id !== id) return;
    current = null;
    clearInterval(ticker);
    box.hidden = true;
  }

  box.querySelector(".desk-offer__take").addEventListener("click", () => {
    if (current) send({ type: "accept", id: current.id });
  });
  box.querySelector(".desk-offer__decline").addEventListener("click", () => {
    if (current) send({ type: "decline", id: current.id });
  });

  // --- the queue: SLA colours, a sound on a new breach, citizens waiting elsewhere ----
  function beep() {
    seen.beeps += 1;  // counted even where the browser plays no sound: the colour still shows
    window.ddhSound.beep({ frequency: 880, seconds: 0.15, volume: 0.08 });
  }

  function mark(entries) {
    const sla = new Map(entries.map((e) => [e.id, e.sla]));
    for (const li of document.querySelectorAll("#queue li[data-handoff]")) {
      const state = sla.get(li.dataset.handoff) || "ok";
      li.classList.toggle("sla-warning", state === "warning");
      li.classList.toggle("sla-breached", state === "breached");
      li.title = state === "breached" ? "Over målet for ventetid" :
        state === "warning" ? "Tæt på målet for ventetid" : "";
    }
    let fresh = false;
    for (const e of entries) {
      if (e.sla === "breached" && !breached.has(e.id)) { breached.add(e.id); fresh = true; }
    }
    if (fresh) beep();
  }

  function wait(seconds) {
    return seconds < 60 ? `${Math.ceil(seconds)} s` : `${Math.ceil(seconds / 60)} min`;
  }

  function showElsewhere(groups) {
    elsewhere.replaceChildren();
    for (const g of groups || []) {
      const li = document.createElement("li");
      li.dataset.queue = g.queue;
      li.textContent = `${g.count} venter hos ${g.name}` +
        (g.opens_in_s === null || g.opens_in_s === undefined ? "" :
          ` · åbner for dig om ${wait(g.opens_in_s)}`);
      elsewhere.appendChild(li);
    }
  }

  // --- the socket ----------------------------------------------------------------------
  function onFrame(m) {
    const ev = JSON.parse(m.data);
    if (ev.type === "offer") showOffer(ev);
    else if (ev.type === "offer_withdrawn") {
      seen.withdrawn.push([ev.id, ev.reason]);
      hideOffer(ev.id);
      say(WHY[ev.reason] || "");
    } else if (ev.type === "accepted") {
      seen.accepted.push(ev.conversation);
      hideOffer(ev.handoff);
    } else if (ev.type === "state") {
      seen.states.push(ev.state);
      const select = $("presence");
      if (select) select.value = ev.state;
      if (ev.state === "away" && seen.withdrawn.length &&
          seen.withdrawn[seen.withdrawn.length - 1][1] === "timeout") {
        say("Tilbuddet udløb, så du er sat til Væk. Vælg Klar, når du er tilbage.");
      } else if (ev.state === "wrap-up") {
        say(`${STATES[ev.state]}: du er klar igen om lidt, eller vælg Klar nu.`);
      }
    } else if (ev.type === "reassigned") {
      say(ev.reason === "gone" ? "Din konsol var væk for længe, så samtalen er givet videre til en kollega."
        : "Borgeren ventede for længe på dit svar, så samtalen er givet videre til en kollega.");
    } else if (ev.type === "error" && current) {
      say(ev.message);
    }
  }

  document.addEventListener("ddh:queue", (e) => {  // queue.js, after each queue frame
    mark(e.detail.entries);
    showElsewhere(e.detail.elsewhere);
  });
  document.addEventListener("ddh:socket", (e) => {
    ws = e.detail;
    hideOffer(null);
    ws.addEventListener("message", onFrame);
  });
})();
