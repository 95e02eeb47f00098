/* 台州市公共数据开放平台: search and filters of the home page, over the JSON index embedded in it.
   No fetch (refused under file://), no library. The query string (?q=…&dept=…&theme=…&format=…&open=…)
   sets the initial state, so a filtered view can be linked or bookmarked. */
(function () {
  "use strict";
  var source = document.getElementById("dataset-index");
  if (!source) { return; }
  var data = JSON.parse(source.textContent);
  var byKey = {};
  data.forEach(function (d) { byKey[d.key] = d; });
  var facets = ["dept", "theme", "format", "open"];
  var state = { q: "" };
  var params = new URLSearchParams(window.location.search);
  state.q = params.get("q") || "";
  facets.forEach(function (f) { state[f] = params.get(f) || ""; });

  var input = document.getElementById("q");
  var cards = Array.prototype.slice.call(document.querySelectorAll("#cards .card"));
  var chips = Array.prototype.slice.call(document.querySelectorAll(".chip[data-facet]"));
  var count = document.getElementById("result-count");
  var empty = document.getElementById("empty");
  if (input) { input.value = state.q; }

  function matches(d) {
    if (state.dept && d.dept !== state.dept) { return false; }
    if (state.theme && d.theme !== state.theme) { return false; }
    if (state.format && d.formats.indexOf(state.format) < 0) { return false; }
    if (state.open && d.open !== state.open) { return false; }
    var terms = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    return terms.every(function (t) { return d.text.indexOf(t) >= 0; });
  }

  function syncUrl() {
    var next = new URLSearchParams();
    if (state.q) { next.set("q", state.q); }
    facets.forEach(function (f) { if (state[f]) { next.set(f, state[f]); } });
    var query = next.toString();
    try {
      window.history.replaceState(null, "", query ? "?" + query : window.location.pathname);
    } catch (e) { /* some browsers refuse under file://: the filter still works */ }
  }

  function apply() {
    var shown = 0;
    cards.forEach(function (card) {
      var d = byKey[card.getAttribute("data-key")];
      var ok = Boolean(d) && matches(d);
      card.hidden = !ok;
      if (ok) { shown += 1; }
    });
    chips.forEach(function (chip) {
      var on = state[chip.getAttribute("data-facet")] === chip.getAttribute("data-value");
      chip.setAttribute("aria-pressed", on ? "true" : "false");
    });
    var filtered = state.q || facets.some(function (f) { return state[f]; });
    count.textContent = (filtered ? "找到 " : "共 ") + shown + " 个数据集";
    empty.hidden = shown > 0;
    syncUrl();
  }

  chips.forEach(function (chip) {
    chip.addEventListener("click", function () {
      var facet = chip.getAttribute("data-facet");
      var value = chip.getAttribute("data-value");
      state[facet] = state[facet] === value ? "" : value;
      apply();
    });
  });
  if (input) {
    input.addEventListener("input", function () { state.q = input.value.trim(); apply(); });
    input.form.addEventListener("submit", function (event) { event.preventDefault(); state.q = input.value.trim(); apply(); });
  }
  document.documentElement.classList.add("js");
  apply();
}());
