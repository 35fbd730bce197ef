// A delivery scanned at scanner speed: each scan is sent in turn, none is dropped, and the
// field is empty and focused again before the answer comes, so the next serial can follow.
// htmx would read the field only when a queued request leaves, by which time the next
// serial is being typed into it; this queue takes each value at the moment of its Enter.
(function () {
  "use strict";
  var queue = Promise.resolve();
  var sending = null;  // the code whose request is out

  function notSaved(code) {
    var form = document.querySelector("[data-intake-scan]");
    var feedback = document.getElementById("scan-feedback");
    if (!form || !feedback) return;
    var p = document.createElement("p");
    p.className = "field__error";
    p.textContent = form.dataset.notSaved.replace("%s", code);
    feedback.replaceChildren(p);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-intake-scan]");
    if (!form || !window.htmx) return;
    event.preventDefault();
    var input = form.querySelector("[data-scan-input]");
    var code = input.value.trim();
    input.value = "";
    input.focus();
    if (!code) return;
    var values = {
      code: code,
      model: form.querySelector("[data-intake-model]").value,
      csrf_token: form.querySelector("[name=csrf_token]").value
    };
    queue = queue.then(function () {
      sending = code;
      return htmx.ajax("POST", form.action, {
        source: form, target: form.dataset.target, swap: "afterbegin", values: values
      });
    }).catch(function () {
      notSaved(code);  // the network failed: the person scans it again
    });
  });

  // A server error is answered without a line: say which scan to repeat.
  document.addEventListener("htmx:responseError", function (event) {
    if (sending && event.detail.elt && event.detail.elt.matches("[data-intake-scan]")) notSaved(sending);
  });

  // Choosing a model hands the keyboard back to the scanner's field.
  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-intake-model]")) return;
    var input = document.querySelector("[data-intake-scan] [data-scan-input]");
    if (input) input.focus();
  });
})();
