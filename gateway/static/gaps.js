// The knowledge-gap page: "Opret kladde" saves a cluster's draft as a new local guide
// (POST /api/admin/gaps/{id}/draft) and opens it in the guide editor.
(() => {
  "use strict";
  const status = document.getElementById("gap-status");
  const { send } = window.ddhConsole;
  for (const form of document.querySelectorAll("form.gap-draft")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const topic = form.querySelector("select[name=topic]").value;
      try {
        const saved = await send("POST",
          `/api/admin/gaps/${form.dataset.cluster}/draft?${form.dataset.query}`, { topic });
        location.assign(`/admin/guides#${saved.id}`);
      } catch (err) {
        status.textContent = `Kladden blev ikke oprettet: ${err.message}`;
      }
    });
  }
})();
