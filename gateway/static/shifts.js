// The shift plan page: give a shift up, pick an open one, mark a jumpseat, plan a week
// (the JSON API of gateway/api/routes/shifts.py), then show the page again.
(() => {
  "use strict";
  const status = document.getElementById("shift-status");
  const { send } = window.ddhConsole;

  async function act(method, path, payload) {
    try {
      await send(method, path, payload);
      location.reload();
    } catch (err) {
      status.textContent = `Det lykkedes ikke: ${err.message}`;
    }
  }

  for (const button of document.querySelectorAll("button.shift-action")) {
    button.addEventListener("click", () => {
      const id = button.dataset.shift;
      const action = button.dataset.action;
      if (action === "pick") {
        const choice = button.parentElement.querySelector("select.shift-for");
        act("POST", `/api/shifts/${id}/pick`, choice ? { municipality: choice.value } : {});
      } else if (action === "give-up") {
        act("POST", `/api/shifts/${id}/give-up`);
      } else if (action === "jumpseat") {
        act("POST", `/api/shifts/${id}/jumpseat`, { jumpseat: button.dataset.on === "true" });
      }
    });
  }

  const plan = document.getElementById("shift-plan");
  if (plan) {
    plan.addEventListener("submit", (event) => {
      event.preventDefault();
      act("POST", "/api/shifts/plan", { week: plan.dataset.week });
    });
  }
})();
