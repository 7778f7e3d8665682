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
      copy.querySelectorAll(".isic-suggestions").forEach(function (e) { e.remove(); });
      renumber(copy, prefix, rows.length);
      copy.querySelectorAll("label").forEach(function (label) {  /* "Product name (2)" */
        label.textContent = label.textContent.replace(/\(\d+\)\s*$/, "(" + (rows.length + 1) + ")");
      });
      container.appendChild(copy);
      bindIsic(copy);
      var first = copy.querySelector("input, select");
      if (first) first.focus();
    });
    container.after(button);
  }

  var isic = null;  /* [[code, title], ...] read from the datalist the page carries */
  function isicList() {
    if (isic === null) {
      isic = Array.prototype.map.call(document.querySelectorAll("#isic-list option"), function (o) {
        return [o.value, o.textContent.slice(o.value.length + 1), o.getAttribute("data-other") || ""];
      });
    }
    return isic;
  }

  function suggest(input, list, title) {
    var q = input.value.trim().toLowerCase();
    list.innerHTML = "";
    var exact = isicList().filter(function (row) { return row[0] === input.value.trim(); })[0];
    title.textContent = exact ? exact[1] : "";
    if (q.length < 2 || exact) { list.hidden = true; return; }
    var hits = isicList().filter(function (row) {
      /* words in either language: every word typed must appear in the Khmer or English title */
      var both = (row[1] + " " + row[2]).toLowerCase();
      return row[0].indexOf(q) === 0 || q.split(/\s+/).every(function (w) { return both.indexOf(w) >= 0; });
    }).slice(0, 10);
    hits.forEach(function (row) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.setAttribute("data-code", row[0]);
      li.tabIndex = -1;
      li.textContent = row[0] + " " + row[1];
      li.addEventListener("mousedown", function (e) {
        e.preventDefault();
        input.value = row[0];
        suggest(input, list, title);
      });
      list.appendChild(li);
    });
    list.hidden = hits.length === 0;
  }

  function bindIsic(scope) {
    scope.querySelectorAll("input.isic-code").forEach(function (input) {
      var row = input.closest(".row");
      var title = row.querySelector(".isic-title");
      var list = row.querySelector(".isic-suggestions");
      if (!list) {
        list = document.createElement("ul");
        list.className = "isic-suggestions";
        list.setAttribute("role", "listbox");
        list.hidden = true;
        row.appendChild(list);
      }
      input.removeAttribute("list");  /* our own suggestions replace the native ones */
      input.addEventListener("input", function () { suggest(input, list, title); });
      input.addEventListener("blur", function () { list.hidden = true; });
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
