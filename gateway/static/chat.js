// Citizen chat: opens a conversation over REST, talks over a WebSocket, resumes after
// a dropped connection (re-sending unanswered messages with the same id, so nothing
// is answered twice), renders links as links and asks for a 1-10 rating at the end.
(() => {
  "use strict";
  const params = new URLSearchParams(location.search);
  const municipality = params.get("municipality") || document.documentElement.dataset.municipality || null;
  const key = "ddh-chat:" + (municipality || "-");
  const log = document.getElementById("log");
  const typing = document.getElementById("typing");
  const status = document.getElementById("status");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const rating = document.getElementById("rating");
  const scores = document.getElementById("scores");
  let conv = JSON.parse(sessionStorage.getItem(key) || "null");
  let ws = null, lastSeq = 0, retry = 0;
  let agentOn = false, typingSent = 0, typingTimer = null;  // a person has the chat
  let forgotten = false;  // "Slet min samtale": the conversation is gone
  const pending = new Map();   // client id -> text, until answered
  const shown = new Set();     // seqs rendered

  function save() { sessionStorage.setItem(key, JSON.stringify({ id: conv.id, lastSeq })); }

  function linkify(text) {
    const esc = text.replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
    return esc.replace(/https?:\/\/[^\s<]+[^\s<.,;:!?)]/g,
      url => `<a href="${url}" target="_blank" rel="noopener noreferrer">${url}</a>`);
  }

  function render(ev) {
    if (ev.type === "agent_joined") agentOn = true;
    if (ev.type === "agent_left") agentOn = false;
    if (ev.seq && shown.has(ev.seq)) return;
    if (ev.seq) { shown.add(ev.seq); lastSeq = Math.max(lastSeq, ev.seq); save(); }
    const li = document.createElement("li");
    const role = ev.role || (ev.type === "message" ? "bot" : "notice");
    li.className = "msg msg--" + (role === "citizen" ? "citizen" : role === "agent" ? "agent" : "bot");
    li.dataset.action = ev.action || ev.type || "";
    li.innerHTML = linkify((role === "agent" && ev.name ? ev.name + ": " : "") + ev.text);
    const who = role === "citizen" ? "Du skrev: " : role === "agent" ? `${ev.name} skrev: ` : "Assistenten: ";
    li.setAttribute("aria-label", who + ev.text);
    log.appendChild(li);
    li.scrollIntoView({ block: "end" });
    if (ev.ask_rating) showRating();
  }

  function showRating() {
    scores.innerHTML = "";
    for (let i = 1; i <= 10; i++) {
      const b = document.createElement("button");
      b.type = "button"; b.textContent = String(i); b.setAttribute("aria-label", `${i} ud af 10`);
      b.addEventListener("click", () => { rating.hidden = true; send(String(i)); });
      scores.appendChild(b);
    }
    rating.hidden = false;
    scores.firstChild.focus();
  }

  function onEvent(ev) {
    if (ev.type === "typing") {
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
    if (ev.type === "message") {
      if (ev.role === "citizen") {
        pending.delete(ev.id);
        const mine = document.querySelector(`[data-client-id="${ev.id}"]`);
        if (mine) { mine.remove(); }
      } else { typing.hidden = true; }
      render(ev);
    }
    if (ev.type === "agent_joined" || ev.type === "agent_left") {
      typing.hidden = true;
      status.textContent = ev.text;
      render(ev);
    }
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(`${proto}//${location.host}/api/chat/ws/${conv.id}`);
    ws.onopen = () => {
      retry = 0; status.textContent = "";
      ws.send(JSON.stringify({ type: "resume", since: lastSeq }));
      for (const [id, text] of pending) ws.send(JSON.stringify({ type: "message", id, text }));
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
    const id = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now() + Math.random()));
    pending.set(id, text);
    const li = document.createElement("li");
    li.className = "msg msg--citizen"; li.dataset.clientId = id; li.textContent = text;
    log.appendChild(li);
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "message", id, text }));
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
  document.getElementById("end").addEventListener("click", () => send("Tak, det var det"));
  document.getElementById("forget").addEventListener("click", () => {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (confirm("Vil du slette samtalen? Den bliver afsluttet, og teksten slettes nu.")) {
      ws.send(JSON.stringify({ type: "forget" }));
    }
  });
  start(false);
})();
