// The tablet camera as a scanner: a QR code read from the camera is typed into the field
// that a [data-camera-scan] button names, and that field's form is sent, as a USB scanner's
// Enter would. Loaded only on pages with such a button.
(function () {
  "use strict";
  var dialog, video, scanner, target;

  function stop() {
    if (scanner) { scanner.stop(); scanner.destroy(); scanner = null; }
    if (dialog && dialog.open) dialog.close();
  }

  function start(button) {
    target = document.querySelector(button.dataset.cameraScan);
    dialog = document.getElementById("camera-dialog");
    video = dialog && dialog.querySelector("video");
    if (!target || !video || !window.QrScanner) return;
    dialog.showModal();
    scanner = new window.QrScanner(video, function (result) {
      target.value = result.data;
      stop();
      if (target.form.requestSubmit) target.form.requestSubmit(); else target.form.submit();
    }, { returnDetailedScanResult: true, preferredCamera: "environment" });
    scanner.start().catch(function () {
      var note = dialog.querySelector("[data-camera-error]");
      if (note) note.hidden = false;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-camera-scan]");
    if (button) { start(button); return; }
    if (event.target.closest("[data-camera-close]")) stop();
  });
  document.addEventListener("close", function (event) {
    if (event.target.id === "camera-dialog") stop();
  }, true);
})();
