// After a hand-off is logged, open the phone's own app (sms:, mailto:, wa.me) once.
// The link stays on the page as a button in case the browser blocks the automatic open.
// A link with target=_blank (WhatsApp, a web address) opens in a new tab so the app's tab stays.
(function () {
  "use strict";
  function openPending(root) {
    var links = (root || document).querySelectorAll("a[data-handoff-auto]:not([data-opened])");
    if (!links.length) { return; }
    var link = links[links.length - 1];
    link.setAttribute("data-opened", "1");
    if (link.target === "_blank") {
      window.open(link.href, "_blank", "noopener");
    } else {
      window.location.href = link.href;
    }
  }
  document.addEventListener("DOMContentLoaded", function () { openPending(document); });
  document.addEventListener("htmx:afterSettle", function (evt) { openPending(evt.target); });
})();
