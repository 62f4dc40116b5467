// The agent console's jumpseat advice: on a jumpseat shift the console asks
// /api/shifts/advice every 30 s and says whether to hop off the DDH line (back to
// municipal work) or on. "Gå af"/"Gå på" records it (POST /api/shifts/{id}/hop) and
// sets the console's presence to away / available, so the queue counts it too.
(() => {
  "use strict";
  const box = document.getElementById("jumpseat");
  if (!box) return;
  const text = box.querySelector(".jumpseat__text");
  const off = box.querySelector(".jumpseat__off");
  const on = box.querySelector(".jumpseat__on");
  let shift = null;

  function presence(state) {
    const select = document.getElementById("presence");
    if (!select) return;
    select.value = state;
    select.dispatchEvent(new Event("change"));
  }

  async function hop(state) {
    if (!shift) return;
    try {
      await window.ddhConsole.send("POST", `/api/shifts/${shift}/hop`, { state });
      presence(state === "off" ? "away" : "available");
      poll();
    } catch (err) {
      text.textContent = `Jumpseat: ${err.message}`;
    }
  }

  async function poll() {
    const res = await fetch("/api/shifts/advice", { credentials: "same-origin" });
    if (!res.ok) { box.hidden = true; return; }
    const a = await res.json();
    if (!a.advice) { box.hidden = true; shift = null; return; }
    shift = a.shift.id;
    box.hidden = false;
    box.dataset.advice = a.advice;
    text.textContent = `Jumpseat: ${a.text} (${a.waiting} venter, ${a.others_on_line} andre på linjen)`;
    off.hidden = a.off_line || a.advice !== "off";
    on.hidden = !a.off_line;
  }

  off.addEventListener("click", () => hop("off"));
  on.addEventListener("click", () => hop("on"));
  poll();
  setInterval(poll, 30000);
  // signing in shows the desk: ask at once rather than at the next half minute
  const desk = document.getElementById("desk");
  if (desk) new MutationObserver(() => { if (!desk.hidden) poll(); })
    .observe(desk, { attributes: true, attributeFilter: ["hidden"] });
})();
