/* The listing page's map: Leaflet (vendored) with the tile server from the config. */
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") return;
  var at = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
  var map = L.map(el, { scrollWheelZoom: false }).setView(at, 13);
  L.tileLayer(el.dataset.tiles, {
    maxZoom: parseInt(el.dataset.maxZoom, 10) || 18,
    attribution: el.dataset.attribution || ""
  }).addTo(map);
  L.marker(at, { title: el.dataset.label, alt: el.dataset.label }).addTo(map);
  el.classList.add("map-ready");
});
