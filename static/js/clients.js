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
