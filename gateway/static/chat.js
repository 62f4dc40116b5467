// Citizen chat: opens a conversation over REST, talks over a WebSocket, resumes after
// a dropped connection (re-sending unanswered frames with the same id, so nothing is
// answered twice). Before the first message it shows who can help now and the hours
// (GET /api/chat/availability). Every logged event is shown, and so announced by the
// live log, exactly once (by its seq; the citizen's own message keeps its element when
// the server confirms it). Links show the guide's title or the site's name, long step
// lists fold behind "Vis … trin mere", and questions with short answers (Ja/Nej, the
// 1–10 rating) get buttons. "Afslut samtalen" sends an `end` frame, not words.
// Inside the widget (?embed=1) it tells the embedding page, without any text, when a
// message arrives (the unread badge) and whether a person is available.
(() => {
  "use strict";
  const params = new URLSearchParams(location.search);
  const municipality = params.get("municipality") || document.documentElement.dataset.municipality || null;
  const embedded = params.get("embed") === "1" && window.parent !== window;
  if (embedded) document.documentElement.classList.add("is-embedded");
  const key = "ddh-chat:" + (municipality || "-");
  const $ = id => document.getElementById(id);
  const log = $("log"), scroller = $("scroll"), typing = $("typing"), status = $("status");
  const form = $("composer"), input = $("message");
  const quick = $("quick"), quickButtons = $("quick-buttons"), quickHint = $("quick-hint");
  const RATING = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];
  const SHOWN_STEPS = 3;  // more steps than SHOWN_STEPS + 1 fold behind a disclosure
  let conv = JSON.parse(sessionStorage.getItem(key) || "null");
  let ws = null, lastSeq = 0, retry = 0;
  let agentOn = false, typingSent = 0, typingTimer = null;  // a person has the chat
  let forgotten = false;  // "Slet min samtale": the conversation is gone
  const pending = new Map();   // client id -> frame, until answered
  const shown = new Set();     // seqs rendered

  function save() { sessionStorage.setItem(key, JSON.stringify({ id: conv.id, lastSeq })); }
  function tell(type, data) {  // to the widget: never the conversation's text
    if (embedded) window.parent.postMessage({ source: "ddh-chat", type, ...data }, "*");
  }
  function newId() { return crypto.randomUUID ? crypto.randomUUID() : String(Date.now() + Math.random()); }

  // --- text: links as short names, steps as a list --------------------------------
  const URL_RE = /https?:\/\/[^\s<]+[^\s<.,;:!?)]/g;
  function linkText(url, guides) {
    const guide = (guides || []).find(g => g.url === url);
    if (guide && guide.title) return guide.title;
    try { return new URL(url).hostname.replace(/^www\./, ""); } catch { return url; }
  }
  function appendText(parent, text, guides) {
    let last = 0;
    for (const m of text.matchAll(URL_RE)) {
      if (m.index > last) parent.append(text.slice(last, m.index));
      const a = document.createElement("a");
      a.href = m[0]; a.target = "_blank"; a.rel = "noopener noreferrer";
      a.textContent = linkText(m[0], guides);
      parent.append(a);
      last = m.index + m[0].length;
    }
    if (last < text.length) parent.append(text.slice(last));
  }
  function list(items, start, guides) {
    const ol = document.createElement("ol");
    if (start > 1) ol.start = start;
    for (const item of items) {
      const li = document.createElement("li");
      appendText(li, item.replace(/^\d+\.\s+/, ""), guides);
      ol.append(li);
    }
    return ol;
  }
  function fill(el, text, guides) {
    for (const block of text.split(/\n{2,}/)) {
      const lines = block.split("\n");
      const steps = lines.filter(l => /^\d+\.\s/.test(l));
      if (steps.length < 2) {
        const p = document.createElement("p");
        appendText(p, block, guides);
        el.append(p);
        continue;
      }
      const heading = lines.filter(l => !/^\d+\.\s/.test(l)).join(" ");
      if (heading) { const p = document.createElement("p"); appendText(p, heading, guides); el.append(p); }
      if (steps.length <= SHOWN_STEPS + 1) { el.append(list(steps, 1, guides)); continue; }
      el.append(list(steps.slice(0, SHOWN_STEPS), 1, guides));
      const more = document.createElement("details");
      const summary = document.createElement("summary");
      summary.textContent = `Vis ${steps.length - SHOWN_STEPS} trin mere`;
      more.append(summary, list(steps.slice(SHOWN_STEPS), SHOWN_STEPS + 1, guides));
      more.addEventListener("toggle", () => {
        summary.textContent = more.open ? "Skjul trin" : `Vis ${steps.length - SHOWN_STEPS} trin mere`;
      });
      el.append(more);
    }
  }

  function toEnd() { scroller.scrollTop = scroller.scrollHeight; }
  function toStart(li) {  // a long answer is read from its start
    scroller.scrollTop = Math.max(0, li.offsetTop - 8);  // the scroller is its offsetParent
  }

  // --- quick replies ---------------------------------------------------------------
  function hideQuick() { quick.hidden = true; quickButtons.replaceChildren(); }
  function showQuick(ev) {
    const rating = !!ev.ask_rating;
    const answers = ev.quick_replies && ev.quick_replies.length ? ev.quick_replies : rating ? RATING : [];
    hideQuick();
    if (!answers.length) return;
    for (const text of answers) {
      const b = document.createElement("button");
      b.type = "button"; b.textContent = text;
      if (rating) b.setAttribute("aria-label", `${text} ud af 10`);
      b.addEventListener("click", () => { send(text); input.focus(); });
      quickButtons.append(b);
    }
    quickHint.hidden = !rating;
    quick.setAttribute("aria-label", rating ? "Giv en karakter fra 1 til 10" : "Hurtige svar");
    quick.hidden = false;
    if (rating) quickButtons.firstChild.focus({ preventScroll: true });
  }

  // --- events ----------------------------------------------------------------------
  function render(ev) {
    if (ev.type === "agent_joined") agentOn = true;
    if (ev.type === "agent_left") agentOn = false;
    if (ev.seq && shown.has(ev.seq)) return;
    if (ev.seq) { shown.add(ev.seq); lastSeq = Math.max(lastSeq, ev.seq); save(); }
    if (ev.reply_to) pending.delete(ev.reply_to);
    const role = ev.role || (ev.type === "message" ? "bot" : "notice");
    if (role === "citizen") {
      pending.delete(ev.id);
      hideQuick();
      // shown when sent: confirmed now, not shown (nor announced) a second time
      const mine = ev.id && [...log.querySelectorAll("li[data-client-id]")].find(li => li.dataset.clientId === ev.id);
      if (mine) {  // as logged: redacted (a CPR number removed) where it had to be
        if (ev.seq) mine.dataset.seq = ev.seq;
        if (mine.textContent !== ev.text) { mine.textContent = ev.text; mine.setAttribute("aria-label", "Du skrev: " + ev.text); }
        return;
      }
    }
    const li = document.createElement("li");
    li.className = "msg msg--" + role;
    li.dataset.action = ev.action || ev.type || "";
    if (ev.seq) li.dataset.seq = ev.seq;
    const text = (role === "agent" && ev.name ? ev.name + ": " : "") + ev.text;
    const who = role === "citizen" ? "Du skrev: " : role === "agent" ? `${ev.name} skrev: ` :
      role === "bot" ? "Assistenten: " : "";
    li.setAttribute("aria-label", who + ev.text);
    if (role === "citizen") li.textContent = text; else fill(li, text, ev.guides);
    log.appendChild(li);
    if (role === "citizen") { toEnd(); return; }
    if (role === "bot" || role === "agent") showQuick(ev);  // before scrolling: it takes room
    toStart(li);
    tell("message", { role });
  }

  function onEvent(ev) {
    if (ev.type === "typing") {
      typing.textContent = ev.role === "agent" ? "Medarbejderen skriver …" : "Assistenten skriver …";
      typing.hidden = false;
      // a person may stop writing without sending: the sign goes after a while
      clearTimeout(typingTimer);
      if (ev.role === "agent") typingTimer = setTimeout(() => { typing.hidden = true; }, 6000);
      return;
    }
    if (ev.type === "forgotten") {  // deleted on request: nothing of it is kept here either
      forgotten = true;
      sessionStorage.removeItem(key);
      log.replaceChildren();
      hideQuick();
      typing.hidden = true;
      status.textContent = ev.message;
      input.disabled = true;
      return;
    }
    if (ev.type === "presence" && ev.role === "agent") {
      status.textContent = ev.online ? "" : "Medarbejderen har mistet forbindelsen et øjeblik. Dine beskeder bliver gemt.";
      return;
    }
    if (ev.type === "delta") return;  // the full message follows; deltas are for live rendering
    if (ev.type === "error") { status.textContent = ev.message; typing.hidden = true; return; }
    if (ev.type === "message" || ev.type === "agent_joined" || ev.type === "agent_left") {
      // a system message ("X har overtaget samtalen") is shown in the log only: the
      // log is the live region, so it is announced once too
      if (ev.role !== "citizen") typing.hidden = true;
      render(ev);
    }
  }

  function transmit(frame) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(`${proto}//${location.host}/api/chat/ws/${conv.id}`);
    ws.onopen = () => {
      retry = 0; status.textContent = "";
      ws.send(JSON.stringify({ type: "resume", since: lastSeq }));
      for (const frame of pending.values()) ws.send(JSON.stringify(frame));
    };
    ws.onmessage = e => onEvent(JSON.parse(e.data));
    ws.onclose = e => {
      if (forgotten) return;
      if (e.code === 4404) { sessionStorage.removeItem(key); return start(true); }
      status.textContent = "Forbindelsen blev afbrudt. Prøver igen …";
      // 1012: the server is restarting (or another process takes over): reconnect now
      const wait = e.code === 1012 ? 200 + Math.random() * 300 : Math.min(8000, 500 * 2 ** retry++);
      setTimeout(connect, wait);
    };
  }

  function send(text) {
    const id = newId();
    pending.set(id, { type: "message", id, text });
    hideQuick();
    const li = document.createElement("li");
    li.className = "msg msg--citizen"; li.dataset.clientId = id; li.textContent = text;
    li.setAttribute("aria-label", "Du skrev: " + text);
    log.appendChild(li);
    toEnd();
    transmit(pending.get(id));
  }

  function end() {  // "Afslut samtalen": the server asks the rating (once)
    const id = newId();
    pending.set(id, { type: "end", id });
    hideQuick();
    transmit(pending.get(id));
  }

  // A server that is restarting answers nothing or 503 for a moment: try again, and
  // start a new conversation only when the old one is unknown (404).
  async function request(url, init) {
    for (let i = 0; ; i++) {
      try {
        const r = await fetch(url, init);
        if (r.status < 500 || i >= 8) return r;
      } catch (err) { if (i >= 8) throw err; }
      status.textContent = "Forbindelsen blev afbrudt. Prøver igen …";
      await new Promise(ok => setTimeout(ok, Math.min(4000, 250 * 2 ** i)));
    }
  }

  async function availability() {
    try {
      const q = municipality ? `?municipality=${encodeURIComponent(municipality)}` : "";
      const r = await fetch(`/api/chat/availability${q}`);
      if (!r.ok) return;
      const a = await r.json();
      $("avail-head").textContent = a.headline;
      $("avail-hours").replaceChildren(...a.hours.map(h => {
        const li = document.createElement("li"); li.textContent = h.text; return li;
      }));
      $("avail-otherwise").textContent = a.otherwise;
      const box = $("availability");
      box.classList.toggle("is-open", !!a.person_now);
      box.dataset.personNow = String(!!a.person_now);
      box.hidden = false;
      $("mail-open").hidden = !a.transcript_email;
      tell("availability", { person_now: !!a.person_now, headline: a.headline });
    } catch { /* the chat works without it */ }
  }

  async function start(fresh) {
    if (conv && !fresh) {
      const r = await request(`/api/chat/conversations/${conv.id}/messages?since=0`);
      if (r.ok) { status.textContent = ""; (await r.json()).forEach(render); return connect(); }
    }
    const r = await request("/api/chat/conversations", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ municipality }),
    });
    if (!r.ok) { status.textContent = "Chatten kunne ikke startes. Prøv igen senere."; return; }
    status.textContent = "";
    const body = await r.json();
    conv = { id: body.id }; lastSeq = 0; save();
    render(body.greeting);
    connect();
  }

  form.addEventListener("submit", e => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = ""; send(text); input.focus();
  });
  input.addEventListener("input", () => {  // the agent sees that the citizen writes
    if (!agentOn || !ws || ws.readyState !== WebSocket.OPEN || Date.now() - typingSent < 2000) return;
    typingSent = Date.now();
    ws.send(JSON.stringify({ type: "typing" }));
  });
  input.addEventListener("keydown", e => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });
  $("end").addEventListener("click", end);
  $("forget").addEventListener("click", () => {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (confirm("Vil du slette samtalen? Den bliver afsluttet, og teksten slettes nu.")) {
      ws.send(JSON.stringify({ type: "forget" }));
    }
  });
  // "Send samtalen til min e-mail": the copy is made from the stored (redacted) text.
  $("mail-open").addEventListener("click", () => {
    const box = $("mail-form");
    box.hidden = !box.hidden;
    $("mail-open").setAttribute("aria-expanded", String(!box.hidden));
    if (!box.hidden) $("mail-to").focus();
  });
  $("mail-form").addEventListener("submit", async e => {
    e.preventDefault();
    const out = $("mail-status");
    if (!conv) return;
    out.textContent = "Sender …";
    try {
      const r = await request(`/api/chat/conversations/${conv.id}/transcript`, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: $("mail-to").value.trim() }),
      });
      if (r.status === 202) {
        out.textContent = "Samtalen er sendt til din e-mail. Den kan tage et par minutter.";
        $("mail-to").value = "";
      } else {
        const body = await r.json().catch(() => ({}));
        out.textContent = typeof body.detail === "string" && r.status !== 503 ?
          body.detail : "Det lykkedes ikke at sende samtalen. Prøv igen senere.";
      }
    } catch { out.textContent = "Det lykkedes ikke at sende samtalen. Prøv igen senere."; }
  });
  availability();
  start(false);
})();
