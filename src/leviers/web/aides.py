"""What the scheme pages show of a scheme: labels of its stages, beneficiaries, themes and
territories, its porteurs, its figures (known or « non précisé par la source »), and the
catalogue's two filters beyond `leviers aides chercher`'s: the funder and words of the text."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Any

import orjson

from leviers.aides.catalogue import fold
from leviers.aides.regulation import DATE_FIGURES, FIGURES, shipped
from leviers.aides.scheme import Scheme
from leviers.aides.vocabulary import BENEFICIAIRES, ETAPES, themes
from leviers.formatting import date_fr
from leviers.paths import PACKAGE_DATA

NOT_GIVEN = "non précisé par la source"
FIGURE_LABELS = {
    "taux": "Taux d'aide",
    "plafond": "Plafond",
    "plancher": "Plancher",
    "enveloppe": "Enveloppe",
    "date_ouverture": "Ouverture",
    "date_cloture": "Clôture",
}
ORIGINS = {"aides-territoires": "Aides-territoires", "dispositif-aide": "Fichier au schéma dispositif-aide"}


@cache
def _areas() -> dict[str, str]:
    """COG code of the schema → French name, for France, the régions and the départements."""
    names = {"PAYS-99100": "France"}
    for kind, file in (("REG", "regions.csv"), ("DEP", "departements.csv")):
        with (PACKAGE_DATA / "reference" / file).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                names[f"{kind}-{row['code']}"] = row["nom"] if kind == "DEP" else f"Région {row['nom']}"
    return names


def territory_label(code: str) -> str:
    known = _areas().get(code)
    if known:
        return known if code.startswith(("REG", "PAYS")) else f"{known} ({code[4:]})"
    kind, _, number = code.partition("-")
    return {"COM": f"commune {number}", "EPCI": f"EPCI {number}"}.get(kind, code)


def origin_label(origine: str) -> str:
    if origine.startswith("reglement:"):
        code = origine.split(":", 1)[1]
        found = next((r for r in shipped() if r.code == code), None)
        return f"Règlement livré avec Leviers : {found.titre}" if found else f"Règlement {code}"
    return ORIGINS.get(origine, origine)


def porteurs(scheme: Scheme, known_sirens: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The scheme's porteurs as published (name, SIREN, roles), with their page when Leviers has one."""
    text = scheme.values.get("porteurs")
    try:
        listed = orjson.loads(text) if text else []
    except orjson.JSONDecodeError:
        listed = []
    known = set(known_sirens)
    found = []
    for item in listed if isinstance(listed, list) else []:
        if not isinstance(item, dict):
            continue
        siren = str(item.get("siren") or "").replace(" ", "") or None
        roles = item.get("roles") or []
        found.append(
            {
                "nom": item.get("nom"),
                "siren": siren,
                "roles": [str(r) for r in roles] if isinstance(roles, list) else [str(roles)],
                "url": f"/collectivites/{siren}" if siren and siren in known else None,
            }
        )
    return found


def _labels(values: Iterable[str], names: dict[str, str]) -> list[dict[str, str]]:
    return [{"id": v, "libelle": names.get(v, v)} for v in values]


def summary(
    scheme: Scheme, known_sirens: Iterable[str] = (), paid: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "id": scheme.id,
        "code": scheme.code,
        "titre": scheme.titre,
        "promesse": scheme.values.get("promesse"),
        "origine": scheme.origine,
        "origine_libelle": origin_label(scheme.origine),
        "porteurs": porteurs(scheme, known_sirens),
        "territoires": [{"code": c, "libelle": territory_label(c)} for c in scheme.territoires()],
        "perimetre": scheme.perimetre,
        "etapes": _labels(scheme.etapes, ETAPES),
        "beneficiaires": _labels(scheme.beneficiaires, {k: v[0] for k, v in BENEFICIAIRES.items()}),
        "themes": _labels(scheme.themes, themes()),
        "types_aides": [t for t in (scheme.values.get("types_aides") or "").split("|") if t],
        "date_cloture": (scheme.values.get("date_cloture") or None)
        and str(scheme.values["date_cloture"])[:10],
        "url": f"/aides/{scheme.id}",
        "verse": paid,
    }


def figures(scheme: Scheme) -> list[dict[str, Any]]:
    """Every figure a regulation writes (taux, plafond, plancher, enveloppe, dates), known or not;
    for another scheme, its rate and closing date. A figure no source gives is said so."""
    regulated = scheme.origine.startswith("reglement:")
    names = list(FIGURES) if regulated else ["taux", "plafond", "date_cloture"]
    rows = []
    for name in names:
        figure = scheme.chiffres.get(name)
        if figure is None and name == "date_cloture" and scheme.values.get("date_cloture"):
            value: Any = str(scheme.values["date_cloture"])[:10]
            rows.append(_figure_row(name, date_fr(value), value, None, None, scheme.source))
            continue
        if figure is None or figure.valeur is None:
            rows.append(_figure_row(name, NOT_GIVEN, None, None, None, None))
            continue
        text = figure.text()
        if name in DATE_FIGURES:
            text = date_fr(str(figure.valeur)) + (f" ({figure.precision})" if figure.precision else "")
        rows.append(_figure_row(name, text, figure.valeur, figure.unite, figure.precision, figure.source))
    return rows


def numbered_sources(scheme: Scheme, figure_rows: list[dict[str, Any]]) -> list[str]:
    """Every source the page cites, once, in order (the scheme's, then its figures' and conditions'):
    figures and conditions refer to them by number (`source_no`), so that long titles are written once."""
    listed: list[str] = []
    for text in [*(scheme.sources or [scheme.source]), *(r["source"] for r in figure_rows)]:
        if text and text not in listed:
            listed.append(text)
    for condition in scheme.conditions:
        if condition.source and condition.source not in listed:
            listed.append(condition.source)
    for row in figure_rows:
        row["source_no"] = listed.index(row["source"]) + 1 if row["source"] else None
    return listed


def _figure_row(
    name: str, text: str, value: Any, unit: str | None, precision: str | None, source: str | None
) -> dict[str, Any]:
    return {
        "nom": name,
        "libelle": FIGURE_LABELS[name],
        "texte": text,
        "valeur": value,
        "unite": unit,
        "precision": precision,
        "source": source,
        "connu": value is not None,
        "source_no": None,
    }


def funder_key(porteur: dict[str, Any]) -> str | None:
    return porteur.get("siren") or porteur.get("nom")


def matches_funder(scheme: Scheme, funder: str) -> bool:
    """The funder's SIREN, or a part of its name (accents and capitals ignored)."""
    wanted = fold(funder.strip())
    return any(
        wanted == str(p.get("siren") or "") or wanted in fold(str(p.get("nom") or ""))
        for p in porteurs(scheme)
    )


def matches_text(scheme: Scheme, text: str) -> bool:
    """Every word of `text` is in the scheme's title, promise, description or eligibility."""
    haystack = fold(
        " ".join(
            str(scheme.values.get(name) or "") for name in ("titre", "promesse", "description", "eligibilite")
        )
    )
    return all(word in haystack for word in fold(text).split())


def funder_choices(schemes: Iterable[Scheme]) -> list[dict[str, Any]]:
    counts: Counter[tuple[str, str]] = Counter()
    for scheme in schemes:
        seen = set()
        for porteur in porteurs(scheme):
            key = funder_key(porteur)
            if key and key not in seen and "financeur" in porteur["roles"]:
                seen.add(key)
                counts[(key, str(porteur.get("nom") or key))] += 1
    return [
        {"valeur": key, "libelle": name, "dispositifs": n}
        for (key, name), n in sorted(counts.items(), key=lambda item: (-item[1], item[0][1]))
    ]
