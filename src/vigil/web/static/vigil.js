// Vigil's keyboard shortcuts: a progressive enhancement; every page works without this script.
// "/" search, "j"/"k" move in a list, Enter opens, "c" comment, "a" assign to me, "?" the list of keys.
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("table.queue tbody tr")).filter(function (tr) {
      return tr.querySelector("a[href^='/incidents/'], a[href^='/portal/']");
    });
  }

  function select(step) {
    var list = rows();
    if (!list.length) return false;
    var current = list.findIndex(function (tr) { return tr.classList.contains("selected"); });
    var next = current < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, current + step));
    if (current >= 0) {
      list[current].classList.remove("selected");
      list[current].removeAttribute("aria-selected");
    }
    list[next].classList.add("selected");
    list[next].setAttribute("aria-selected", "true");
    list[next].scrollIntoView({ block: "nearest" });
    return true;
  }

  function openSelected() {
    var tr = document.querySelector("table.queue tbody tr.selected");
    var link = tr && tr.querySelector("a[href^='/incidents/'], a[href^='/portal/']");
    if (!link) return false;
    window.location.href = link.href;
    return true;
  }

  function focusFirst(selector) {
    var el = document.querySelector(selector);
    if (!el) return false;
    var details = el.closest("details");
    if (details) details.open = true;
    el.focus();
    return true;
  }

  function assignToMe() {
    var form = document.querySelector("form[data-key='a']");
    if (!form) return false;
    form.requestSubmit ? form.requestSubmit() : form.submit();
    return true;
  }

  function help() {
    var dialog = document.getElementById("shortcuts");
    if (!dialog || typeof dialog.showModal !== "function") return false;
    if (!dialog.open) dialog.showModal();
    return true;
  }

  var keys = {
    "/": function () { return focusFirst("[data-key='/']") || focusFirst("input[type=search]"); },
    "j": function () { return select(1); },
    "k": function () { return select(-1); },
    "Enter": openSelected,
    "o": openSelected,
    "c": function () { return focusFirst("[data-key='c']"); },
    "a": assignToMe,
    "?": help,
  };

  // Checking an incident in a list unfolds the bulk-action bar.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box || box.name !== "refs" || !box.checked) return;
    var bar = document.querySelector("details.bulk-bar");
    if (bar) bar.open = true;
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var handler = keys[event.key];
    if (handler && handler()) event.preventDefault();
  });
})();
