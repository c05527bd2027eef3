// Small behaviours on top of htmx: ask before destructive buttons.
document.addEventListener("click", function (ev) {
  var b = ev.target.closest("button.danger");
  if (b && !window.confirm(b.textContent.trim() + "?")) { ev.preventDefault(); }
});
