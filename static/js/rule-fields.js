// Reminder rule form: show only the fields the chosen kind of rule uses (the server draws the first state).
(function () {
  document.querySelectorAll("form select[name=trigger]").forEach(function (select) {
    var form = select.form;
    function show() {
      form.querySelectorAll("[data-rule-trigger]").forEach(function (part) {
        part.hidden = part.getAttribute("data-rule-trigger") !== select.value;
      });
    }
    select.addEventListener("change", show);
    show();
  });
})();
