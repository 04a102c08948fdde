// Leviers — draws every Vega-Lite chart of the page from its JSON spec (a data block, not a script).
// The spec carries the French number locale in `usermeta` (leviers.web.charts.format_locale), the
// one the server gives vl-convert for the SVG and PNG exports: both draw « 1 234 » and « 30 % ».
// Vega's default expression parser compiles with `new Function`, which the CSP forbids: the
// interpreter (`ast: true` + vega.expressionInterpreter) evaluates expressions without eval.
"use strict";
const LEVIERS_FORMAT_LOCALE = {
  decimal: ",", thousands: "\u202f", grouping: [3], currency: ["", "\u202f€"], percent: "\u202f%",
};
const LEVIERS_TIME_LOCALE = {
  dateTime: "%A %e %B %Y à %X", date: "%d/%m/%Y", time: "%H:%M:%S", periods: ["AM", "PM"],
  days: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
  shortDays: ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
  months: ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"],
  shortMonths: ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."],
};

function leviersDrawCharts(root) {
  if (typeof vegaEmbed !== "function") return;
  for (const element of root.querySelectorAll("[data-vega-spec]")) {
    if (element.dataset.drawn) continue;
    const source = document.getElementById(element.dataset.vegaSpec);
    if (!source) continue;
    const spec = JSON.parse(source.textContent);
    element.dataset.drawn = "1";
    vegaEmbed(element, spec, {
      renderer: "svg",
      actions: false,
      ast: true,
      expr: vega.expressionInterpreter,
      defaultStyle: false,
      tooltip: { disableDefaultStyle: true },
      formatLocale: (spec.usermeta && spec.usermeta.formatLocale) || LEVIERS_FORMAT_LOCALE,
      timeFormatLocale: (spec.usermeta && spec.usermeta.timeFormatLocale) || LEVIERS_TIME_LOCALE,
    }).then(() => {
      element.dataset.rendered = "1";
    }).catch((error) => {
      element.dataset.rendered = "error";
      element.textContent = "Le graphique n'a pas pu être dessiné ; les données sont dans le tableau ci-dessous.";
      console.error(error);
    });
  }
}

document.addEventListener("DOMContentLoaded", () => leviersDrawCharts(document));
document.addEventListener("htmx:after:settle", (event) => leviersDrawCharts(event.target || document));
