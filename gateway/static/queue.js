// The console's queue list. agent.js opens the socket with ?view=delta: the server sends
// the whole queue once ("queue") and then only what changed ("queue_delta": remove, upsert,
// and, when the order changed otherwise, order; elsewhere when its counts changed), so a
// change costs a few hundred bytes rather than the whole list on every console
// (gateway/queue_view.py applies the same rules for scripts and tests). The wait beside
// each citizen is counted here from enqueued_at and the server's clock. After every frame
// the page's other scripts get the list and the counts elsewhere as "ddh:queue"
// ({entries, elsewhere}); desk.js colours it, notify.js counts it.
(() => {
  const $ = (id) => document.getElementById(id);
  let ws = null;
  let shown = new Map();  // entry id → entry, in service order
  let elsewhere = [];
  let offset = 0;  // the server's clock minus this browser's, in seconds
  const items = new Map();  // entry id → its <li>

  function waited(e) {
    return Math.max(0, Math.round(Date.now() / 1000 + offset - e.enqueued_at));
  }

  function label(e) {
    return `${e.topic || "andet"} · ${e.channel} · ${waited(e)} s` + (e.reason ? ` · ${e.reason}` : "");
  }

  function item(e) {
    const li = document.createElement("li");
    li.entry = e;
    if (e.priority > 0) li.classList.add("crisis");
    li.dataset.handoff = e.id;
    li.dataset.conversation = e.conversation;
    const h = document.createElement("strong");
    h.textContent = label(e);
    const p = document.createElement("p");
    p.textContent = e.summary;
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = "Tag samtalen";  // at capacity the desk says so
    b.addEventListener("click", () => ws && ws.send(JSON.stringify({ type: "accept", id: e.id })));
    li.append(h, p, b);
    return li;
  }

  // Only the items that changed are made again, so focus and screen readers stay put.
  function render() {
    const ol = $("queue");
    for (const [id, li] of items) {
      if (!shown.has(id)) { li.remove(); items.delete(id); }
    }
    let at = 0;
    for (const e of shown.values()) {
      let li = items.get(e.id);
      if (!li || li.entry !== e) {
        const fresh = item(e);
        if (li) li.replaceWith(fresh);
        items.set(e.id, li = fresh);
      }
      if (ol.children[at] !== li) ol.insertBefore(li, ol.children[at] || null);
      at += 1;
    }
    $("queue-empty").hidden = shown.size > 0;
    document.dispatchEvent(new CustomEvent("ddh:queue", {
      detail: { entries: [...shown.values()], elsewhere } }));
  }

  function apply(ev) {
    if (typeof ev.now === "number") offset = ev.now - Date.now() / 1000;
    if (ev.type === "queue") {
      shown = new Map(ev.entries.map((e) => [e.id, e]));
      elsewhere = ev.elsewhere || [];
    } else {
      for (const id of ev.remove || []) shown.delete(id);
      for (const e of ev.upsert || []) shown.set(e.id, e);  // a known id keeps its place
      if (ev.order) shown = new Map(ev.order.filter((id) => shown.has(id)).map((id) => [id, shown.get(id)]));
      if (ev.elsewhere) elsewhere = ev.elsewhere;
    }
    render();
  }

  function onFrame(m) {
    const ev = JSON.parse(m.data);
    if (ev.type === "queue" || ev.type === "queue_delta") apply(ev);
  }

  setInterval(() => {
    for (const li of items.values()) li.firstChild.textContent = label(li.entry);
  }, 1000);

  document.addEventListener("ddh:socket", (e) => {
    ws = e.detail;
    ws.addEventListener("message", onFrame);
  });
  document.addEventListener("ddh:signed-out", () => {
    shown = new Map();
    elsewhere = [];
    render();
  });
})();
