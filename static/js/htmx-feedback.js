// What every htmx request tells the person using it, in one place (no inline script: CSP stays strict).
//  - Busy: the button that sent a request is disabled until the answer arrives (no double submits).
//  - Slow: after 100 ms a thin bar runs along the top of the page (html.is-loading).
//  - Failed: a save that can't go through (4xx/5xx, no connection) never looks saved. htmx leaves the
//    form untouched, so what was typed stays; the server's words (or ours) appear right after the
//    form, or in a banner at the top when no form sent the request. 422 answers are forms with
//    errors beside the fields (swapped in, see base.html's htmx-config); a 401/403 that carries
//    HX-Redirect (expired session) is followed by htmx before any of this runs.
(function () {
  "use strict";
  var SLOW_AFTER_MS = 100;
  var inFlight = 0;
  var slowTimer = null;

  // ---- busy ----------------------------------------------------------------------------------
  function buttonsOf(elt) {
    if (elt.matches("button, input[type=submit]")) { return [elt]; }
    if (elt.tagName === "FORM") {
      return Array.prototype.slice.call(elt.querySelectorAll("button:not([type=button]), input[type=submit]"))
        .concat(elt.id ? Array.prototype.slice.call(document.querySelectorAll('[form="' + elt.id + '"][type=submit]')) : []);
    }
    return [];
  }

  function setBusy(elt, busy) {
    buttonsOf(elt).forEach(function (button) {
      if (busy && !button.disabled) {
        button.disabled = true;
        button.setAttribute("data-busy-disabled", "1");
      } else if (!busy && button.getAttribute("data-busy-disabled")) {
        button.disabled = false;
        button.removeAttribute("data-busy-disabled");
      }
    });
    if (busy) { elt.setAttribute("aria-busy", "true"); } else { elt.removeAttribute("aria-busy"); }
  }

  // ---- slow ----------------------------------------------------------------------------------
  function started() {
    inFlight += 1;
    if (inFlight === 1) {
      slowTimer = window.setTimeout(function () { document.documentElement.classList.add("is-loading"); },
        SLOW_AFTER_MS);
    }
  }

  function finished() {
    inFlight = Math.max(0, inFlight - 1);
    if (inFlight === 0) {
      window.clearTimeout(slowTimer);
      document.documentElement.classList.remove("is-loading");
    }
  }

  // ---- failed --------------------------------------------------------------------------------
  function formOf(elt) { return elt.tagName === "FORM" ? elt : elt.closest("form"); }

  // Right after the form, so the form's own layout (a row of field and button) stays as it is.
  function noteAfter(form) {
    var next = form.nextElementSibling;
    return next && next.classList.contains("form-problem") ? next : null;
  }

  function banner() {
    var existing = document.getElementById("request-problem");
    if (existing) { return existing; }
    var box = document.createElement("div");
    box.id = "request-problem";
    box.className = "request-problem";
    box.setAttribute("role", "alert");
    var text = document.createElement("p");
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn btn-small";
    close.textContent = "Dismiss";
    close.addEventListener("click", function () { box.remove(); });
    box.appendChild(text);
    box.appendChild(close);
    (document.getElementById("main") || document.body).insertAdjacentElement("afterbegin", box);
    return box;
  }

  function show(elt, words) {
    var form = formOf(elt);
    if (form) {
      var note = noteAfter(form);
      if (!note) {
        note = document.createElement("p");
        note.className = "form-problem";
        note.setAttribute("role", "alert");
        form.insertAdjacentElement("afterend", note);
      }
      note.textContent = words;
    } else {
      banner().querySelector("p").textContent = words;
    }
  }

  function clear(elt) {
    var form = formOf(elt);
    var note = form && noteAfter(form);
    if (note) { note.remove(); }
    var box = document.getElementById("request-problem");
    if (box) { box.remove(); }
  }

  function wordsFor(xhr) {
    var plain = (xhr.getResponseHeader("Content-Type") || "").indexOf("text/plain") === 0;
    if (plain && xhr.responseText) { return xhr.responseText; }
    if (xhr.status === 401) { return "Your session has ended: sign in again. What you typed is still here."; }
    if (xhr.status === 403) { return "Your role does not allow this. Ask a manager if you need it."; }
    if (xhr.status === 404) { return "That is no longer here (someone may have removed it). Reload the page."; }
    if (xhr.status === 409) { return "Someone changed this at the same moment. Reload the page and try again."; }
    return "Not saved (error " + xhr.status + "). Try again; what you typed is still here.";
  }

  document.addEventListener("htmx:beforeRequest", function (evt) {
    clear(evt.detail.elt);
    setBusy(evt.detail.elt, true);
    started();
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    setBusy(evt.detail.elt, false);
    finished();
  });
  document.addEventListener("htmx:responseError", function (evt) { show(evt.detail.elt, wordsFor(evt.detail.xhr)); });
  document.addEventListener("htmx:sendError", function (evt) {
    show(evt.detail.elt, "Not saved: no connection to Clientbook. Try again; what you typed is still here.");
  });
  document.addEventListener("htmx:timeout", function (evt) {
    show(evt.detail.elt, "Clientbook took too long to answer. Try again; what you typed is still here.");
  });
})();
