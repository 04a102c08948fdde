"""Documentation generated from the catalogue: the indicator section of docs/method.md and the
help of `leviers indicateurs`. Nothing is written twice: edit catalogue.yaml, then run
`python -m leviers.indicators.docs` (a test fails while docs/method.md is out of date)."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from leviers.indicators import base, breakdowns, facts
from leviers.indicators.catalogue import UNITS, Catalogue, Indicator, catalogue
from leviers.indicators.engine import UNIT

BEGIN = "<!-- BEGIN GENERATED from src/leviers/indicators/catalogue.yaml by leviers.indicators.docs -->"
END = "<!-- END GENERATED -->"
METHOD_PAGE = Path(__file__).resolve().parents[3] / "docs" / "method.md"
TABLE_NAMES = {
    "contracts": "marchés",
    "concessions": "concessions",
    "subsidies": "subventions",
    "combined": "somme d'autres indicateurs",
}


def amount_thresholds() -> list[tuple[str, float, str, str]]:
    """The thresholds of the amount checks, read from the schema that applies them."""
    from leviers.warehouse import apply_schema

    con = duckdb.connect()
    try:
        apply_schema(con)
        rows = con.execute("SELECT nom, valeur, unite, description FROM amount_thresholds").fetchall()
    finally:
        con.close()
    return [(str(n), float(v), str(u), str(d)) for n, v, u, d in rows]


def _percent(value: float) -> str:
    return f"{value * 100:g} %"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _indicator_md(ind: Indicator, cat: Catalogue) -> list[str]:
    rows = [
        ("unit", f"{ind.unit} ({UNITS[ind.unit]}); measured by " + " and ".join(ind.measures)),
        ("table", f"`{ind.table}` ({TABLE_NAMES[ind.table]})"),
        ("definition", ind.definition),
        ("numerator", ind.numerator),
    ]
    if ind.denominator:
        rows.append(("denominator", ind.denominator))
    for role, text in ind.expressions().items():
        rows.append((role, f"`{text}`"))
    if ind.combine:
        rows.append(("adds up", ", ".join(f"`{c}`" for c in ind.combine)))
    rows.append(("fields", ", ".join(ind.fields)))
    rows.append(("counting rule", f"{ind.counting} (see counting rules)"))
    if ind.requires:
        rows.append(("optional tables", ", ".join(f"`{t}` (unknown when absent)" for t in ind.requires)))
    if ind.legal:
        rows.append(("legal reference", ind.legal))
    if ind.target:
        rows.append(("target", f"{_percent(ind.target.value)} — {ind.target.label}"))
    lines = [f"#### {ind.label} (`{ind.id}`)", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {_cell(value)} |" for key, value in rows]
    if ind.caveats:
        lines += ["", "Caveats:", ""] + [f"- {c}" for c in ind.caveats]
    return [*lines, ""]


def method_section(cat: Catalogue | None = None) -> str:
    """Markdown of the generated part of docs/method.md."""
    cat = cat or catalogue()
    lines = ["### Counting rules", ""]
    for key, text in cat.counting_rules.items():
        lines += [f"- **{key}** — {text}"]
    lines += [
        "",
        f"Supplier-weighted shares are summed in units of 1/{UNIT} of a contract (exact for up to 16",
        "co-titulaires); amounts are summed in whole cents.",
        "",
        "### When a share is shown",
        "",
        f"A share is *sufficient* (quoted as a figure, ranked among peers) when at least {base.MIN_KNOWN_ITEMS}",
        f"items are known and the known items are at least {base.MIN_KNOWN_SHARE:g} of the items where the value",
        "could be known (by number for the share by number, by amount for the share by amount). Otherwise",
        "the faces say « échantillon insuffisant » with the counts (`sufficient_count`, `sufficient_amount`",
        f"in the tables). A rank is given only among at least {base.MIN_RANKED_PEERS} ranked peers.",
        "",
        "A count (contracts, subsidy lines) is always quoted by number. Its total amount is the sum of",
        "the known amounts: unknown (`null`, never 0) when no amount is known, and *sufficient* (ranked",
        f"among peers) only when the items with a known amount are at least {base.MIN_KNOWN_SHARE:g} of the",
        "items (`amount_missing` and `amount_set_aside` give the rest).",
        "",
        "### Abnormal amounts",
        "",
        "Every contract amount and subsidy line amount is classed normal, suspect or aberrant by the views",
        "`contract_amount_checks` and `subsidy_amount_checks` (`src/leviers/warehouse/schema/60_amounts.sql`).",
        "Aberrant amounts are left out of every amount measure (`montant_centimes` is NULL) and counted in",
        "`amount_set_aside`; suspect amounts are kept and flagged in the explorers and exports. Thresholds:",
        "",
        "| name | value | unit | meaning |",
        "|---|---|---|---|",
        *[
            f"| `{name}` | {value:g} | {unit} | {_cell(text)} |"
            for name, value, unit, text in amount_thresholds()
        ],
        "",
        "### Legal parameters",
        "",
        "Read from the OpenFisca parameters of `leviers.law` (values and references: docs/law.md):",
        "",
        "| name | law parameter | meaning |",
        "|---|---|---|",
    ]
    for p in cat.parameters.values():
        lines.append(f"| `{p.name}` | `{p.law}` ({p.read}) | {p.description} |")
    lines += [
        "| `seuil_europeen` (column) | `commande_publique.seuils_europeens.travaux.collectivite`, "
        "`….fournitures_services.collectivite` | EU threshold on the notification date |",
        "",
        "### Breakdowns",
        "",
        "| level | meaning |",
        "|---|---|",
    ]
    lines += [f"| `{lv.name}` | {lv.label} |" for lv in breakdowns.LEVELS.values()]
    lines += ["", "Dimensions crossed with the level (the notification year always is):", ""]
    lines += [f"- `{name}` — {text}" for name, text in breakdowns.DIMENSIONS.items()]
    for table, columns in facts.COLUMNS.items():
        lines += [
            "",
            f"### Fact table `{table}` (columns the expressions may use)",
            "",
            "| column | meaning |",
        ]
        lines += ["|---|---|"] + [f"| `{name}` | {_cell(text)} |" for name, text in columns.items()]
    lines.append("")
    for group, heading in cat.groups.items():
        members = [i for i in cat.indicators if i.group == group]
        if members:
            lines += [f"### {heading}", ""]
            for ind in members:
                lines += _indicator_md(ind, cat)
    return "\n".join(lines).rstrip() + "\n"


def cli_epilog(cat: Catalogue | None = None) -> str:
    """French list of the indicators for `leviers indicateurs --help`."""
    cat = cat or catalogue()
    lines = ["Indicateurs (définitions complètes : docs/method.md) :", ""]
    for group, heading in cat.groups.items():
        members = [i for i in cat.indicators if i.group == group]
        if not members:
            continue
        lines.append(f"[bold]{heading}[/bold]")
        for ind in members:
            target = f", cible {_percent(ind.target.value).replace('.', ',')}" if ind.target else ""
            lines.append(f"  {ind.id} — {ind.label} ({UNITS[ind.unit]}{target})")
        lines.append("")
    return "\n".join(lines)


def render_page(text: str, section: str) -> str:
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + section + text[end:]


def main(argv: list[str]) -> int:
    """Rewrite the generated section of docs/method.md (`--check`: only say if it is current)."""
    page = METHOD_PAGE.read_text(encoding="utf-8")
    updated = render_page(page, method_section())
    if "--check" in argv:
        return 0 if updated == page else 1
    METHOD_PAGE.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
