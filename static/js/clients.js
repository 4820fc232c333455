// Client book: validation errors come back as HTTP 422 with the form and its messages; show them
// in place (htmx leaves 4xx responses unswapped by default).
document.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.xhr.status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
