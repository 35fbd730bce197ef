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
    // Focus first: the input handler may move focus on (day -> month -> year).
    input.focus();
    input.dispatchEvent(new Event("input", { bubbles: true }));
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

    var lastPing = Date.now();
    function ping() {
      // Tell the server the person is still here (it keeps its own idle clock).
      lastPing = Date.now();
      fetch(window.location.href, { method: "HEAD", credentials: "same-origin" });
    }
    function activity() {
      lastActivity = Date.now();
      if (warned) {
        warned = false;
        if (dialog && dialog.open) dialog.close();
        ping();
      } else if ((Date.now() - lastPing) / 1000 > idle / 3) {
        // Typing into a form sends nothing until it is submitted; keep the server in step.
        ping();
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

// The counter's scan field is always ready: a keyboard-wedge scanner types characters and
// Enter; when focus is not in another input, the first character goes to the scan field.
(function () {
  "use strict";
  function scanInput() { return document.querySelector("[data-scan-input]"); }
  function typingSomewhere(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }
  document.addEventListener("keydown", function (event) {
    var input = scanInput();
    if (!input || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typingSomewhere(document.activeElement)) return;
    // Space presses the focused button, as everywhere else; it is not a scanned character.
    if (event.key === " " && document.activeElement.closest("button, a[href], summary, [role=button]")) return;
    if (event.key.length === 1) input.focus();
  });
  document.addEventListener("htmx:afterSwap", function () {
    // After a swap, go back to the scan field unless the person is typing a date of birth.
    var input = scanInput();
    var dob = document.querySelector("[data-age-check] [aria-invalid], [data-age-check] .field__error");
    if (dob) { var day = document.getElementById("dob-day"); if (day) { day.focus(); return; } }
    if (input && !typingSomewhere(document.activeElement)) input.focus();
  });

  // Date of birth: DD, MM and YYYY move on by themselves; the keypad types into the focused part.
  document.addEventListener("input", function (event) {
    var part = event.target.closest && event.target.closest("[data-dob-part]");
    if (!part) return;
    part.value = part.value.replace(/[^0-9]/g, "");
    if (part.value.length >= part.maxLength) {
      var parts = Array.prototype.slice.call(document.querySelectorAll("[data-dob-part]"));
      var next = parts[parts.indexOf(part) + 1];
      if (next) next.focus();
    }
  });
  var lastDobPart = null;
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-dob-part]")) {
      lastDobPart = event.target;
      var pad = document.querySelector(".age-check [data-keypad-for]");
      if (pad) pad.dataset.keypadFor = event.target.id;
    }
  });

  document.addEventListener("click", function (event) {
    var print = event.target.closest("[data-print]");
    if (!print) return;
    // A paper named on the button (the receiving note's 80 mm or A4) picks the page size.
    if (print.dataset.print) {
      document.querySelectorAll("[data-paper]").forEach(function (el) { el.dataset.paper = print.dataset.print; });
    }
    window.print();
  });
})();
