// Reading a big file takes a few seconds: show that the button was pressed, and stop double submits.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var label = form.getAttribute("data-busy-label");
  if (!label) return;
  var button = form.querySelector("button[type=submit]");
  if (!button) return;
  if (form.getAttribute("data-busy") === "1") { event.preventDefault(); return; }
  form.setAttribute("data-busy", "1");
  button.setAttribute("aria-disabled", "true");
  button.classList.add("is-busy");
  button.textContent = label;
});
// Coming back with the Back button restores the page from cache: make the form usable again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-busy]").forEach(function (form) { form.removeAttribute("data-busy"); });
});
