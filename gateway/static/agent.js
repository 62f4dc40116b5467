// The agent console: sign in, see the queue live, accept, chat, send guides, wrap up,
// sign out. One WebSocket (/api/agent/ws) carries everything; no framework, no build step.
// An agent has several conversations at once (up to their capacity): each keeps its own
// transcript, draft (also over a reload, in sessionStorage) and unread count, and one
// is shown at a time ("Mine samtaler" switches). The page's other scripts (desk.js,
// canned.js, console-tools.js, notify.js) use window.ddhAgent and the "ddh:*" events:
// ddh:socket, ddh:signed-in, ddh:signed-out, ddh:switched (the conversation shown),
// ddh:changed (conversations or unread counts).
(() => {
  const $ = (id) => document.getElementById(id);
  const DRAFT = "ddh-draft:";
  let ws = null;
  let csrf = null;
  let me = null;  // who is signed in (/api/agent/me); null: nobody, no reconnecting
  // conversation → {conversation, handoff, municipality, queue, channel, topic, packet,
  //                 items, draft, unread, last, lastCitizen, citizen, guides, contacts}
  const convs = new Map();
  let active = null;  // the conversation shown

  function announce(name, detail) {
    document.dispatchEvent(new CustomEvent(name, { detail }));
  }

  // One line of a transcript: {role: citizen|agent|bot|note|system, text, name}.
  function line(item) {
    const li = document.createElement("li");
    if (item.role === "note") {  // an internal note: for colleagues, never the citizen
      li.className = "msg msg--note";
      const label = document.createElement("strong");
      label.textContent = `Intern note${item.name ? " · " + item.name : ""}`;
      const p = document.createElement("p");
      p.textContent = item.text;
      li.append(label, p);
    } else {
      const kind = { citizen: "citizen", agent: "agent", system: "notice" }[item.role] || "bot";
      li.className = `msg msg--${kind}`;
      li.textContent = (item.name ? item.name + ": " : "") + item.text;
    }
    const log = $("transcript");
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;  // the pane scrolls, never the page
  }

  function add(conv, item) {
    conv.items.push(item);
    if (conv === active) line(item);
    else if (item.role === "citizen") conv.unread += 1;
    renderMine();
  }

  function renderMine() {
    const ul = $("convs");
    ul.replaceChildren();
    $("convs-empty").hidden = convs.size > 0;
    for (const c of convs.values()) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "console__conv";
      b.dataset.conversation = c.conversation;
      if (c === active) b.setAttribute("aria-current", "true");
      const title = document.createElement("span");
      title.className = "console__conv-title";
      title.textContent = `${c.topic || "andet"} · ${c.channel}`;
      const last = document.createElement("span");
      last.className = "console__conv-last";
      last.textContent = c.last || "";
      b.append(title, last);
      if (c.unread) {
        const badge = document.createElement("span");
        badge.className = "console__unread";
        badge.textContent = String(c.unread);
        badge.setAttribute("aria-label", `${c.unread} ulæste`);
        b.append(badge);
      }
      b.addEventListener("click", () => show(c));
      li.appendChild(b);
      ul.appendChild(li);
    }
    announce("ddh:changed");
  }

  // Show one of the agent's conversations (null: none); the one shown before keeps its
  // draft.
  function show(conv) {
    if (active) active.draft = $("reply-text").value;
    active = conv || null;
    $("active").hidden = !active;
    $("no-active").hidden = Boolean(active);
    $("reply-status").textContent = "";
    if (active) {
      active.unread = 0;
      $("target").value = active.municipality || "ddh";
      $("phone").value = "";
      $("packet").textContent = active.packet;
      $("active-title").textContent = `Samtale · ${active.topic || "andet"} · ${active.channel}`;
      $("transcript").replaceChildren();
      for (const item of active.items) line(item);
      $("reply-text").value = active.draft || "";
      $("citizen-state").textContent = active.citizen || "";
      showAssist(active.guides || []);
    }
    renderMine();
    announce("ddh:switched", active);
  }

  function drop(conversation) {
    const conv = convs.get(conversation);
    if (!conv) return;
    convs.delete(conversation);
    sessionStorage.removeItem(DRAFT + conversation);
    if (conv === active) {
      active = null;
      $("reply-text").value = "";
      show(convs.values().next().value || null);
    } else {
      renderMine();
    }
  }

  function showCallbacks(rows) {
    const body = $("callbacks").querySelector("tbody");
    body.replaceChildren();
    for (const t of rows) {
      const tr = document.createElement("tr");
      for (const v of [String(t.created_at).slice(0, 16).replace("T", " "), t.target, t.topic || "-",
                       t.callback_phone || "-", (t.deliveries || []).join(", ") || t.status]) {
        const td = document.createElement("td");
        td.textContent = v;
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    $("callbacks").hidden = false;
  }

  // `accepted`: a conversation taken (or, `resumed`, one the agent has, after a reload).
  function open(ev) {
    // The reason a person is needed: the grounded summary words it on its "Årsag" line;
    // a summary the language model wrote may not, so it is added.
    const reason = ev.reason && !/^Årsag:/m.test(ev.summary) ? `\nÅrsag: ${ev.reason}` : "";
    const packet = `${ev.summary}${reason}\nVentede ${Math.round(ev.waited_s)} s · ${ev.channel}`;
    const items = ev.transcript.map((t) => ({ role: t.role, text: t.text, name: t.name }));
    let conv = convs.get(ev.conversation);
    if (!conv) {
      conv = { conversation: ev.conversation, handoff: ev.handoff, municipality: ev.municipality,
               queue: ev.queue || ev.municipality || "ddh", channel: ev.channel, topic: ev.topic,
               draft: sessionStorage.getItem(DRAFT + ev.conversation) || "", unread: 0,
               citizen: "", guides: [], last: "" };
      convs.set(ev.conversation, conv);
    }
    Object.assign(conv, { packet, items, contacts: ev.contacts || [] });
    const citizen = items.filter((t) => t.role === "citizen");
    conv.lastCitizen = citizen.length ? citizen[citizen.length - 1].text : "";
    conv.last = conv.lastCitizen;
    if (ev.resumed && active && active !== conv) {
      renderMine();  // back after a reload: listed, the one shown stays
    } else {
      show(conv);
      $("reply-text").focus({ preventScroll: true });
    }
    assist(conv);
  }

  function assist(conv) {
    if (conv && conv.lastCitizen) {
      sendFrame({ type: "assist", conversation: conv.conversation,
                  text: conv.lastCitizen, municipality: conv.municipality });
    }
  }

  function showAssist(guides) {
    const ul = $("assist");
    ul.replaceChildren();
    for (const g of guides) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = g.url; a.target = "_blank"; a.rel = "noopener"; a.textContent = g.title;
      const b = document.createElement("button");
      b.type = "button"; b.className = "secondary"; b.textContent = "Send link";
      b.addEventListener("click", () => send(`${g.title}: ${g.url}`));
      li.append(a, " ", b);
      ul.appendChild(li);
    }
  }

  // The citizen's signs of life: writing now, or the page closed (not logged).
  function citizenState(conv, ev) {
    clearTimeout(conv.timer);
    const paint = () => { if (conv === active) $("citizen-state").textContent = conv.citizen; };
    if (ev.type === "typing") {
      conv.citizen = "Borgeren skriver …";
      conv.timer = setTimeout(() => { conv.citizen = ""; paint(); }, 6000);
    } else {
      conv.citizen = ev.online ? "" : "Borgeren har lukket chatten eller mistet forbindelsen.";
    }
    paint();
  }

  let typingSent = 0;
  function typing() {  // the citizen sees that the agent writes, at most every 2 s
    if (!active || !ws || ws.readyState !== WebSocket.OPEN || Date.now() - typingSent < 2000) return;
    typingSent = Date.now();
    sendFrame({ type: "typing", conversation: active.conversation });
  }

  function send(text) {
    if (!active) return;
    sendFrame({ type: "message", conversation: active.conversation, text });
    add(active, { role: "agent", text });
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const sock = ws = new WebSocket(`${proto}//${location.host}/api/agent/ws?view=delta`);
    ws.onmessage = (m) => {
      const ev = JSON.parse(m.data);
      const conv = ev.conversation ? convs.get(ev.conversation) : undefined;
      if (ev.type === "accepted") open(ev);  // the queue list is queue.js's
      else if (ev.type === "message" && conv) {
        if (ev.role === "citizen") {
          conv.last = ev.text;
          citizenState(conv, { type: "presence", online: true });
        }
        add(conv, { role: ev.role, text: ev.text });
        if (ev.role === "citizen" && ev.text.split(/\s+/).length >= 3) {  // "tak": no new guides
          conv.lastCitizen = ev.text;
          assist(conv);
        }
      } else if ((ev.type === "typing" || ev.type === "presence") && conv) {
        citizenState(conv, ev);
      } else if (ev.type === "note" && conv) {  // an internal note (console-tools.js)
        add(conv, { role: "note", name: ev.note.name, text: ev.note.text });
      } else if (ev.type === "assist") {
        if (conv) conv.guides = ev.guides;
        if (conv === active) showAssist(ev.guides);
      } else if (ev.type === "reassigned" || ev.type === "handed_over") {
        drop(ev.conversation);  // back in the queue for a colleague (desk.js says so)
      } else if ((ev.type === "forgotten" || ev.type === "wrapped") && ev.ok) {
        drop(ev.conversation);  // the state (wrap-up) is the desk's to say: desk.js shows it
      } else if (ev.type === "error" && active && (!ev.conversation || conv === active)) {
        $("reply-status").textContent = ev.message;
      }
    };
    ws.onclose = () => {
      if (me && ws === sock) setTimeout(() => { if (me && ws === sock) connect(); }, 2000);
    };
    document.dispatchEvent(new CustomEvent("ddh:socket", { detail: ws }));  // desk.js
  }

  async function signedIn(who) {
    if (who.role === "editor") { // a municipality's guide editor has no queue: to the guides
      location.assign("/admin/guides");
      return;
    }
    me = who;
    csrf = who.csrf;
    document.body.dataset.role = who.role;
    $("who").textContent = `${who.name} (${who.role}${who.municipality ? ", " + who.municipality : ""})`;
    $("login").hidden = true;
    $("desk").hidden = false;
    $("presence-label").hidden = false;
    $("logout").hidden = false;
    show(null);
    connect();
    announce("ddh:signed-in", who);
  }

  // "Log ud": the session ends on the server (every process), the page returns to the
  // sign-in form; conversations the agent has stay theirs (the desk's rules apply).
  async function signOut() {
    const token = csrf;
    me = null;  // no reconnecting
    csrf = null;
    if (ws) ws.close();
    await fetch("/api/agent/logout", { method: "POST", credentials: "same-origin",
                                       headers: { "X-CSRF-Token": token || "" } }).catch(() => null);
    for (const id of convs.keys()) sessionStorage.removeItem(DRAFT + id);
    convs.clear();
    active = null;
    show(null);
    $("desk").hidden = true;
    $("presence-label").hidden = true;
    $("logout").hidden = true;
    $("who").textContent = "";
    $("password").value = "";
    $("login-error").textContent = "";
    $("login").hidden = false;
    delete document.body.dataset.role;
    announce("ddh:signed-out");
    $("username").focus();
  }

  window.ddhAgent = {
    me: () => me,
    active: () => active,
    get: (conversation) => convs.get(conversation),
    unread: () => [...convs.values()].reduce((n, c) => n + c.unread, 0),
    send: (frame) => sendFrame(frame),
    input: () => $("reply-text"),
  };

  // Already signed in (e.g. back from single sign-on)? Otherwise offer what is configured.
  fetch("/api/agent/me").then((r) => (r.ok ? r.json().then(signedIn) : null));
  fetch("/api/agent/config").then((r) => r.json()).then((c) => { $("sso").hidden = !c.sso; });

  $("login").addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await fetch("/api/agent/login", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: $("username").value, password: $("password").value }),
    });
    if (!r.ok) { $("login-error").textContent = "Forkert brugernavn eller adgangskode."; return; }
    signedIn(await r.json());
  });

  // A status chosen while the socket is still opening (just after sign-in, or on a
  // reconnect) is sent once it is open, not lost.
  function sendFrame(frame) {
    if (!ws) return;
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    else if (ws.readyState === WebSocket.CONNECTING) {
      const sock = ws;
      sock.addEventListener("open", () => sock.send(JSON.stringify(frame)), { once: true });
    }
  }

  $("presence").addEventListener("change", () =>
    sendFrame({ type: "presence", state: $("presence").value }));

  $("logout").addEventListener("click", signOut);

  $("reply").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("reply-text").value.trim();
    if (text && active) {
      send(text);
      $("reply-text").value = "";
      active.draft = "";
      sessionStorage.removeItem(DRAFT + active.conversation);
    }
  });

  $("reply-text").addEventListener("input", () => {
    if (active) {  // the draft survives switching conversations and a reload
      active.draft = $("reply-text").value;
      sessionStorage.setItem(DRAFT + active.conversation, active.draft);
    }
    typing();
  });

  $("route").addEventListener("submit", (e) => {
    e.preventDefault();
    if (!active) return;
    sendFrame({ type: "ticket", conversation: active.conversation, target: $("target").value,
                phone: $("phone").value || null, note: $("note").value });
  });

  $("transfer").addEventListener("click", () => {
    if (active) sendFrame({ type: "transfer", conversation: active.conversation, target: $("target").value });
  });

  $("load-callbacks").addEventListener("click", () => sendFrame({ type: "callbacks" }));

  $("forget").addEventListener("click", () => {
    if (active && confirm("Slet samtalen nu? Borgeren har bedt om det. Det kan ikke fortrydes.")) {
      sendFrame({ type: "forget", conversation: active.conversation });
    }
  });

  $("wrapup").addEventListener("submit", (e) => {
    e.preventDefault();
    if (!active) return;
    sendFrame({ type: "wrapup", conversation: active.conversation,
                outcome: $("outcome").value, note: $("note").value });
  });
})();
