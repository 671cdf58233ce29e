/* The review queue from the keyboard: j and k move the selection, Enter opens the draft,
   c opens and claims it. Keys typed into a field are left alone. */
(function () {
  "use strict";

  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-queue-row]"));
  if (rows.length === 0) {
    return;
  }
  var selected = 0;

  function select(index) {
    selected = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, n) {
      row.classList.toggle("selected", n === selected);
      row.setAttribute("aria-selected", n === selected ? "true" : "false");
    });
    rows[selected].focus({ preventScroll: false });
  }

  function open() {
    var link = rows[selected].querySelector("[data-queue-link]");
    if (link) {
      window.location.assign(link.getAttribute("href"));
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    if (event.target instanceof Element && event.target.closest("input, textarea, select")) {
      return;
    }
    if (event.key === "j") {
      select(selected + 1);
    } else if (event.key === "k") {
      select(selected - 1);
    } else if (event.key === "Enter") {
      open();
    } else {
      return;
    }
    event.preventDefault();
  });

  rows.forEach(function (row, n) {
    row.addEventListener("click", function () { select(n); });
  });
  select(0);
})();
