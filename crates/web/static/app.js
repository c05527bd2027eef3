// Small behaviours on top of htmx: ask before destructive buttons.
document.addEventListener("click", function (ev) {
  var b = ev.target.closest("button.danger");
  if (b && !window.confirm(b.textContent.trim() + "?")) { ev.preventDefault(); }
});

// Screens that fit: a wide table scrolls inside its own box, never the page.
function wrapTables(root) {
  root.querySelectorAll("main table.data").forEach(function (t) {
    if (t.parentElement && t.parentElement.classList.contains("table-scroll")) { return; }
    var box = document.createElement("div");
    box.className = "table-scroll";
    t.parentNode.insertBefore(box, t);
    box.appendChild(t);
  });
}
document.addEventListener("DOMContentLoaded", function () { wrapTables(document); });
document.addEventListener("htmx:afterSwap", function (ev) { wrapTables(ev.target.ownerDocument || document); });

// One navigation menu open at a time; a click elsewhere closes it.
document.addEventListener("click", function (ev) {
  document.querySelectorAll("#main-nav details[open]").forEach(function (d) {
    if (!d.contains(ev.target)) { d.removeAttribute("open"); }
  });
});
