"""Copy the browser assets installed by `npm ci` into the package's static folder.

Why: the dashboard must work offline and without a CDN, so the exact files pinned in
package-lock.json are served by the application itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "src" / "leviers" / "web" / "static" / "vendor"

# (file in node_modules, name under static/vendor)
ASSETS: list[tuple[str, str]] = [
    ("htmx.org/dist/htmx.min.js", "htmx.min.js"),
    ("vega/build/vega.min.js", "vega.min.js"),
    ("vega-lite/build/vega-lite.min.js", "vega-lite.min.js"),
    ("vega-embed/build/vega-embed.min.js", "vega-embed.min.js"),
    ("maplibre-gl/dist/maplibre-gl-csp.js", "maplibre-gl-csp.js"),
    ("maplibre-gl/dist/maplibre-gl-csp-worker.js", "maplibre-gl-csp-worker.js"),
    ("maplibre-gl/dist/maplibre-gl.css", "maplibre-gl.css"),
]


def main() -> None:
    VENDOR.mkdir(parents=True, exist_ok=True)
    for source, target in ASSETS:
        path = NODE_MODULES / source
        if not path.exists():
            raise SystemExit(f"asset manquant : {path} (lancez `npm ci`)")
        shutil.copyfile(path, VENDOR / target)
    print(f"{len(ASSETS)} fichiers copiés dans {VENDOR.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
