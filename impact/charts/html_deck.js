// The HTML deck's behaviour: move between slides (clicker keys, buttons, the URL fragment #N), draw
// each chart the first time its slide is shown, full screen (F), the speaker view (S, Esc) and
// printing (every chart drawn before the browser lays out the pages). Text is only ever copied with
// textContent or cloned as nodes: nothing from the data is parsed as HTML here.
// This script runs before plotly.js (so the slide's text shows at once); charts wait for it.
(() => {
  "use strict";
  const settings = JSON.parse(document.getElementById("deck-settings").textContent);
  const slides = Array.from(document.querySelectorAll(".deck > .slide"));
  const speaker = document.getElementById("speaker");
  const preview = document.getElementById("speaker-preview");
  const drawing = new Map(); // slide index -> the promise of its drawn chart
  const plotlyReady = new Promise((resolve) => {
    if (window.Plotly) resolve();
    else document.addEventListener("DOMContentLoaded", resolve, { once: true });
  });
  let current = 0;

  function fit() {
    const scale = Math.min(window.innerWidth / settings.width, window.innerHeight / settings.height);
    document.documentElement.style.setProperty("--scale", String(scale));
  }

  function draw(index) {
    const chart = slides[index] && slides[index].querySelector(".chart");
    if (!chart) return Promise.resolve(false);
    if (!drawing.has(index)) drawing.set(index, plotlyReady.then(() => plot(chart)));
    return drawing.get(index);
  }

  function plot(chart, options) {
    const figure = JSON.parse(document.getElementById(chart.dataset.figure).textContent);
    if (chart.dataset.outlines) loadOutlines(chart.dataset.outlines);
    const config = Object.assign({}, settings.config, options);
    return Plotly.newPlot(chart, figure.data, figure.layout, config).then(() => true);
  }

  function loadOutlines(name) {
    // Plotly reads map outlines from here before it would fetch them: parsed only when a map is drawn.
    window.PlotlyGeoAssets = window.PlotlyGeoAssets || { topojson: {} };
    const assets = window.PlotlyGeoAssets.topojson;
    if (!assets[name]) assets[name] = JSON.parse(document.getElementById("outlines-" + name).textContent);
  }

  function whenIdle(task) {
    (window.requestIdleCallback || ((run) => setTimeout(run, 200)))(task);
  }

  function slideNumber() {
    const number = Number.parseInt(window.location.hash.slice(1), 10);
    return Number.isInteger(number) ? number : 1;
  }

  function show(index) {
    current = Math.max(0, Math.min(slides.length - 1, index));
    slides.forEach((slide, i) => slide.classList.toggle("current", i === current));
    if (window.location.hash !== "#" + (current + 1)) history.replaceState(null, "", "#" + (current + 1));
    const shown = current;
    draw(shown).then((drew) => {
      if (drew && !document.body.dataset.firstChart) {
        document.body.dataset.firstChart = performance.now().toFixed(0); // ms since the page was opened
      }
      whenIdle(() => draw(shown + 1)); // the next slide is ready before the clicker asks for it
    });
    if (!speaker.hidden) updateSpeaker();
  }

  function setText(id, text) {
    document.getElementById(id).textContent = text;
  }

  function titleOf(slide) {
    return slide.querySelector(".slide-title").textContent;
  }

  function updateSpeaker() {
    const slide = slides[current];
    const next = slides[current + 1];
    setText("speaker-position", "Slide " + (current + 1) + " of " + slides.length);
    setText("speaker-title", titleOf(slide));
    setText("speaker-notes", slide.querySelector(".notes").textContent);
    setText("speaker-next-title", next ? titleOf(next) : "End of the deck");
    preview.querySelectorAll(".js-plotly-plot").forEach((chart) => Plotly.purge(chart));
    preview.replaceChildren();
    preview.hidden = !next;
    if (!next) return;
    // A copy of the next slide at full size, scaled down, with its chart drawn afresh as a still picture.
    const copy = next.cloneNode(true);
    copy.classList.remove("current");
    copy.setAttribute("aria-hidden", "true");
    copy.style.transform = "scale(" + preview.clientWidth / settings.width + ")";
    const chart = copy.querySelector(".chart");
    if (chart) chart.replaceChildren();
    preview.replaceChildren(copy);
    if (chart) plotlyReady.then(() => plot(chart, { staticPlot: true }));
  }

  function toggleSpeaker(open) {
    speaker.hidden = !open;
    if (open) updateSpeaker();
  }

  function toggleFullScreen() {
    const request = document.fullscreenElement ? document.exitFullscreen() : document.documentElement.requestFullscreen();
    if (request && request.catch) request.catch(() => {}); // refused (e.g. not from a key press): stay as we are
  }

  const FORWARD = new Set(["ArrowRight", "ArrowDown", "PageDown", "n", "N"]);
  const BACK = new Set(["ArrowLeft", "ArrowUp", "PageUp", "Backspace", "p", "P"]);

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return; // leave the browser's shortcuts (Ctrl+P) alone
    const key = event.key;
    if (FORWARD.has(key) || (key === " " && !event.shiftKey)) show(current + 1);
    else if (BACK.has(key) || (key === " " && event.shiftKey)) show(current - 1);
    else if (key === "Home") show(0);
    else if (key === "End") show(slides.length - 1);
    else if (key === "f" || key === "F") toggleFullScreen();
    else if (key === "s" || key === "S") toggleSpeaker(speaker.hidden);
    else if (key === "Escape" && !speaker.hidden) toggleSpeaker(false);
    else return;
    event.preventDefault();
  }

  function onButton(event) {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.dataset.go) show(current + Number(button.dataset.go));
    else if (button.dataset.key === "s") toggleSpeaker(speaker.hidden);
    else if (button.dataset.key === "f") toggleFullScreen();
    button.blur(); // Space must move the slides, not press the button again
  }

  let pointerTimer = 0;
  function onPointer() {
    // The buttons show while the mouse moves and hide again, so a clicker talk sees only the slides.
    document.body.classList.add("pointer");
    clearTimeout(pointerTimer);
    pointerTimer = setTimeout(() => document.body.classList.remove("pointer"), 2500);
  }

  document.addEventListener("keydown", onKey);
  document.addEventListener("mousemove", onPointer);
  document.querySelector(".controls").addEventListener("click", onButton);
  window.addEventListener("hashchange", () => show(slideNumber() - 1));
  window.addEventListener("resize", () => {
    fit();
    if (!speaker.hidden) updateSpeaker();
  });
  window.addEventListener("beforeprint", () => slides.forEach((_, index) => draw(index)));
  fit();
  show(slideNumber() - 1);
})();
