// One short tone for the agent console (Web Audio, no sound file), shared by the desk
// (a new SLA breach) and the notifications (a new offer or citizen): one AudioContext
// per page, as browsers limit how many a page may open, resumed on use because browsers
// suspend it until the agent has clicked or pressed a key.
(() => {
  "use strict";
  let audio = null;

  /** Play a tone; returns false where the browser cannot (the caller still shows it). */
  function beep({ frequency = 660, seconds = 0.25, volume = 0.1 } = {}) {
    try {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return false;
      audio = audio || new Ctx();
      if (audio.state === "suspended") audio.resume();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = frequency;
      gain.gain.setValueAtTime(volume, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + seconds);
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + seconds);
      return true;
    } catch (err) {
      return false;
    }
  }

  window.ddhSound = { beep };
})();
