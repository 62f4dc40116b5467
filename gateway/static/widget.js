// Embed the chat on a municipality's site:
//   <script src="https://frontdesk.example.dk/static/widget.js" data-municipality="0751" async></script>
// The chat opens in an iframe from the gateway, so the page needs no other code.
(() => {
  const me = document.currentScript;
  const base = new URL(me.src).origin;
  const code = me.dataset.municipality || "";
  const btn = document.createElement("button");
  btn.textContent = me.dataset.label || "Chat med os";
  btn.setAttribute("aria-expanded", "false");
  btn.style.cssText = "position:fixed;right:1rem;bottom:1rem;z-index:2147483000;padding:.8rem 1.2rem;" +
    "border-radius:2rem;border:0;background:#0b4f8a;color:#fff;font:600 1rem system-ui;cursor:pointer";
  const frame = document.createElement("iframe");
  frame.title = "Chat med kommunen";
  frame.src = `${base}/?municipality=${encodeURIComponent(code)}`;
  frame.style.cssText = "position:fixed;right:1rem;bottom:4.5rem;width:min(26rem,calc(100vw - 2rem));" +
    "height:min(40rem,calc(100vh - 6rem));border:1px solid #ccc;border-radius:.6rem;display:none;" +
    "z-index:2147483000;background:#fff";
  btn.addEventListener("click", () => {
    const open = frame.style.display === "none";
    frame.style.display = open ? "block" : "none";
    btn.setAttribute("aria-expanded", String(open));
  });
  document.body.append(frame, btn);
})();
