// "Mine tal" in the agent console: the signed-in agent's own figures per month
// (GET /api/admin/agents: an agent gets their own rows only). Danish number format.
(() => {
  "use strict";
  const button = document.getElementById("load-mine");
  const table = document.getElementById("mine");
  if (!button || !table) return;
  const da = (value, decimals) => value === null || value === undefined ? "–"
    : value.toLocaleString("da-DK", { minimumFractionDigits: decimals,
                                      maximumFractionDigits: decimals });

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  button.addEventListener("click", async () => {
    const res = await fetch("/api/admin/agents?months=3", { credentials: "same-origin" });
    const body = table.querySelector("tbody");
    body.replaceChildren();
    if (!res.ok) {
      const tr = document.createElement("tr");
      tr.append(cell("Tallene kunne ikke hentes."));
      body.append(tr);
    } else {
      const data = await res.json();
      for (const row of data.agents) {
        const tr = document.createElement("tr");
        tr.append(cell(row.month), cell(da(row.contacts, 0)),
          cell(row.straks_sag === null ? "–" : `${da(row.straks_sag * 100, 0)} %`),
          cell(row.handling_time_s === null ? "–" : `${da(row.handling_time_s / 60, 1)} min`),
          cell(da(row.satisfaction_mean, 1)));
        body.append(tr);
      }
    }
    table.hidden = false;
  });
})();
