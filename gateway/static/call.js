// "Ring op": talk to the same assistant by voice from the browser (WebRTC).
// The offer goes to POST /api/voice/offer with the page's municipality; the answer
// comes back with the bot's audio track. No build step, no libraries.
(() => {
  const button = document.getElementById("call");
  const status = document.getElementById("call-status");
  const audio = document.getElementById("call-audio");
  if (!button || !window.RTCPeerConnection) {
    if (button) button.hidden = true;
    return;
  }
  const params = new URLSearchParams(location.search);
  const municipality = params.get("municipality") || document.documentElement.dataset.municipality || null;
  let pc = null;
  let mic = null;

  function say(text) { status.textContent = text; }

  function gathered(conn) {
    if (conn.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { if (conn.iceGatheringState === "complete") resolve(); };
      conn.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, 2000);  // host candidates are enough on most networks
    });
  }

  async function start() {
    button.disabled = true;
    say("Forbinder …");
    try {
      mic = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      say("Du skal give adgang til mikrofonen for at ringe.");
      button.disabled = false;
      return;
    }
    pc = new RTCPeerConnection();
    mic.getTracks().forEach((t) => pc.addTrack(t, mic));
    pc.ontrack = (ev) => { if (ev.track.kind === "audio") audio.srcObject = ev.streams[0]; };
    pc.onconnectionstatechange = () => {
      if (pc && ["failed", "closed", "disconnected"].includes(pc.connectionState)) stop("Opkaldet er afsluttet.");
    };
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const r = await fetch("/api/voice/offer", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sdp: pc.localDescription.sdp, type: pc.localDescription.type, municipality }),
    });
    if (!r.ok) { stop("Opkaldet kunne ikke forbindes. Prøv igen senere."); return; }
    await pc.setRemoteDescription(await r.json());
    say("Du taler med den digitale assistent.");
    button.textContent = "Læg på";
    button.disabled = false;
  }

  function stop(text) {
    if (pc) pc.close();
    if (mic) mic.getTracks().forEach((t) => t.stop());
    pc = null; mic = null;
    button.textContent = "Ring op";
    button.disabled = false;
    say(text || "");
  }

  button.addEventListener("click", () => (pc ? stop("Du har lagt på.") : start()));
})();
