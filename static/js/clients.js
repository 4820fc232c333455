// Client book behaviour that needs a little script; every page also works without it.

// Validation errors come back as HTTP 422 with the form and its messages: show them in place
// (htmx leaves 4xx responses unswapped by default).
document.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.xhr.status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

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
