// The municipal guide editor: list, draft, submit, publish (by a second person), retire,
// history with diff and restore, over /api/admin/guides. No framework, no CDN, no
// inline script (the CSP forbids it).
(() => {
  "use strict";
  const main = document.querySelector("main.guides");
  const body = document.querySelector("table.guide-list tbody");
  const form = document.getElementById("guide-form");
  const status = document.getElementById("guide-status");
  const history = document.getElementById("history");
  const diff = document.getElementById("diff");
  if (!main || !body || !form) return;
  const municipality = main.dataset.municipality || "";
  const topics = JSON.parse(main.dataset.topics || "{}");
  const LABELS = { draft: "Kladde", published: "Udgivet", retired: "Trukket tilbage" };
  const VERSION_LABELS = { draft: "kladde", submitted: "venter på godkendelse",
    published: "udgivet", superseded: "erstattet", retired: "trukket tilbage" };
  const { send } = window.ddhConsole;

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function button(text, handler, cls) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.className = cls || "secondary";
    b.addEventListener("click", handler);
    return b;
  }

  async function act(promise, done) {
    try {
      await promise;
      say(done);
      await load();
    } catch (e) {
      say(e.message, true);
    }
  }

  function statusText(g) {
    let text = LABELS[g.status] || g.status;
    if (g.draft_version && g.status !== "draft") {
      text += ` · kladde v${g.draft_version} ${g.submitted ? "venter på godkendelse" : "i arbejde"}`;
    } else if (g.submitted) {
      text += " · venter på godkendelse";
    }
    return text;
  }

  function row(g) {
    const tr = document.createElement("tr");
    tr.dataset.id = g.id;
    if (location.hash === "#" + g.id) tr.className = "highlight";
    tr.append(cell(g.title), cell(topics[g.topic] || g.topic), cell(statusText(g), "status status--" + g.status),
      cell(g.published_version ? `v${g.version} (udgivet: v${g.published_version})` : `v${g.version}`),
      cell(g.owner), cell(g.review_by || "–"));
    const td = document.createElement("td");
    td.append(button("Rediger", () => edit(g.id)), button("Historik", () => showHistory(g)));
    if (g.draft_version && !g.submitted) {
      td.append(button("Send til godkendelse", () => act(
        send("POST", `/api/admin/guides/${g.id}/submit`),
        "Kladden er sendt til godkendelse.")));
    }
    if (g.draft_version) {
      td.append(button("Godkend og udgiv", () => act(
        send("POST", `/api/admin/guides/${g.id}/publish`),
        "Vejledningen er udgivet og bruges nu af chat og telefon."), "publish"));
    }
    if (g.status === "published") {
      td.append(button("Træk tilbage", () => act(
        send("POST", `/api/admin/guides/${g.id}/retire`),
        "Vejledningen er trukket tilbage og bruges ikke længere.")));
    }
    tr.append(td);
    return tr;
  }

  async function load() {
    const query = municipality ? `?municipality=${municipality}` : "";
    const res = await fetch(`/api/admin/guides${query}`, { credentials: "same-origin" });
    if (!res.ok) return;
    const guides = await res.json();
    body.replaceChildren();
    if (!guides.length) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      const td = cell("Kommunen har endnu ingen vejledninger her.");
      td.colSpan = 7;
      tr.append(td);
      body.append(tr);
      return;
    }
    guides.forEach((g) => body.append(row(g)));
  }

  function lines(text) {
    return text.split("\n").map((l) => l.trim()).filter(Boolean);
  }

  function fields() {
    const data = new FormData(form);
    const out = {
      title: data.get("title"), topic: data.get("topic"), summary: data.get("summary"),
      steps: lines(data.get("steps") || ""), keywords: lines(data.get("keywords") || ""),
      url: data.get("url"), body: data.get("body") || "",
      review_by: data.get("review_by") || null, owner: data.get("owner") || null,
    };
    if (data.get("municipality")) out.municipality = data.get("municipality");
    return out;
  }

  function fill(id, v) {
    form.elements.id.value = id || "";
    for (const name of ["title", "topic", "summary", "url", "body", "review_by"]) {
      form.elements[name].value = (v && v[name]) || "";
    }
    form.elements.steps.value = v ? v.steps.join("\n") : "";
    form.elements.keywords.value = v ? v.keywords.join("\n") : "";
    document.getElementById("form-title").textContent = id ? `Rediger: ${v.title}` : "Ny vejledning";
  }

  async function edit(id) {
    try {
      const g = await send("GET", `/api/admin/guides/${id}`);
      fill(id, g.latest);
      form.elements.owner.value = g.owner || "";
      say(`Du redigerer version ${g.latest.version}. Når du gemmer, bliver det en ny kladde.`);
      form.scrollIntoView();
    } catch (e) {
      say(e.message, true);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = form.elements.id.value;
    try {
      const saved = id ? await send("PUT", `/api/admin/guides/${id}`, fields())
        : await send("POST", "/api/admin/guides", fields());
      const version = saved.version;
      form.elements.id.value = saved.guide_id || saved.id;
      document.getElementById("form-title").textContent = `Rediger: ${saved.title}`;
      say(`Kladden er gemt (version ${version}). En anden skal godkende den, før den bruges.`);
      await load();
    } catch (e) {
      say(e.message, true);
    }
  });

  document.getElementById("new-guide").addEventListener("click", () => {
    fill(null, null);
    form.elements.owner.value = "";
    say("");
  });

  function showDiff(text) {
    diff.replaceChildren();
    for (const line of text.split("\n")) {
      const span = document.createElement("span");
      span.textContent = line + "\n";
      if (line.startsWith("+") && !line.startsWith("+++")) span.className = "add";
      if (line.startsWith("-") && !line.startsWith("---")) span.className = "del";
      diff.append(span);
    }
  }

  async function showHistory(g) {
    try {
      const versions = await send("GET", `/api/admin/guides/${g.id}/history`);
      history.hidden = false;
      document.getElementById("history-title").textContent = g.title;
      const tbody = history.querySelector("tbody");
      tbody.replaceChildren();
      diff.replaceChildren();
      for (const v of versions.slice().reverse()) {
        const tr = document.createElement("tr");
        tr.dataset.version = v.version;
        tr.append(cell(`v${v.version}`), cell(VERSION_LABELS[v.status] || v.status),
          cell(v.author), cell(v.reviewer || "–"),
          cell(new Date(v.created_at).toLocaleString("da-DK")));
        const td = document.createElement("td");
        if (v.version > 1) {
          td.append(button("Vis ændringer", async () => {
            try {
              const d = await send("GET",
                `/api/admin/guides/${g.id}/diff?from=${v.version - 1}&to=${v.version}`);
              showDiff(d.diff || "Ingen ændringer.");
            } catch (e) {
              say(e.message, true);
            }
          }));
        }
        td.append(button("Gendan", () => act(
          send("POST", `/api/admin/guides/${g.id}/restore`, { version: v.version })
            .then(() => showHistory(g)),
          `Version ${v.version} er gendannet som en ny kladde.`)));
        tr.append(td);
        tbody.append(tr);
      }
      history.scrollIntoView();
    } catch (e) {
      say(e.message, true);
    }
  }

  load();
})();
