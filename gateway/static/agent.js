// The agent console: sign in, see the queue live, accept, chat, send guides, wrap up.
// One WebSocket (/api/agent/ws) carries everything; no framework, no build step.
(() => {
  const $ = (id) => document.getElementById(id);
  let ws = null;
  let csrf = null;
  let active = null;  // {conversation, handoff, municipality, lastCitizen}

  function line(role, text, name) {
    const li = document.createElement("li");
    li.className = `msg msg--${role === "citizen" ? "citizen" : role === "agent" ? "agent" : "bot"}`;
    li.textContent = (name ? name + ": " : "") + text;
    $("transcript").appendChild(li);
    li.scrollIntoView({ block: "end" });
  }

  function renderQueue(entries) {
    const ol = $("queue");
    ol.replaceChildren();
    $("queue-empty").hidden = entries.length > 0;
    for (const e of entries) {
      const li = document.createElement("li");
      if (e.priority > 0) li.classList.add("crisis");
      li.dataset.handoff = e.id;
      const h = document.createElement("strong");
      h.textContent = `${e.topic || "andet"} · ${e.channel} · ${Math.round(e.waiting_s)} s` +
        (e.reason ? ` · ${e.reason}` : "");
      const p = document.createElement("p");
      p.textContent = e.summary;
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = "Tag samtalen";
      b.disabled = active !== null;
      b.addEventListener("click", () => ws.send(JSON.stringify({ type: "accept", id: e.id })));
      li.append(h, p, b);
      ol.appendChild(li);
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

  function open(ev) {
    $("target").value = ev.municipality || "ddh";
    active = { conversation: ev.conversation, handoff: ev.handoff, municipality: ev.municipality, lastCitizen: "" };
    $("active").hidden = false;
    // The reason a person is needed: the grounded summary words it on its "Årsag" line;
    // a summary the language model wrote may not, so it is added.
    const reason = ev.reason && !/^Årsag:/m.test(ev.summary) ? `\nÅrsag: ${ev.reason}` : "";
    $("packet").textContent = `${ev.summary}${reason}\nVentede ${Math.round(ev.waited_s)} s · ${ev.channel}`;
    $("transcript").replaceChildren();
    $("citizen-state").textContent = "";
    for (const t of ev.transcript) {
      line(t.role, t.text);
      if (t.role === "citizen") active.lastCitizen = t.text;
    }
    assist();
    $("reply-text").focus();
  }

  function assist() {
    if (active && active.lastCitizen) {
      ws.send(JSON.stringify({ type: "assist", conversation: active.conversation,
                               text: active.lastCitizen, municipality: active.municipality }));
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
  let citizenTimer = null;
  function citizenState(ev) {
    clearTimeout(citizenTimer);
    if (ev.type === "typing") {
      $("citizen-state").textContent = "Borgeren skriver …";
      citizenTimer = setTimeout(() => { $("citizen-state").textContent = ""; }, 6000);
    } else {
      $("citizen-state").textContent = ev.online ? "" : "Borgeren har lukket chatten eller mistet forbindelsen.";
    }
  }

  let typingSent = 0;
  function typing() {  // the citizen sees that the agent writes, at most every 2 s
    if (!active || !ws || ws.readyState !== WebSocket.OPEN || Date.now() - typingSent < 2000) return;
    typingSent = Date.now();
    ws.send(JSON.stringify({ type: "typing", conversation: active.conversation }));
  }

  function send(text) {
    ws.send(JSON.stringify({ type: "message", conversation: active.conversation, text }));
    line("agent", text);
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(`${proto}//${location.host}/api/agent/ws`);
    ws.onmessage = (m) => {
      const ev = JSON.parse(m.data);
      if (ev.type === "queue") renderQueue(ev.entries);
      else if (ev.type === "accepted") open(ev);
      else if (ev.type === "message" && active && ev.conversation === active.conversation) {
        line(ev.role, ev.text);
        if (ev.role === "citizen") citizenState({ type: "presence", online: true });
        if (ev.text.split(/\s+/).length >= 3) {  // "tak" needs no new suggestions
          active.lastCitizen = ev.text;
          assist();
        }
      } else if ((ev.type === "typing" || ev.type === "presence") && active
                 && ev.conversation === active.conversation) {
        citizenState(ev);
      } else if (ev.type === "assist") showAssist(ev.guides);
      else if (ev.type === "forgotten" && ev.ok) {  // deleted on the citizen's request
        active = null;
        $("active").hidden = true;
      } else if (ev.type === "wrapped" && ev.ok) {
        active = null;
        $("active").hidden = true;
        $("presence").value = "wrap-up";
      }
    };
    ws.onclose = () => setTimeout(connect, 2000);
  }

  async function signedIn(me) {
    if (me.role === "editor") { // a municipality's guide editor has no queue: to the guides
      location.assign("/admin/guides");
      return;
    }
    csrf = me.csrf;
    $("who").textContent = `${me.name} (${me.role}${me.municipality ? ", " + me.municipality : ""})`;
    $("login").hidden = true;
    $("desk").hidden = false;
    $("presence-label").hidden = false;
    connect();
  }

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

  $("presence").addEventListener("change", () =>
    ws.send(JSON.stringify({ type: "presence", state: $("presence").value })));

  $("reply").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("reply-text").value.trim();
    if (text && active) { send(text); $("reply-text").value = ""; }
  });

  $("reply-text").addEventListener("input", typing);

  $("route").addEventListener("submit", (e) => {
    e.preventDefault();
    if (!active) return;
    ws.send(JSON.stringify({ type: "ticket", conversation: active.conversation, target: $("target").value,
                             phone: $("phone").value || null, note: $("note").value }));
  });

  $("transfer").addEventListener("click", () => {
    if (active) ws.send(JSON.stringify({ type: "transfer", conversation: active.conversation, target: $("target").value }));
  });

  $("load-callbacks").addEventListener("click", () => ws.send(JSON.stringify({ type: "callbacks" })));

  $("forget").addEventListener("click", () => {
    if (active && confirm("Slet samtalen nu? Borgeren har bedt om det. Det kan ikke fortrydes.")) {
      ws.send(JSON.stringify({ type: "forget", conversation: active.conversation }));
    }
  });

  $("wrapup").addEventListener("submit", (e) => {
    e.preventDefault();
    if (!active) return;
    ws.send(JSON.stringify({ type: "wrapup", conversation: active.conversation,
                             outcome: $("outcome").value, note: $("note").value }));
  });
})();
