// The public site's script: draws each chart from the figure JSON on its page (the SVG and the table stay for a
// reader without JavaScript), fits an embedded chart to its frame, and makes the embed code copyable and, when the
// site is served over HTTP(S), absolute. It asks nothing of any server.
(function () {
  "use strict";
  var embedded = document.body.classList.contains("embed");

  function draw(holder) {
    var source = document.getElementById(holder.getAttribute("data-figure"));
    if (!source || !window.Plotly) return;
    var figure = JSON.parse(source.textContent);
    var layout = figure.layout || {};
    if (embedded) {
      var used = document.body.scrollHeight - holder.offsetHeight;
      layout.height = Math.max(180, window.innerHeight - used - 8);
    }
    holder.textContent = "";
    window.Plotly.newPlot(holder, figure.data, layout, { displaylogo: false, responsive: true });
  }

  document.querySelectorAll("[data-figure]").forEach(draw);

  document.querySelectorAll("textarea.snippet").forEach(function (area) {
    var relative = area.getAttribute("data-embed");
    if (/^https?:$/.test(location.protocol) && relative) {
      var absolute = new URL(relative, location.href).href;
      area.value = area.value.replace(/src="[^"]*"/, 'src="' + absolute + '"');
    }
  });

  document.querySelectorAll("button.copy").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var area = document.getElementById(button.getAttribute("data-copy"));
      area.focus();
      area.select();
      var done = function () { button.textContent = "Copied"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(area.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });
})();
