// The public site's script: each chart's pre-rendered SVG is what a reader sees first; plotly.js (and the world
// outlines for a map) is run only after that first paint, and each chart is then drawn from the figure JSON on its
// page and takes the SVG's place (the table stays, and a reader without JavaScript keeps the SVG). It fits an
// embedded chart to its frame, and makes the embed code copyable and absolute (the address the page was opened
// from). It asks nothing of any server.
(function () {
  "use strict";
  var embedded = document.body.classList.contains("embed");
  var me = document.currentScript;

  // The language switch goes to the same page in the other language (a plain link); with JavaScript it carries the
  // reader's choices too (the link's query, or its fragment from file://).
  document.querySelectorAll("nav.languages a").forEach(function (a) {
    a.addEventListener("click", function () {
      a.setAttribute("href", a.getAttribute("href").split(/[?#]/)[0] + location.search + location.hash);
    });
  });

  // A programme's chart opened with the app's `country=ISO3` or `region=NAME` (in the query, or after # from
  // file://): the same chart for that place, a page beside this one (an embed's beside this embed), when the site
  // drew one; else the programme's chart stays.
  var places = JSON.parse(document.body.getAttribute("data-place-charts") || "{}");
  var query = new URLSearchParams(location.search), fragment = new URLSearchParams(location.hash.slice(1));
  var found = ["country", "region"].map(function (key) {
    var asked = query.get(key) || fragment.get(key), named = places[key] || {};
    return asked && Object.prototype.hasOwnProperty.call(named, asked) ? named[asked] : null;
  }).filter(Boolean)[0];
  if (found) {
    // The period chosen goes along (the app's from and to keys), in the query over HTTP(S), after # from file://.
    var keep = new URLSearchParams();
    ["from", "to"].forEach(function (key) { var v = query.get(key) || fragment.get(key); if (v) keep.set(key, v); });
    var rest = keep.toString();
    location.replace(found + ".html" + (rest ? (/^https?:$/.test(location.protocol) ? "?" : "#") + rest : ""));
    return;
  }

  function draw(holder) {
    var source = document.getElementById(holder.getAttribute("data-figure"));
    if (!source || !window.Plotly) return;
    var figure = JSON.parse(source.textContent);
    var layout = figure.layout || {};
    if (embedded) {
      var used = document.body.scrollHeight - holder.offsetHeight;
      layout.height = Math.max(180, window.innerHeight - used - 8);
    }
    // Drawn out of sight over the SVG, then put in its place: the reader never sees an empty frame.
    var plot = document.createElement("div");
    plot.className = "live";
    holder.appendChild(plot);
    window.Plotly.newPlot(plot, figure.data, layout, { displaylogo: false, responsive: true }).then(function () {
      Array.prototype.slice.call(holder.childNodes).forEach(function (child) {
        if (child !== plot) holder.removeChild(child);
      });
      plot.classList.remove("live");
      holder.setAttribute("data-drawn", "true");
    });
  }

  function drawAll() { document.querySelectorAll("[data-figure]").forEach(draw); }

  // The scripts in order (the outlines before plotly.js, which reads them), each from the site's own files.
  function load(addresses, done) {
    if (!addresses.length) { done(); return; }
    var script = document.createElement("script");
    script.src = addresses[0];
    script.onload = function () { load(addresses.slice(1), done); };
    document.body.appendChild(script);
  }

  var started = false;
  function start() {
    if (started) return;
    started = true;
    var wanted = [me && me.getAttribute("data-world"), me && me.getAttribute("data-plotly")].filter(Boolean);
    if (window.Plotly) drawAll(); else load(wanted, drawAll);
  }
  if (document.querySelector("[data-figure]")) {
    // After the frame that shows the page (and its SVGs) is painted; a frame the browser does not paint (hidden,
    // or an iframe out of view, where animation frames wait) starts anyway soon after.
    requestAnimationFrame(function () { setTimeout(start, 0); });
    setTimeout(start, 300);
  }

  document.querySelectorAll("textarea.snippet").forEach(function (area) {
    var relative = area.getAttribute("data-embed");
    // The address this page was opened from: https://… when served, file:///… from a disk or a USB stick.
    if (relative) {
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
      var done = function () { button.textContent = button.getAttribute("data-copied") || "Copied"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(area.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });
})();

// The home page's filters: the years and the place a reader chooses, kept in the link with the app's keys
// (from, to, region, country; in the fragment from file://, where a page cannot change its query), and the headline
// figures for that choice, precomputed per choice by the build (window.impactFigures): no request, no server.
(function () {
  "use strict";
  var data = window.impactFigures, form = document.getElementById("filters");
  if (!data || !form) return;
  var from = document.getElementById("filter-from"), to = document.getElementById("filter-to"),
      where = document.getElementById("filter-where"), note = document.getElementById("filters-note");
  // Numbers as the page's language writes them (the build's Babel and the browser's Intl read the same CLDR data);
  // the words come with the figures, in the page's language.
  var locale = data.locale && data.locale !== "en" ? data.locale : "en-GB";
  var counts = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  var percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 });
  var words = data.words || { at_least: "at least {n}", fewer: "fewer than " + data.threshold,
                               note: "Figures for {years}, {place}. The charts below show the whole programme." };

  function option(select, value, label) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    select.appendChild(o);
  }
  data.years.forEach(function (y) { option(from, String(y), String(y)); option(to, String(y), String(y)); });
  data.places.forEach(function (p) { option(where, p[0], p[1]); });

  function read() {
    var params = new URLSearchParams(location.search);
    new URLSearchParams(location.hash.slice(1)).forEach(function (v, k) { params.set(k, v); });
    var year = function (q, fallback) { var m = /^(\d{4})/.exec(q || ""); return m ? m[1] : fallback; };
    from.value = year(params.get("from"), String(data.years[0]));
    to.value = year(params.get("to"), String(data.years[data.years.length - 1]));
    if (!from.value) from.value = String(data.years[0]);
    if (!to.value) to.value = String(data.years[data.years.length - 1]);
    var place = params.get("country") ? "country:" + params.get("country")
      : params.get("region") ? "region:" + params.get("region") : "";
    where.value = place;
    if (where.value !== place) where.value = "";
  }

  function write() {
    var params = new URLSearchParams();
    var first = from.value === String(data.years[0]), last = to.value === String(data.years[data.years.length - 1]);
    if (!first) params.set("from", from.value + "Q1");
    if (!last) params.set("to", to.value + "Q4");
    if (where.value) params.set(where.value.split(":")[0], where.value.slice(where.value.indexOf(":") + 1));
    var text = params.toString();
    if (/^https?:$/.test(location.protocol)) {
      history.replaceState(null, "", location.pathname + (text ? "?" + text : "") + location.hash.replace(/^#.*$/, ""));
    } else {
      history.replaceState(null, "", text ? "#" + text : location.pathname);
    }
  }

  function show() {
    if (Number(from.value) > Number(to.value)) to.value = from.value;
    var span = from.value + "-" + to.value, row = (data.figures[span] || {})[where.value] || {};
    var small = (data.suppressed[span] || {})[where.value] || [];
    var floor = ((data.floors || {})[span] || {})[where.value] || {};
    data.keys.forEach(function (key) {
      var tile = document.querySelector('.tile[data-metric="' + key + '"] .value');
      if (!tile) return;
      var value = row[key];
      // A range holding a suppressed year reads "at least" the figure its other years and one per such year make.
      if (small.indexOf(key) >= 0) {
        tile.textContent = floor[key] !== undefined ? words.at_least.replace("{n}", counts.format(floor[key]))
          : words.fewer;
      } else if (value === null || value === undefined) tile.textContent = data.formats[key] === "percent" ? "—" : "0";
      else tile.textContent = data.formats[key] === "percent" ? percent.format(value) : counts.format(value);
    });
    var place = where.options[where.selectedIndex] ? where.options[where.selectedIndex].textContent : "";
    note.textContent = words.note.replace("{years}", from.value === to.value ? from.value : from.value + "–" + to.value)
      .replace("{place}", place);
  }

  // The links to a chart's page carry the place chosen (the app's key), so a chart drawn for each place opens
  // the place's (see the chart page's part above).
  var chartLinks = Array.prototype.slice.call(document.querySelectorAll("section.chart h2 a"));
  chartLinks.forEach(function (a) { a.setAttribute("data-href", a.getAttribute("href")); });
  function carry() {
    var key = where.value ? where.value.split(":")[0] : "", value = where.value.slice(where.value.indexOf(":") + 1);
    chartLinks.forEach(function (a) {
      var plain = a.getAttribute("data-href");
      a.setAttribute("href", key ? plain + "?" + new URLSearchParams([[key, value]]).toString() : plain);
    });
  }

  form.hidden = false;
  read();
  show();
  carry();
  [from, to, where].forEach(function (s) {
    s.addEventListener("change", function () { write(); show(); carry(); });
  });
  form.addEventListener("reset", function () {
    setTimeout(function () { from.value = String(data.years[0]); to.value = String(data.years[data.years.length - 1]);
      where.value = ""; write(); show(); carry(); }, 0);
  });
})();


// A chart page's own period range (a trend, the top countries, the themes): the years chosen (and for the themes the
// place), kept in the link with the app's keys (from, to, region, country), and the chart, its subtitle and its table
// redrawn for them from the filter figures the build wrote (window.impactFigures: every range of years × every
// place, and each place's themes by year, suppressed as every other file) — no request.
(function () {
  "use strict";
  var data = window.impactFigures, form = document.getElementById("period");
  if (!data || !form) return;
  var spec = JSON.parse(form.getAttribute("data-period"));
  var from = document.getElementById("period-from"), to = document.getElementById("period-to"),
      where = document.getElementById("period-where"), note = document.getElementById("period-note");
  var section = document.querySelector("section.chart"), tbody = section.querySelector("table tbody");
  var subtitle = section.querySelector("p.subtitle"), wholeSubtitle = subtitle ? subtitle.textContent : "";
  var caption = section.querySelector("p.caption");  // a sentence about the whole period: hidden for another choice
  var holder = section.querySelector("[data-figure]");
  var source = holder ? document.getElementById(holder.getAttribute("data-figure")) : null;
  var whole = source ? source.textContent : "", wholeRows = tbody.innerHTML;
  var locale = data.locale && data.locale !== "en" ? data.locale : "en-GB";
  var counts = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  var words = data.words || { at_least: "at least {n}", fewer: "fewer than " + data.threshold };
  var years = data.years.map(String), first = years[0], last = years[years.length - 1];
  var names = {};
  data.places.forEach(function (p) { names[p[0]] = p[1]; });

  function option(select, value, label) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    select.appendChild(o);
  }
  years.forEach(function (y) { option(from, y, y); option(to, y, y); });
  // The themes' place: every place the filter figures hold themes for (the page's own first).
  if (where) data.places.forEach(function (p) { if ((data.themes || {})[p[0]]) option(where, p[0], p[1]); });
  function place() { return where && where.value ? where.value : where ? "" : spec.place; }

  // One figure of the file: its number (null when suppressed), how it reads, and a number to rank it by.
  function figure(span, at) {
    var small = ((data.suppressed[span] || {})[at] || []).indexOf(spec.key) >= 0;
    if (small) {
      var floor = (((data.floors || {})[span] || {})[at] || {})[spec.key];
      return { value: null, hidden: true, rank: floor || 0,
               text: floor !== undefined ? words.at_least.replace("{n}", counts.format(floor)) : words.fewer };
    }
    var value = ((data.figures[span] || {})[at] || {})[spec.key] || 0;
    return { value: value, hidden: false, rank: value, text: counts.format(value) };
  }

  function shown(value) { return { value: value, hidden: false, rank: value, text: counts.format(value) }; }

  // A theme's figure for the years at positions i to j, from its whole period's and its years' ([whole, year, ...],
  // null where suppressed): the sum of its years; a range holding some suppressed years but not all (or all and a
  // suppressed whole) reads "at least" its shown years and one per suppressed year ("fewer than N" when that is one
  // suppressed year alone); one holding all of them, two or more, is the whole less the years outside it.
  function themeFigure(list, i, j) {
    var inside = 0, outside = 0, rest = 0, other = 0;
    for (var k = 0; k < years.length; k++) {
      var v = list[k + 1], within = k >= i && k <= j;
      if (v === null) { if (within) inside++; else outside++; }
      else if (within) rest += v; else other += v;
    }
    if (!inside) return shown(rest);
    if (!outside && inside >= 2 && list[0] !== null) return shown(list[0] - other);
    var floor = inside > 1 || rest ? rest + inside : undefined;
    return { value: null, hidden: true, rank: floor || 0,
             text: floor !== undefined ? words.at_least.replace("{n}", counts.format(floor)) : words.fewer };
  }

  function td(text, hidden) {
    var cell = document.createElement("td");
    cell.textContent = text;
    if (hidden) cell.className = "suppressed";
    return cell;
  }

  // The rows of the chart for the years a to b, as its table shows them.
  function rows(a, b) {
    if (spec.kind === "trend") {
      var out = [];
      for (var y = Number(a); y <= Number(b); y++) {
        var year = figure(y + "-" + y, spec.place);
        if (!year.hidden && !year.value) continue;  // a year with none is no bar, as in the app
        out.push({ label: String(y), cells: [year, figure(a + "-" + y, spec.place)] });
      }
      return out;
    }
    if (spec.kind === "themes") {
      var i = years.indexOf(a), j = years.indexOf(b), within = 0, of = (data.themes || {})[place()] || {};
      var active = (data.theme_projects || {})[place()] || {};
      for (var k = i; k <= j; k++) within |= 1 << k;
      var themes = Object.keys(of).map(function (theme) {
        var cells = [themeFigure(of[theme], i, j)];
        if (spec.projects) {
          var n = (active[theme] || []).filter(function (mask) { return mask & within; }).length;
          cells.push(shown(n));
        }
        return { key: theme, name: (data.theme_names || {})[theme] || theme, cells: cells };
      }).filter(function (r) { return r.cells[0].hidden || r.cells[0].value > 0; });
      themes.sort(function (x, y) { return y.cells[0].rank - x.cells[0].rank || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0); });
      return themes;
    }
    var region = spec.place.indexOf("region:") === 0 ? spec.place.slice(7) : null;
    var found = data.places.filter(function (p) {
      return p[0].indexOf("country:") === 0 && (region === null || data.regions[p[0].slice(8)] === region);
    }).map(function (p) {
      var iso3 = p[0].slice(8), f = figure(a + "-" + b, p[0]);
      return { iso3: iso3, name: p[1], region: data.region_names[data.regions[iso3]] || data.regions[iso3] || "",
               cells: [f] };
    }).filter(function (r) { return r.cells[0].hidden || r.cells[0].value > 0; });
    found.sort(function (x, y) { return y.cells[0].rank - x.cells[0].rank || x.name.localeCompare(y.name, locale); });
    return spec.top ? found.slice(0, spec.top) : found;
  }

  // The chart's "Download the data" link: its CSV file for the whole period, or the rows shown for another choice
  // (a file written in the page: the table's headings and rows, a suppressed cell empty, text that a spreadsheet
  // could run as a formula written as text, as the site's CSV files are). Its "Metadata" link beside it: the chart's
  // metadata file for the whole period, or for another choice that file's metadata (carried in the page, in the
  // tree's language) with the choice's filters (the link's keys: from, to, region, country), subtitle and CSV file,
  // its suppressed cells counted in the rows shown, and no caption (the caption is the whole period's), named as
  // the choice's CSV file.
  var download = section.querySelector("a.download"), metaLink = section.querySelector("a.metadata");
  var metaSource = document.getElementById("chart-metadata");
  var wholeHref = download ? download.getAttribute("href") : "", wholeName = download ? download.getAttribute("download") : "";
  var wholeMeta = metaLink ? metaLink.getAttribute("href") : "";
  function cell(value) {
    var text = value === null || value === undefined ? "" : String(value);
    if (typeof value === "string" && (/^[=+\-@\t\r]/.test(text) || /^'[=+\-@\t\r']/.test(text))) text = "'" + text;
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }
  function chosen(a, b) {
    var filters = {};
    if (a !== first) filters.from = [a + "Q1"];
    if (b !== last) filters.to = [b + "Q4"];
    if (place()) filters[place().split(":")[0]] = [place().slice(place().indexOf(":") + 1)];
    return filters;
  }
  function offer(lines, a, b, hidden) {
    if (!lines) {
      if (download) {
        download.setAttribute("href", wholeHref);
        if (wholeName) download.setAttribute("download", wholeName); else download.setAttribute("download", "");
      }
      if (metaLink) {
        metaLink.setAttribute("href", wholeMeta);
        metaLink.removeAttribute("download");
      }
      return;
    }
    var at = place() ? "-" + place().replace(/[^A-Za-z0-9]+/g, "-") : "";
    var name = (wholeHref.split("/").pop() || "chart.csv").replace(/\.csv$/, "") + "-" + a + "-" + b + at + ".csv";
    if (download) {
      var headings = Array.prototype.map.call(section.querySelectorAll("table thead th"), function (th) { return th.textContent; });
      var text = "\ufeff" + [headings].concat(lines).map(function (line) { return line.map(cell).join(","); }).join("\r\n") + "\r\n";
      download.setAttribute("href", "data:text/csv;charset=utf-8," + encodeURIComponent(text));
      download.setAttribute("download", name);
    }
    if (metaLink && metaSource) {
      var meta = JSON.parse(metaSource.textContent);
      meta.subtitle = described(a, b);
      meta.filters = chosen(a, b);
      meta.caption = null;
      if (meta.suppressed) meta.suppressed.cells = hidden;
      if (meta.files) meta.files.csv = name;
      metaLink.setAttribute("href", "data:application/json;charset=utf-8," +
                            encodeURIComponent(JSON.stringify(meta, null, 1) + "\n"));
      metaLink.setAttribute("download", name.replace(/\.csv$/, ".json"));
    }
  }

  function redraw(a, b) {
    var all = a === first && b === last && place() === spec.place, shownRows = all ? null : rows(a, b);
    if (caption) caption.hidden = !all;
    if (all) {
      tbody.innerHTML = wholeRows;
      offer(null);
    } else {
      tbody.textContent = "";
      var lines = [], hidden = 0;
      shownRows.forEach(function (r) {
        var tr = document.createElement("tr"), line;
        if (spec.kind === "trend") line = [r.label];
        else if (spec.kind === "themes") line = [r.name];
        else line = [r.iso3, r.name, r.region];
        line.forEach(function (text) { tr.appendChild(td(text, false)); });
        r.cells.forEach(function (c) {
          tr.appendChild(td(c.text, c.hidden));
          line.push(c.hidden ? "" : c.value);
          if (c.hidden) hidden++;
        });
        tbody.appendChild(tr);
        lines.push(line);
      });
      offer(lines, a, b, hidden);
    }
    if (!source) return;
    var fig = JSON.parse(whole);
    if (!all) {
      if (spec.kind === "trend") {
        fig.data.forEach(function (trace, i) {
          trace.x = shownRows.map(function (r) { return r.label; });
          trace.y = shownRows.map(function (r) { return r.cells[Math.min(i, 1)].value; });
          trace.customdata = shownRows.map(function (r) { return r.cells[Math.min(i, 1)].text; });
        });
      } else {
        var up = shownRows.slice().reverse();  // the largest at the top of a horizontal bar chart
        var trace = fig.data[0];
        trace.y = up.map(function (r) { return r.name; });
        trace.x = up.map(function (r) { return r.cells[0].value; });
        trace.text = up.map(function (r) { return r.cells[0].text; });
        trace.customdata = trace.text;
      }
    }
    source.textContent = JSON.stringify(fig);
    // The pre-rendered SVG shows the whole period: hidden while another is chosen, until the live chart replaces it.
    var image = holder.querySelector("img");
    if (image) image.style.visibility = all ? "" : "hidden";
    var plot = holder.querySelector(".js-plotly-plot");
    if (plot && window.Plotly && holder.getAttribute("data-drawn")) window.Plotly.react(plot, fig.data, fig.layout || {});
  }

  // The choice in words, as the app's subtitle says it: the quarters (the data's first and last as "start" and
  // "end") and the place, in the page's language.
  function described(a, b) {
    var parts = [];
    if (a !== first || b !== last) parts.push((a !== first ? a + "Q1" : words.start || "start") + "\u2013" +
                                              (b !== last ? b + "Q4" : words.end || "end"));
    var at = (data.described || {})[place()];
    if (at) parts.push(at);
    return parts.length ? parts.join("; ") : words.everything || wholeSubtitle;
  }

  function read() {
    var params = new URLSearchParams(location.search);
    new URLSearchParams(location.hash.slice(1)).forEach(function (v, k) { params.set(k, v); });
    var year = function (q, fallback) { var m = /^(\d{4})/.exec(q || ""); return m && years.indexOf(m[1]) >= 0 ? m[1] : fallback; };
    from.value = year(params.get("from"), first);
    to.value = year(params.get("to"), last);
    if (where) {
      var asked = params.get("country") ? "country:" + params.get("country")
        : params.get("region") ? "region:" + params.get("region") : spec.place;
      where.value = asked;
      if (where.value !== asked) where.value = spec.place;
    }
  }

  function write() {
    var params = new URLSearchParams();
    if (from.value !== first) params.set("from", from.value + "Q1");
    if (to.value !== last) params.set("to", to.value + "Q4");
    if (where && where.value && where.value !== spec.place) {
      params.set(where.value.split(":")[0], where.value.slice(where.value.indexOf(":") + 1));
    }
    var text = params.toString();
    if (/^https?:$/.test(location.protocol)) history.replaceState(null, "", location.pathname + (text ? "?" + text : ""));
    else history.replaceState(null, "", text ? "#" + text : location.pathname);
  }

  function show() {
    if (Number(from.value) > Number(to.value)) to.value = from.value;
    redraw(from.value, to.value);
    var span = from.value === to.value ? from.value : from.value + "\u2013" + to.value;
    note.textContent = (words.period || "{years}").replace("{years}", span).replace("{place}", names[place()] || "");
    if (subtitle) {
      subtitle.textContent = from.value === first && to.value === last && place() === spec.place ? wholeSubtitle
        : described(from.value, to.value);
    }
  }

  form.hidden = false;
  read();
  show();
  [from, to, where].filter(Boolean).forEach(function (s) { s.addEventListener("change", function () { write(); show(); }); });
  form.addEventListener("reset", function () {
    setTimeout(function () { from.value = first; to.value = last; if (where) where.value = spec.place; write(); show(); }, 0);
  });
})();
