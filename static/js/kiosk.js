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
      // A failed ping is no news: the next tap shows the connection's state (see below).
      fetch(window.location.href, { method: "HEAD", credentials: "same-origin" }).catch(function () {});
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
  document.addEventListener("htmx:afterSwap", function (event) {
    // The server marks where the focus belongs (the scan field, or the field of an error:
    // autofocus, which htmx honours once the swap settles). Otherwise, back to scanning.
    var target = event.detail && event.detail.target;
    if (target && target.querySelector && target.querySelector("[autofocus]")) return;
    var input = scanInput();
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

// Network loss. A tap whose request fails (Wi-Fi gone, server restarting, a timeout) says so
// at once, in the form where it happened and in the store's language (the words are rendered
// by the server into <body data-connection-*>). What was typed stays: htmx swaps nothing on a
// failure. A quiet probe then says when the server answers again, and the person taps again:
// a completion carries the same idempotency key, so sending it twice can never sell twice.
(function () {
  "use strict";
  var PROBE_EVERY_MS = 2000;
  var probe = null;
  var notes = [];

  function words(name) { return document.body.dataset[name] || ""; }

  function noteFor(elt) {
    var home = (elt && elt.closest && elt.closest("form")) || elt || document.getElementById("main");
    var note = home.querySelector("[data-connection-note]");
    if (!note) {
      note = document.createElement("p");
      note.className = "connection-note";
      note.setAttribute("data-connection-note", "");
      home.appendChild(note);
    }
    return note;
  }

  function failed(event, message) {
    var note = noteFor(event.detail && event.detail.elt || event.target);
    note.classList.remove("connection-note--back");
    note.setAttribute("role", "alert");
    note.textContent = message;
    if (notes.indexOf(note) < 0) notes.push(note);
    watch();
  }

  function watch() {
    if (probe !== null) return;
    probe = setInterval(function () {
      fetch(window.location.href, {
        method: "HEAD", cache: "no-store", credentials: "same-origin",
        headers: { "X-Kiosk-Passive": "1" }  // a probe is not the person being active
      }).then(function (response) {
        if (response.status < 500) back();
      }).catch(function () {});
    }, PROBE_EVERY_MS);
  }

  function stopWatching() {
    if (probe !== null) clearInterval(probe);
    probe = null;
  }

  function back() {
    stopWatching();
    notes = notes.filter(function (note) { return note.isConnected; });
    notes.forEach(function (note) {
      note.classList.add("connection-note--back");
      note.setAttribute("role", "status");
      note.textContent = words("connectionBack");
    });
  }

  document.addEventListener("htmx:sendError", function (event) { failed(event, words("connectionLost")); });
  document.addEventListener("htmx:timeout", function (event) { failed(event, words("connectionLost")); });
  document.addEventListener("htmx:responseError", function (event) { failed(event, words("connectionBusy")); });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!event.detail || !event.detail.successful) return;
    // An answer came: the connection is fine, and the notes have said their piece.
    stopWatching();
    notes.forEach(function (note) { if (note.isConnected) note.remove(); });
    notes = [];
  });
})();

// A double tap sends a plain form once. On a slow network the second tap comes while the
// first is on its way: the browser then drops the first page for the second and the server
// does the work twice (a quantity added twice, two transfers started). htmx forms and the
// delivery's scan queue have their own handling; a form is free again after 10 seconds,
// or when the page comes back from the browser's history.
(function () {
  "use strict";
  var HOLD_MS = 10000;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || (form.method || "").toLowerCase() !== "post") return;
    if (form.matches("[hx-post], [hx-get], [data-hx-post], [data-intake-scan]")) return;
    var sent = parseInt(form.dataset.sentAt || "0", 10);
    if (Date.now() - sent < HOLD_MS) {
      event.preventDefault();
      return;
    }
    form.dataset.sentAt = String(Date.now());
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sent-at]").forEach(function (form) {
      delete form.dataset.sentAt;
    });
  });
})();
