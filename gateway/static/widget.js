// Embed the chat on a municipality's site:
//   <script src="https://frontdesk.example.dk/static/widget.js" data-municipality="0751" async></script>
// A "Chat med os" button opens the chat in an iframe from the gateway, so the page
// needs no other code. The chat is loaded on the first open (a visitor who never opens
// it starts no conversation); closing keeps it, and a message that arrives while it is
// closed shows as a count on the button. On a phone the chat fills the screen (its
// input stays in view above the on-screen keyboard); elsewhere it is a panel.
// Styles are set through the DOM (no inline <style>), so a strict CSP on the host page
// does not block them.
(() => {
  const me = document.currentScript;
  const base = new URL(me.src).origin;
  const code = me.dataset.municipality || "";
  const label = me.dataset.label || "Chat med os";
  const FONT = "600 1rem system-ui, sans-serif";
  let unread = 0, loaded = false;

  const btn = document.createElement("button");
  btn.type = "button";
  btn.setAttribute("aria-expanded", "false");
  btn.style.cssText = "position:fixed;right:1rem;bottom:1rem;z-index:2147483000;padding:.8rem 1.2rem;" +
    `border-radius:2rem;border:0;background:#0b4f8a;color:#fff;font:${FONT};cursor:pointer;` +
    "min-height:44px;box-shadow:0 2px 8px rgba(0,0,0,.25)";
  const text = document.createElement("span");
  text.textContent = label;
  const badge = document.createElement("span");
  badge.className = "ddh-chat-badge";
  badge.style.cssText = "display:none;margin-left:.5rem;min-width:1.5rem;padding:0 .4rem;" +
    "border-radius:1rem;background:#b3261e;color:#fff;font:700 .9rem system-ui, sans-serif;" +
    "line-height:1.5rem;text-align:center";
  btn.append(text, badge);

  const panel = document.createElement("div");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "Chat med kommunen");
  panel.style.cssText = "position:fixed;z-index:2147483001;display:none;flex-direction:column;" +
    "background:#fff;border:1px solid #ccc;border-radius:.6rem;overflow:hidden;" +
    "box-shadow:0 4px 16px rgba(0,0,0,.25)";
  const bar = document.createElement("div");
  bar.style.cssText = "display:flex;align-items:center;justify-content:space-between;gap:.5rem;" +
    `padding:.25rem .25rem .25rem .75rem;background:#0b4f8a;color:#fff;font:${FONT};flex:none`;
  const title = document.createElement("span");
  title.textContent = "Chat med kommunen";
  const close = document.createElement("button");
  close.type = "button";
  close.textContent = "×";
  close.setAttribute("aria-label", "Luk chatten");
  close.style.cssText = "min-width:44px;min-height:44px;border:0;background:transparent;color:#fff;" +
    "font:700 1.6rem system-ui, sans-serif;cursor:pointer";
  bar.append(title, close);
  const frame = document.createElement("iframe");
  frame.title = "Chat med kommunen";
  frame.style.cssText = "border:0;width:100%;flex:1 1 auto;min-height:0;display:block";
  panel.append(bar, frame);

  const phone = window.matchMedia("(max-width: 480px)");
  function place() {  // full screen on a phone; a panel above the button elsewhere
    const s = panel.style;
    if (phone.matches) {
      s.left = "0"; s.top = "0"; s.right = "0"; s.bottom = "auto"; s.width = "100%";
      s.height = "100vh"; s.height = "100dvh";  // the second wins where dvh is known
      s.borderRadius = "0";
    } else {
      s.left = "auto"; s.top = "auto"; s.right = "1rem"; s.bottom = "4.5rem";
      s.width = "min(26rem, calc(100vw - 2rem))";
      s.height = "min(40rem, calc(100vh - 6rem))"; s.height = "min(40rem, calc(100dvh - 6rem))";
      s.borderRadius = ".6rem";
    }
  }
  phone.addEventListener("change", place);
  place();

  function showUnread() {
    badge.style.display = unread ? "inline-block" : "none";
    badge.textContent = String(unread);
    btn.setAttribute("aria-label", unread ? `${label} – ${unread} ${unread === 1 ? "ny besked" : "nye beskeder"}` : label);
  }
  function isOpen() { return panel.style.display !== "none"; }
  function setOpen(open) {
    if (open && !loaded) {
      frame.src = `${base}/?municipality=${encodeURIComponent(code)}&embed=1`;
      loaded = true;
    }
    panel.style.display = open ? "flex" : "none";
    btn.setAttribute("aria-expanded", String(open));
    btn.style.display = open && phone.matches ? "none" : "";  // the panel covers it
    if (open) { unread = 0; showUnread(); frame.focus(); } else { btn.focus(); }
  }
  btn.addEventListener("click", () => setOpen(!isOpen()));
  close.addEventListener("click", () => setOpen(false));
  panel.addEventListener("keydown", e => { if (e.key === "Escape") setOpen(false); });
  window.addEventListener("message", e => {  // only from our own frame; never any text
    if (e.origin !== base || e.source !== frame.contentWindow) return;
    const data = e.data || {};
    if (data.source !== "ddh-chat") return;
    if (data.type === "message" && !isOpen()) { unread += 1; showUnread(); }
    if (data.type === "availability") {
      title.textContent = data.person_now ? "Chat – medarbejder til stede" : "Chat med kommunen";
    }
  });
  showUnread();
  document.body.append(panel, btn);
})();
