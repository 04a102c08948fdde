"""The provenance notes shipped with the product's data (`leviers/data/*/PROVENANCE.md`), as HTML.

Markdown is rendered with raw HTML disabled (the files are ours, but nothing is pasted as is),
and headings are shifted down so they sit under the page's own section headings.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from markdown_it import MarkdownIt

from leviers.paths import PACKAGE_DATA


@dataclass(frozen=True)
class Provenance:
    folder: str  # e.g. "geo"
    markdown: str
    html: str

    def to_dict(self) -> dict[str, str]:
        return {"dossier": f"leviers/data/{self.folder}", "texte": self.markdown}


def render_markdown(text: str, shift: int = 2) -> str:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + shift)}"
    html: str = md.renderer.render(tokens, md.options, {})
    return html


@cache
def shipped_provenance() -> tuple[Provenance, ...]:
    notes = []
    for path in sorted(PACKAGE_DATA.glob("*/PROVENANCE.md")):
        text = path.read_text(encoding="utf-8")
        notes.append(Provenance(folder=path.parent.name, markdown=text, html=render_markdown(text)))
    return tuple(notes)
