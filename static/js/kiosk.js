// Store Kiosk behaviour that htmx does not cover: the keypad, the idle lock, the scan field.
// No inline script anywhere (the CSP forbids it); everything hangs off data- attributes.
(function () {
  "use strict";

  // Numeric keypad: taps type into the input named by data-keypad-for.
  document.addEventListener("click", function (event) {
    var key = event.target.closest("[data-key]");
    if (!key) return;
    var pad = key.closest("[data-keypad-for]");
    var input = pad && document.getElementById(pad.dataset.keypadFor);
    if (!input) return;
    var value = key.dataset.key;
    if (value === "clear") input.value = "";
    else if (value === "back") input.value = input.value.slice(0, -1);
    else if (!input.maxLength || input.maxLength < 0 || input.value.length < input.maxLength) input.value += value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.focus();
  });

  // Idle lock: warn, then lock back to the PIN screen. The server enforces the same
  // limit, so a tablet with a stopped script still locks on its next request.
  function setUpIdleLock() {
    var body = document.body;
    var idle = parseInt(body.dataset.idleSeconds || "0", 10);
    if (!idle) return;
    var warnFor = parseInt(body.dataset.idleWarningSeconds || "30", 10);
    var dialog = document.getElementById("idle-warning");
    var countdown = dialog && dialog.querySelector("[data-idle-countdown]");
    var lockForm = document.getElementById("lock-form");
    var lastActivity = Date.now();
    var warned = false;

    function activity() {
      lastActivity = Date.now();
      if (warned) {
        warned = false;
        if (dialog && dialog.open) dialog.close();
        // Tell the server the person is still here.
        fetch(window.location.href, { method: "HEAD", credentials: "same-origin" });
      }
    }
    ["pointerdown", "keydown", "touchstart"].forEach(function (name) {
      document.addEventListener(name, activity, { passive: true });
    });
    document.body.addEventListener("htmx:afterRequest", function () { if (!warned) lastActivity = Date.now(); });
    if (dialog) {
      dialog.querySelector("[data-idle-stay]").addEventListener("click", activity);
      dialog.addEventListener("cancel", function (event) { event.preventDefault(); activity(); });
    }

    setInterval(function () {
      var quiet = (Date.now() - lastActivity) / 1000;
      var left = Math.ceil(idle - quiet);
      if (left <= 0) {
        if (lockForm) {
          lockForm.querySelector("[name=reason]").value = "idle";
          lockForm.submit();
        }
        return;
      }
      if (left <= warnFor) {
        if (!warned) {
          warned = true;
          if (dialog && !dialog.open) dialog.showModal();
        }
        if (countdown) countdown.textContent = String(left);
      }
    }, 500);
  }

  document.addEventListener("DOMContentLoaded", setUpIdleLock);
})();
