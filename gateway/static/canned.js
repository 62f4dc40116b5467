// Canned replies (standardsvar) in the agent console (GET/POST/PATCH/DELETE /api/canned).
// In the reply box "/" and a shortcut opens a list of the replies of the conversation's
// queue (DDH's and the municipality's): arrow keys move, Enter or Tab inserts, Escape
// closes; the "Standardsvar" button opens the same list. {agent} becomes the agent's
// first name. Managers and administrators keep the replies in the "Standardsvar" panel.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const box = $("reply-text");
  const list = $("canned-suggest");
  const menu = $("canned-menu");
  if (!box || !list) return;
  let replies = [];
  let shown = [];  // the replies in the list now
  let selected = 0;
  let slash = null;  // {start, end}: the "/code" being typed; null: opened from the menu
  const seen = window.ddhCanned = { inserted: 0 };  // for tests

  async function load() {
    const res = await fetch("/api/canned", { credentials: "same-origin" });
    replies = res.ok ? await res.json() : [];
    renderAdmin();
  }

  function firstName() {
    const me = window.ddhAgent && window.ddhAgent.me();
    return me ? me.name.split(/\s+/)[0] : "";
  }

  function forConversation() {
    const conv = window.ddhAgent && window.ddhAgent.active();
    const queues = new Set(["ddh", conv && conv.municipality, conv && conv.queue]);
    return replies.filter((r) => queues.has(r.queue))
      .sort((a, b) => a.shortcut.localeCompare(b.shortcut, "da"));
  }

  // --- the suggestion list ----------------------------------------------------------
  function close() {
    list.hidden = true;
    list.replaceChildren();
    box.removeAttribute("aria-activedescendant");
    box.setAttribute("aria-expanded", "false");
    shown = [];
    slash = null;
  }

  function open(matches) {
    shown = matches;
    selected = 0;
    list.replaceChildren();
    if (!matches.length) { close(); return; }
    matches.forEach((r, i) => {
      const li = document.createElement("li");
      li.id = `canned-option-${r.id}`;
      li.setAttribute("role", "option");
      const code = document.createElement("span");
      code.className = "console__suggest-code";
      code.textContent = `/${r.shortcut}`;
      li.append(code, r.title);
      li.title = r.text;
      li.addEventListener("mousedown", (e) => { e.preventDefault(); choose(i); });
      list.appendChild(li);
    });
    list.hidden = false;
    box.setAttribute("aria-expanded", "true");
    mark();
  }

  function mark() {
    [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === selected)));
    const li = list.children[selected];
    if (li) {
      box.setAttribute("aria-activedescendant", li.id);
      li.scrollIntoView({ block: "nearest" });
    }
  }

  function choose(i) {
    const r = shown[i];
    if (!r) return;
    const text = r.text.replaceAll("{agent}", firstName());
    const at = slash || { start: box.selectionStart, end: box.selectionEnd };
    box.value = box.value.slice(0, at.start) + text + box.value.slice(at.end);
    const caret = at.start + text.length;
    close();
    box.focus({ preventScroll: true });
    box.setSelectionRange(caret, caret);
    seen.inserted += 1;
    box.dispatchEvent(new Event("input", { bubbles: true }));  // the draft is kept
  }

  // "/code" right before the caret, at the start or after a space
  function typed() {
    const before = box.value.slice(0, box.selectionStart);
    const m = /(^|\s)\/([\wæøå-]*)$/i.exec(before);
    if (!m) return null;
    return { start: before.length - m[2].length - 1, end: box.selectionStart,
             code: m[2].toLowerCase() };
  }

  box.addEventListener("input", (e) => {
    if (!e.isTrusted && !e.inputType) return;  // our own insertion
    const t = typed();
    if (!t) { if (slash) close(); return; }
    const mine = forConversation();
    const matches = mine.filter((r) => r.shortcut.startsWith(t.code))
      .concat(mine.filter((r) => !r.shortcut.startsWith(t.code) &&
                               r.title.toLowerCase().includes(t.code) && t.code));
    open(matches);
    slash = matches.length ? { start: t.start, end: t.end } : null;
  });

  box.addEventListener("keydown", (e) => {
    if (list.hidden) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      selected = (selected + (e.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
      mark();
    } else if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      choose(selected);
    } else if (e.key === "Escape") {
      e.preventDefault();
      close();
    }
  });

  box.addEventListener("blur", () => setTimeout(() => {
    if (document.activeElement !== box && document.activeElement !== menu) close();
  }, 150));

  if (menu) {
    menu.addEventListener("click", () => {
      if (!list.hidden) { close(); return; }
      const mine = forConversation();
      if (!mine.length) {
        $("reply-status").textContent = "Der er ingen standardsvar for denne kø endnu.";
        return;
      }
      box.focus({ preventScroll: true });
      open(mine);
      slash = null;
    });
  }

  document.addEventListener("ddh:switched", close);
  document.addEventListener("ddh:signed-in", load);
  document.addEventListener("ddh:signed-out", () => { replies = []; close(); });
  setInterval(() => { if (window.ddhAgent && window.ddhAgent.me()) load(); }, 300000);

  // --- managers and administrators keep them ------------------------------------------
  const panel = $("canned-admin");
  const form = $("canned-form");

  function keeper() {
    const me = window.ddhAgent && window.ddhAgent.me();
    return me && (me.role === "admin" || me.role === "manager") ? me : null;
  }

  function fill(r) {
    const me = keeper();
    $("canned-id").value = r ? r.id : "";
    $("canned-queue").value = r ? r.queue : (me && me.role === "manager" ? me.municipality : "ddh");
    $("canned-queue").readOnly = Boolean(r) || (me && me.role === "manager");
    $("canned-shortcut").value = r ? r.shortcut : "";
    $("canned-title-input").value = r ? r.title : "";
    $("canned-text").value = r ? r.text : "";
  }

  function renderAdmin() {
    const me = keeper();
    if (!panel) return;
    panel.hidden = !me;
    if (!me) return;
    const ul = $("canned-list");
    ul.replaceChildren();
    for (const r of replies.filter((x) => x.editable)) {
      const li = document.createElement("li");
      li.dataset.id = r.id;
      const what = document.createElement("span");
      what.textContent = `${r.queue} · /${r.shortcut} · ${r.title} `;
      const edit = document.createElement("button");
      edit.type = "button"; edit.className = "secondary small"; edit.textContent = "Ret";
      edit.addEventListener("click", () => fill(r));
      const del = document.createElement("button");
      del.type = "button"; del.className = "secondary small"; del.textContent = "Slet";
      del.addEventListener("click", async () => {
        if (!confirm(`Slet standardsvaret /${r.shortcut}?`)) return;
        await act("DELETE", `/api/canned/${r.id}`, undefined, "Slettet.");
      });
      li.append(what, edit, " ", del);
      ul.appendChild(li);
    }
    if (!$("canned-id").value) fill(null);
  }

  async function act(method, path, payload, done) {
    try {
      await window.ddhConsole.send(method, path, payload);
      $("canned-status").textContent = done;
      fill(null);
      await load();
    } catch (err) {
      $("canned-status").textContent = `Kunne ikke gemmes: ${err.message}`;
    }
  }

  if (form) {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const id = $("canned-id").value;
      const body = { shortcut: $("canned-shortcut").value.trim().toLowerCase(),
                     title: $("canned-title-input").value, text: $("canned-text").value };
      if (id) act("PATCH", `/api/canned/${id}`, body, "Gemt.");
      else act("POST", "/api/canned", { ...body, queue: $("canned-queue").value.trim() }, "Gemt.");
    });
    $("canned-new").addEventListener("click", () => { fill(null); $("canned-status").textContent = ""; });
  }
})();
