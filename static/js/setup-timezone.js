// Set-up: preselect the time zone this device uses, unless the server already shows a choice the owner made.
(function () {
  var select = document.querySelector(".js-browser-zone select");
  if (!select || select.dataset.chosen === "true") return;
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (zone && Array.prototype.some.call(select.options, function (o) { return o.value === zone; })) {
    select.value = zone;
  }
})();
