// Loaded into the page that draws a run of SVGs (impact.charts.export.Drawing), after plotly.js.
// plotly.js names a drawn chart's clip paths, definitions, legend and traces with random ids (Math.random): seeded
// from the figure itself before each drawing, the same figure gives the same bytes in every build, and two figures
// different ids (an SVG a reader pastes into another page clashes with no other).
(function () {
  var state = 0;
  Math.random = function () {  // mulberry32
    state = (state + 0x6D2B79F5) | 0;
    var t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  var toImage = Plotly.toImage;
  Plotly.toImage = function (figure) {
    var text = JSON.stringify(figure), hash = 0x811c9dc5;  // FNV-1a of the figure
    for (var i = 0; i < text.length; i++) {
      hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    }
    state = hash | 0;
    return toImage.apply(this, arguments);
  };
})();
