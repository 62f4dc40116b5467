// The dashboard's beredskab section: publish and end crisis notices, and keep each
// notice's contact volume live (polled every 5 s). No framework, no CDN.
(() => {
  "use strict";
  const form = document.getElementById("notice-form");
  const body = document.querySelector("table.notices tbody");
  const status = document.getElementById("notice-status");
  if (!form || !body) return;
  const { send } = window.ddhConsole;
  const names = JSON.parse(body.closest("table").dataset.names || "{}");

  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function until(iso) {
    const d = new Date(iso);
    const pad = (n) => String(n).padStart(2, "0");
    return `${pad(d.getDate())}.${pad(d.getMonth() + 1)} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  function render(notices) {
    body.replaceChildren();
    if (!notices.length) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      const td = cell("Ingen aktuelle beskeder.");
      td.colSpan = 5;
      tr.append(td);
      body.append(tr);
      return;
    }
    for (const n of notices) {
      const tr = document.createElement("tr");
      tr.dataset.id = n.id;
      const title = cell(n.title + (n.live ? "" : " (afsluttet)"));
      if (n.live) {
        const b = document.createElement("button");
        b.className = "end";
        b.dataset.id = n.id;
        b.textContent = "Afslut";
        title.append(" ", b);
      }
      tr.append(title, cell(names[n.municipality] || n.municipality), cell(until(n.expires_at)),
        cell(String(n.contacts), "contacts"), cell(String(n.contacts_last_hour), "last-hour"));
      body.append(tr);
    }
  }

  async function refresh() {
    try {
      const res = await fetch("/api/admin/notices", { credentials: "same-origin" });
      if (res.ok) render(await res.json());
    } catch (e) { /* offline for a moment: the next poll tries again */ }
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const payload = {
      title: data.get("title"), text: data.get("text"),
      keywords: String(data.get("keywords") || "").split(",").map((k) => k.trim()).filter(Boolean),
      hours: Number(data.get("hours") || 24),
    };
    if (data.get("municipality")) payload.municipality = data.get("municipality");
    try {
      const n = await send("POST", "/api/admin/notices", payload);
      status.textContent = `Beskeden er udsendt: ${n.title}`;
      form.reset();
      await refresh();
    } catch (e) {
      status.textContent = `Beskeden blev ikke udsendt: ${e.message}`;
    }
  });

  body.addEventListener("click", async (ev) => {
    const b = ev.target.closest("button.end");
    if (!b) return;
    try {
      await send("POST", `/api/admin/notices/${encodeURIComponent(b.dataset.id)}/end`);
      status.textContent = "Beskeden er afsluttet.";
      await refresh();
    } catch (e) {
      status.textContent = `Kunne ikke afslutte: ${e.message}`;
    }
  });

  setInterval(refresh, 5000);
})();
