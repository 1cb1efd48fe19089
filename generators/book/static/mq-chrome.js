// Scroll regions of a page (wide tables, long formulas, notebook outputs): reachable with the keyboard only
// when they do not fit, and a table that does not fit shows the hint written above it.
(() => {
  "use strict";
  const overflowing = (box) => box.scrollWidth > box.clientWidth + 1;
  const mark = () => {
    document.querySelectorAll(".mq-wide").forEach((wide) => {
      const box = wide.querySelector(".pst-scrollable-table-container");
      if (box) wide.classList.toggle("mq-overflowing", overflowing(box));
    });
    document.querySelectorAll("div.math, div.cell_output > .output").forEach((box) => {
      if (overflowing(box)) box.tabIndex = 0;
      else box.removeAttribute("tabindex");
    });
  };
  const start = () => {
    mark();
    // formulas are drawn by MathJax after load: the page's size changes then
    new ResizeObserver(mark).observe(document.body);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
