// Leviers — suggestions under the search box, following the WAI-ARIA 1.2 combobox pattern (list
// autocomplete, manual selection): the field keeps the focus, the suggestion under the arrow keys is
// its aria-activedescendant. No inline script anywhere (strict CSP); results come from the JSON twin
// of /recherche and are written as text, never as HTML.
"use strict";
(() => {
  const DELAY_MS = 150; // wait for a pause in typing before asking
  const LIMIT = 8;

  function plural(n, word) {
    return `${n} ${word}${n > 1 ? "s" : ""}`;
  }

  function setup(box) {
    const input = box.querySelector("input");
    const list = box.querySelector('[role="listbox"]');
    const status = document.getElementById(box.dataset.status);
    const endpoint = box.dataset.suggestions;
    if (!input || !list || !endpoint) return;

    let options = [];
    let active = -1;
    let timer = null;
    let controller = null;
    let shownFor = null; // the text the current suggestions answer
    let openWhenReady = false;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");

    const announce = (text) => {
      if (status && status.textContent !== text) status.textContent = text;
    };

    function setActive(index) {
      if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
      active = index;
      if (index >= 0 && options[index]) {
        const option = options[index];
        option.setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function isOpen() {
      return !list.hidden;
    }

    function open() {
      if (!options.length) return;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      setActive(-1);
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
    }

    function render(text, results) {
      setActive(-1);
      options = results.map((result, i) => {
        const option = document.createElement("a");
        option.id = `${list.id}-${i}`;
        option.href = result.url;
        option.tabIndex = -1; // reached with the arrow keys from the field, not with Tab
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        const name = document.createElement("span");
        name.className = "suggestion-nom";
        name.textContent = result.nom;
        const meta = document.createElement("span");
        meta.className = "suggestion-meta";
        meta.textContent = result.description;
        option.append(name, " ", meta);
        return option;
      });
      list.replaceChildren(...options);
      shownFor = text;
      if (options.length) {
        open();
        announce(`${plural(options.length, "suggestion")} : flèches haut et bas pour les parcourir.`);
      } else {
        close();
        announce(text.trim() ? "Aucune suggestion : Entrée lance la recherche complète." : "");
      }
    }

    async function suggest() {
      const text = input.value;
      if (!text.trim()) {
        if (controller) controller.abort();
        render("", []);
        return;
      }
      if (text === shownFor) {
        if (openWhenReady) open();
        openWhenReady = false;
        return;
      }
      if (controller) controller.abort(); // only the answer to the latest text counts
      controller = new AbortController();
      const url = `${endpoint}?q=${encodeURIComponent(text)}&limite=${LIMIT}`;
      try {
        const response = await fetch(url, { signal: controller.signal, headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error(String(response.status));
        const data = await response.json();
        if (input.value !== text) return;
        render(text, data.resultats || []);
        if (openWhenReady && options.length) setActive(0);
      } catch (error) {
        if (error.name === "AbortError") return;
        render(text, []);
        announce("Suggestions indisponibles : Entrée lance la recherche complète.");
      } finally {
        openWhenReady = false;
      }
    }

    function schedule(delay) {
      clearTimeout(timer);
      timer = setTimeout(suggest, delay);
    }

    function move(step) {
      if (!options.length || input.value !== shownFor) {
        // Nothing shown yet for this text (a page opened with it): ask now, then show.
        openWhenReady = true;
        schedule(0);
        return;
      }
      if (!isOpen()) open();
      const count = options.length;
      const next = active < 0 ? (step > 0 ? 0 : count - 1) : (active + step + count) % count;
      setActive(next);
    }

    input.addEventListener("input", () => {
      setActive(-1);
      schedule(DELAY_MS);
    });

    input.addEventListener("keydown", (event) => {
      if (event.isComposing) return;
      switch (event.key) {
        case "ArrowDown":
          event.preventDefault();
          if (event.altKey) {
            if (options.length && input.value === shownFor) open();
            else {
              openWhenReady = true;
              schedule(0);
            }
          } else {
            move(1);
          }
          break;
        case "ArrowUp":
          event.preventDefault();
          if (event.altKey) close();
          else move(-1);
          break;
        case "Enter":
          if (isOpen() && active >= 0) {
            event.preventDefault();
            window.location.assign(options[active].href);
          }
          break;
        case "Escape":
          // Close the suggestions; once closed, Escape empties the field (the combobox pattern).
          event.preventDefault();
          if (isOpen()) {
            close();
          } else if (input.value) {
            input.value = "";
            render("", []);
          }
          break;
        case "ArrowLeft":
        case "ArrowRight":
        case "Home":
        case "End":
          setActive(-1); // back to editing the text
          break;
        case "Tab":
          close();
          break;
        default:
          break;
      }
    });

    // A click on a suggestion must not take the focus away first (that would close the list).
    list.addEventListener("mousedown", (event) => event.preventDefault());
    input.addEventListener("blur", () => close());
    // A page restored from the back-forward cache shows its list closed.
    window.addEventListener("pageshow", () => close());
  }

  document.querySelectorAll(".combobox[data-suggestions]").forEach(setup);
})();
