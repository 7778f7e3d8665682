/* Progressive help for the listing form; without it the form still works. */
(function () {
  "use strict";

  function renumber(row, prefix, index) {
    var re = new RegExp("^(f?)" + prefix.replace(/\//g, "[-/]") + "[-/]\\d+");
    row.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach(function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
        var v = el.getAttribute(attr);
        if (v === null) return;
        el.setAttribute(attr, v.replace(re, function (m, f) {
          var sep = f ? "-" : "/";
          return f + prefix.split("/").join(sep) + sep + index;
        }));
      });
    });
  }

  function addRows(container) {
    var prefix = container.getAttribute("data-repeat");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "add-row";
    button.textContent = container.getAttribute("data-add-label");
    button.addEventListener("click", function () {
      var rows = container.querySelectorAll(".row");
      var copy = rows[rows.length - 1].cloneNode(true);
      copy.querySelectorAll(".error-text").forEach(function (e) { e.remove(); });
      copy.querySelectorAll("input, select, textarea").forEach(function (el) {
        el.value = "";
        el.removeAttribute("aria-invalid");
      });
      copy.querySelectorAll(".isic-title").forEach(function (e) { e.textContent = ""; });
      renumber(copy, prefix, rows.length);
      container.appendChild(copy);
      bindIsic(copy);
      var first = copy.querySelector("input, select");
      if (first) first.focus();
    });
    container.after(button);
  }

  var isicTitles = null;
  function bindIsic(scope) {
    if (isicTitles === null) {
      isicTitles = {};
      document.querySelectorAll("#isic-list option").forEach(function (o) {
        isicTitles[o.value] = o.textContent.slice(o.value.length + 1);
      });
    }
    scope.querySelectorAll("input.isic-code").forEach(function (input) {
      var title = input.closest(".row").querySelector(".isic-title");
      input.addEventListener("input", function () {
        var code = input.value.trim();
        title.textContent = isicTitles[code] || "";
      });
    });
  }

  function countryPicker(fieldset) {
    var select = fieldset.querySelector("select[multiple]");
    var filter = document.createElement("input");
    filter.type = "search";
    filter.className = "country-filter";
    filter.placeholder = fieldset.getAttribute("data-filter-label");
    filter.setAttribute("aria-label", filter.placeholder);
    var chosen = document.createElement("p");
    chosen.className = "chosen";
    function showChosen() {
      var names = Array.prototype.filter.call(select.options, function (o) { return o.selected; })
        .map(function (o) { return o.textContent; });
      chosen.textContent = names.length ? fieldset.getAttribute("data-chosen-label") + " " + names.join(", ") : "";
    }
    filter.addEventListener("input", function () {
      var q = filter.value.trim().toLowerCase();
      Array.prototype.forEach.call(select.options, function (o) {
        o.hidden = q !== "" && o.textContent.toLowerCase().indexOf(q) < 0 && o.value.toLowerCase() !== q;
      });
    });
    select.addEventListener("mousedown", function (e) {
      if (e.target.tagName !== "OPTION") return;
      e.preventDefault();  /* a click toggles one country without Ctrl */
      e.target.selected = !e.target.selected;
      select.focus();
      showChosen();
    });
    select.addEventListener("change", showChosen);
    select.before(filter);
    select.after(chosen);
    showChosen();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".rows[data-repeat]").forEach(addRows);
    bindIsic(document);
    document.querySelectorAll(".country-picker").forEach(countryPicker);
  });
})();
