/* Keyboard shortcuts. Any element with data-shortcut="KEY" is clicked when KEY is pressed
   (a field is focused instead); data-shortcut-label says what it does. Keys typed into a
   field are ignored, and Escape leaves the field. "?" shows the page's shortcuts. */
(function () {
  "use strict";

  var FIELDS = "input, textarea, select, [contenteditable=''], [contenteditable='true']";

  function isTyping(target) {
    return target instanceof Element && target.closest(FIELDS) !== null;
  }

  function isShown(element) {
    if (element.closest("[hidden], dialog:not([open])")) {
      return false;
    }
    return element.getClientRects().length > 0;
  }

  function shortcuts() {
    return Array.prototype.filter.call(document.querySelectorAll("[data-shortcut]"), isShown);
  }

  function describe(element) {
    var label = element.getAttribute("data-shortcut-label") ||
      element.getAttribute("aria-label") || element.getAttribute("title") ||
      element.textContent.trim() || element.getAttribute("placeholder") || "";
    return label.replace(/\s+/g, " ");
  }

  function row(list, key, text) {
    var term = document.createElement("dt");
    var kbd = document.createElement("kbd");
    var description = document.createElement("dd");
    kbd.textContent = key;
    term.appendChild(kbd);
    description.textContent = text;
    list.appendChild(term);
    list.appendChild(description);
  }

  function showHelp() {
    var dialog = document.getElementById("shortcut-help");
    if (!dialog) {
      return;
    }
    var list = dialog.querySelector(".shortcut-list");
    list.replaceChildren();
    shortcuts().forEach(function (element) {
      row(list, element.getAttribute("data-shortcut"), describe(element));
    });
    row(list, "?", "Show or hide this list");
    row(list, "Esc", "Close this list, or leave a text field");
    dialog.showModal();
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey ||
        event.isComposing) {
      return;
    }
    if (isTyping(event.target)) {
      if (event.key === "Escape") {
        event.target.blur();
      }
      return;
    }
    var dialog = document.getElementById("shortcut-help");
    if (event.key === "?") {
      event.preventDefault();
      if (dialog && dialog.open) {
        dialog.close();
      } else {
        showHelp();
      }
      return;
    }
    if (dialog && dialog.open) {
      return; /* the dialog closes itself on Escape */
    }
    var target = shortcuts().find(function (element) {
      return element.getAttribute("data-shortcut") === event.key;
    });
    if (!target) {
      return;
    }
    event.preventDefault();
    if (target.matches("input, textarea, select")) {
      target.focus();
    } else {
      target.click();
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target instanceof Element && event.target.closest("[data-shortcut-help]")) {
      showHelp();
    }
  });
})();
