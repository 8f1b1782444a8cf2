// The CI picker: a progressive enhancement of any <input data-ci-picker> (docs/cmdb-ui.md). Without this
// script the input takes CI names as typed (comma separated where data-ci-picker="multi"); with it, typing
// searches /cis/picker (debounced) and offers a listbox: arrows move, Enter picks, Escape closes.
(function () {
  "use strict";

  var DELAY = 200;
  var counter = 0;

  function currentTerm(input, multi) {
    if (!multi) return input.value.trim();
    var parts = input.value.split(",");
    return parts[parts.length - 1].trim();
  }

  function setup(input) {
    var multi = input.getAttribute("data-ci-picker") === "multi";
    var id = "ci-options-" + (++counter);
    var wrap = document.createElement("div");
    wrap.className = "ci-picker";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    var list = document.createElement("ul");
    list.id = id;
    list.className = "ci-options";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Matching configuration items");
    list.hidden = true;
    wrap.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);
    input.setAttribute("autocomplete", "off");

    var timer = null;
    var asked = 0;
    var found = [];
    var active = -1;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function mark(index) {
      var options = list.querySelectorAll("[role=option]");
      if (!options.length) return;
      active = (index + options.length) % options.length;
      for (var i = 0; i < options.length; i++) {
        options[i].setAttribute("aria-selected", i === active ? "true" : "false");
      }
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    }

    function choose(index) {
      var ci = found[index];
      if (!ci) return;
      // A name several CIs share (in other environments) is sent as the id, so the server knows which.
      var shared = found.filter(function (other) { return other.name === ci.name; }).length > 1;
      var value = shared ? ci.id : ci.name;
      if (multi) {
        var parts = input.value.split(",").map(function (p) { return p.trim(); });
        parts[parts.length - 1] = value;
        input.value = parts.filter(Boolean).join(", ") + ", ";
      } else {
        input.value = value;
      }
      close();
      input.focus();
    }

    function show(items) {
      found = items;
      list.textContent = "";
      if (!items.length) {
        var none = document.createElement("li");
        none.className = "none";
        none.textContent = "No matching CI";
        list.appendChild(none);
      }
      items.forEach(function (ci, i) {
        var li = document.createElement("li");
        li.id = id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.appendChild(document.createTextNode(ci.name + " "));
        var meta = document.createElement("span");
        meta.className = "muted";
        meta.textContent = ci.ci_class.replace(/_/g, " ") + " · " + ci.environment;
        li.appendChild(meta);
        li.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the input
          choose(i);
        });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function search() {
      var term = currentTerm(input, multi);
      if (!term) { close(); return; }
      var mine = ++asked;
      fetch("/cis/picker?q=" + encodeURIComponent(term), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (items) { if (mine === asked && document.activeElement === input) show(items); })
        .catch(function () { close(); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, DELAY);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && found.length > 0;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!open) { search(); return; }
        event.preventDefault();
        mark(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  document.querySelectorAll("input[data-ci-picker]").forEach(setup);
})();
