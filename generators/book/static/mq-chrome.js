// Scroll regions of a page (wide tables, long formulas, notebook outputs): reachable with the keyboard only
// when they do not fit, and a table that does not fit shows the hint written above it. A long formula
// shows its drawing broken over lines when its one-line drawing does not fit.
(() => {
  "use strict";
  const overflowing = (box) => box.scrollWidth > box.clientWidth + 1;
  // the drawings' widths are in ex of the page's font, as MathJax wrote them
  const exWidth = (box) => {
    const probe = document.createElement("div");
    probe.style.cssText = "position: absolute; visibility: hidden; width: 100ex";
    box.appendChild(probe);
    const ex = probe.getBoundingClientRect().width / 100;
    probe.remove();
    return ex;
  };
  const mark = () => {
    document.querySelectorAll(".mq-wide").forEach((wide) => {
      const box = wide.querySelector(".pst-scrollable-table-container");
      if (box) wide.classList.toggle("mq-overflowing", overflowing(box));
    });
    // a long formula: its one-line drawing where it fits, else the one broken over lines
    document.querySelectorAll(".mq-formula-breaks").forEach((box) => {
      const svg = box.querySelector(".mq-formula-wide svg");
      const width = parseFloat(svg.getAttribute("width")) * exWidth(box);
      box.dataset.mqFit = width <= box.clientWidth - 4 ? "wide" : "narrow";
    });
    document.querySelectorAll("div.math, div.cell_output > .output").forEach((box) => {
      if (overflowing(box)) box.tabIndex = 0;
      else box.removeAttribute("tabindex");
    });
  };
  const start = () => {
    mark();
    // the page's size changes after load (fonts, images, the exercises drawn by selfcheck.js)
    new ResizeObserver(mark).observe(document.body);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
