// When a save can't go through (database busy, disk full, connection lost), htmx leaves the
// form untouched, so what was typed stays; this puts the server's words beside the form.
(function () {
  // Right after the form, so the form's own layout (a row of field and button) stays as it is.
  function existing(form) {
    var next = form.nextElementSibling;
    return next && next.classList.contains("form-problem") ? next : null;
  }

  function show(elt, words) {
    var form = elt.closest("form") || elt;
    var note = existing(form);
    if (!note) {
      note = document.createElement("p");
      note.className = "form-problem";
      note.setAttribute("role", "alert");
      form.insertAdjacentElement("afterend", note);
    }
    note.textContent = words;
  }

  function clear(elt) {
    var form = elt.closest("form") || elt;
    var note = existing(form);
    if (note) { note.remove(); }
  }

  document.addEventListener("htmx:beforeRequest", function (evt) { clear(evt.detail.elt); });
  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    var plain = (xhr.getResponseHeader("Content-Type") || "").indexOf("text/plain") === 0;
    var words = plain && xhr.responseText ? xhr.responseText
      : "Not saved (error " + xhr.status + "). Try again; what you typed is still here.";
    show(evt.detail.elt, words);
  });
  document.addEventListener("htmx:sendError", function (evt) {
    show(evt.detail.elt, "Not saved: no connection to Clientbook. Try again; what you typed is still here.");
  });
})();
