// Leviers — behaviour shared by every page. No inline script anywhere (strict CSP).
"use strict";
// Move focus to the results announced by htmx swaps only when the user submitted a form,
// so keyboard and screen-reader users land on what changed.
document.addEventListener("htmx:after:swap", (event) => {
  const source = event.detail && event.detail.ctx && event.detail.ctx.sourceElement;
  if (source && source.tagName === "FORM") {
    const heading = document.querySelector("#resultats h2");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  }
});
