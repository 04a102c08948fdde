// Leviers — every table of every page can be downloaded as a CSV for a French spreadsheet
// (semicolon, decimal comma, UTF-8 with BOM), built in the browser from the table as shown.
// Explorer tables carry `data-export-serveur`: their full selection is exported by the server.
// Tables with `data-sans-export` (a signed-in visitor's own list) get no button.
"use strict";
(() => {
  // « 261 517 € », « 45,2 % », « -3,6 » → a number with a decimal comma, and its unit.
  const NUMBER = /^(-?\d{1,3}(?:[\s\u00a0\u202f]\d{3})*|-?\d+)(,\d+)?\s*(€|%)?$/;
  const FORMULA = /^[=+\-@\t\r]/;

  const clean = (cell) => cell.textContent.replace(/[\s\u00a0\u202f]+/g, " ").trim();

  const field = (value) => {
    let text = String(value);
    if (FORMULA.test(text) && !/^-?\d+(,\d+)?$/.test(text)) text = "'" + text; // never a formula
    return /[;"\n\r]/.test(text) || text !== text.trim() ? '"' + text.replace(/"/g, '""') + '"' : text;
  };

  const tableRows = (table) => {
    const header = [];
    const body = [];
    const units = [];
    for (const row of table.rows) {
      const inHead = row.parentElement && row.parentElement.tagName === "THEAD";
      const cells = [];
      let column = 0;
      for (const cell of row.cells) {
        let text = clean(cell);
        const exact = inHead ? null : cell.querySelector("data[value]");
        if (exact) {
          // The exact value the page rounded (« 1,2 M€ »), with a decimal comma.
          text = exact.getAttribute("value").replace(/\.0$/, "").replace(".", ",");
          if (exact.dataset.unit) units[column] = exact.dataset.unit;
        } else if (!inHead && cell.classList.contains("num")) {
          const found = text.match(NUMBER);
          if (found) {
            text = found[1].replace(/[\s\u00a0\u202f]/g, "") + (found[2] || "");
            if (found[3]) units[column] = found[3];
          }
        }
        cells.push(text);
        for (let span = 1; span < (cell.colSpan || 1); span += 1) cells.push("");
        column += cell.colSpan || 1;
      }
      (inHead ? header : body).push(cells);
    }
    if (header.length) {
      const last = header[header.length - 1];
      units.forEach((unit, i) => {
        if (unit && last[i] !== undefined) last[i] = `${last[i]} (${unit})`;
      });
    }
    return header.concat(body);
  };

  const fileName = (table) => {
    const caption = table.caption ? clean(table.caption) : document.title;
    const slug = caption
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 80);
    return (slug || "tableau") + ".csv";
  };

  const download = (table) => {
    const text = tableRows(table)
      .map((cells) => cells.map(field).join(";"))
      .join("\r\n");
    const blob = new Blob(["\ufeff" + text + "\r\n"], { type: "text/csv;charset=utf-8" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = fileName(table);
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  };

  const addButtons = (root) => {
    for (const table of root.querySelectorAll("table")) {
      if (table.dataset.exportServeur !== undefined || table.dataset.exportReady) continue;
      if (table.closest("form")) continue; // a form laid out as a table holds inputs, not data
      if (table.dataset.sansExport !== undefined) continue; // a list of the visitor's own things
      table.dataset.exportReady = "1";
      const anchor = table.closest(".table-scroll") || table;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "table-export";
      const what = table.caption ? clean(table.caption) : "ce tableau";
      // The visible text starts the accessible name (WCAG 2.5.3); the caption follows, unseen.
      button.textContent = "Télécharger ce tableau (CSV)";
      const which = document.createElement("span");
      which.className = "visually-hidden";
      which.textContent = ` : « ${what} », pour un tableur en français`;
      button.appendChild(which);
      button.addEventListener("click", () => download(table));
      anchor.insertAdjacentElement("afterend", button);
    }
  };

  document.addEventListener("DOMContentLoaded", () => addButtons(document));
  document.addEventListener("htmx:after:swap", () => addButtons(document));
})();
