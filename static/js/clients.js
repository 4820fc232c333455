// Client book behaviour that needs a little script; every page also works without it.

// Keep list addresses short and shareable: drop empty filter fields from GET requests
// (the pushed URL is what Back and bookmarks return to).
document.addEventListener("htmx:configRequest", function (event) {
  if (event.detail.verb !== "get") return;
  var params = event.detail.parameters;
  var empty = [];
  if (typeof params.forEach === "function") {
    params.forEach(function (value, key) { if (value === "") empty.push(key); });
  } else {
    Object.keys(params).forEach(function (key) { if (params[key] === "") empty.push(key); });
  }
  empty.forEach(function (key) { delete params[key]; });
});

// After htmx redraws part of the card, take the person to what changed: the first field with an
// error, else the section named by data-focus (a new date, wish, note or purchase); a form opened
// from a quick button gets the focus in its first field. Sections keep clear of the sticky header
// through scroll-margin-top (clients.css).
document.addEventListener("htmx:afterSettle", function (event) {
  var root = event.detail.elt && event.detail.elt.isConnected ? event.detail.elt : document;
  var card = document.getElementById("client-card");
  var invalid = (card || root).querySelector("[aria-invalid='true']");
  if (invalid) {
    invalid.focus({ preventScroll: true });
    invalid.scrollIntoView({ block: "center" });
    return;
  }
  var opened = root.querySelector("form[data-autofocus]");
  if (opened) {
    var first = opened.querySelector("input:not([type=hidden]), select, textarea");
    if (first) { first.focus({ preventScroll: true }); }
    opened.scrollIntoView({ block: "start" });
    return;
  }
  var name = card && card.getAttribute("data-focus");
  var target = name && document.getElementById(name);
  if (target) {
    card.removeAttribute("data-focus");
    if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "start" });
  }
});
