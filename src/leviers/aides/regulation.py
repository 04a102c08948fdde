"""Aid regulations of collectivités shipped as data (`src/leviers/data/aides/reglements/*.yaml`).

A regulation file names its collectivité, its territory (COG code), its sources (each with a
title and an address, or none) and its schemes. A scheme has the dispositif-aide fields it needs
(title, promise, description, eligibility as a list, aid types, cibles) plus what the schema has
no field for: the life-cycle stages, the kinds of beneficiaries, the kit's themes, the figures
(`taux`, `plafond`, `plancher`, `enveloppe`, `date_cloture`…) and the conditions, each with its
source. A figure no source gives is written `valeur: null` with the note « non précisé par les
sources »; `check_file` refuses a file that breaks these rules, so a new regulation (another
Région, a département) is added as one file and checked by the same test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import yaml

from leviers.aides.schema import CIBLES, check, parse_datetime
from leviers.aides.scheme import Condition, Figure, Scheme
from leviers.aides.vocabulary import (
    AXES,
    BENEFICIAIRES,
    BESOINS,
    CATEGORIES_TAILLE,
    ETAPES,
    LIMITES,
    REGLES_LISTES,
    TYPES_AIDES,
    UNKNOWN,
    themes,
)
from leviers.errors import LeviersError
from leviers.paths import PACKAGE_DATA

REGULATIONS_DIR = PACKAGE_DATA / "aides" / "reglements"
FIGURES = ("taux", "plafond", "plancher", "enveloppe", "date_ouverture", "date_cloture")
DATE_FIGURES = ("date_ouverture", "date_cloture")


class RegulationError(LeviersError):
    """A regulation file breaks the format (docs/aides.md); the message names the file and the scheme."""


@dataclass(frozen=True)
class Regulation:
    code: str
    titre: str
    path: Path
    schemes: list[Scheme]


def _source_text(sources: dict[str, Any], key: str) -> str:
    entry = sources[key]
    url = entry.get("url")
    title = " ".join(str(entry["titre"]).split())
    return f"{title} — {url}" if url else title


def _figure(sources: dict[str, Any], spec: dict[str, Any]) -> Figure:
    source = spec.get("source")
    return Figure(
        valeur=spec.get("valeur"),
        unite=spec.get("unite"),
        precision=spec.get("precision"),
        source=_source_text(sources, source) if source else None,
        note=spec.get("note"),
    )


def problems(document: Any) -> list[str]:
    """What is wrong with a regulation document (French, one line per fault; empty: valid)."""
    if not isinstance(document, dict) or not isinstance(document.get("reglement"), dict):
        return ["clé « reglement » absente"]
    head = document["reglement"]
    found: list[str] = []
    for key in ("code", "titre", "collectivite", "territoire", "date_mise_a_jour", "sources"):
        if not head.get(key):
            found.append(f"reglement : « {key} » absent")
    sources = head.get("sources") or {}
    for key, entry in sources.items():
        if not isinstance(entry, dict) or not entry.get("titre"):
            found.append(f"source « {key} » sans titre")
        elif entry.get("url") is not None and not str(entry["url"]).startswith(("http://", "https://")):
            found.append(f"source « {key} » : adresse {entry['url']!r} qui n'est pas en http(s)")
    items = document.get("dispositifs")
    if not isinstance(items, list) or not items:
        return [*found, "aucun dispositif"]
    codes: set[str] = set()
    ids: set[str] = set()
    for item in items:
        code = str(item.get("code") or "?")
        where = f"dispositif « {code} »"
        if code in codes:
            found.append(f"{where} : code en double")
        codes.add(code)
        if item.get("id") in ids:
            found.append(f"{where} : id en double")
        ids.add(item.get("id"))
        found += [f"{where} : {line}" for line in _scheme_problems(item, sources)]
        if not found:
            scheme = to_scheme(head, item)
            found += [f"{where} : {reason}" for _, reason in check(scheme.values)]
    return found


def _scheme_problems(item: dict[str, Any], sources: dict[str, Any]) -> Iterator[str]:
    for key in ("code", "id", "axe", "titre", "description", "eligibilite", "types_aides", "cibles"):
        if not item.get(key):
            yield f"« {key} » absent"
    if item.get("axe") not in AXES:
        yield f"axe {item.get('axe')!r} inconnu ({', '.join(AXES)})"
    for key, known in (
        ("etapes", ETAPES),
        ("beneficiaires", BENEFICIAIRES),
        ("besoins", BESOINS),
        ("themes", themes()),
        ("types_aides", TYPES_AIDES),
        ("cibles", CIBLES),
    ):
        values = item.get(key, [] if key == "besoins" else None)
        if not isinstance(values, list):
            yield f"« {key} » doit être une liste"
            continue
        for value in values:
            if value not in known:
                yield f"{key} : valeur inconnue {value!r}"
    if not item.get("sources"):
        yield "aucune source"
    for key in item.get("sources") or []:
        if key not in sources:
            yield f"source inconnue {key!r}"
    yield from _rule_problems(item, sources)
    for name in FIGURES:
        spec = item.get(name)
        if spec is None:
            if name in ("taux", "plafond"):
                yield f"« {name} » absent : écrire « valeur: null » et « note: {UNKNOWN} »"
            continue
        if not isinstance(spec, dict) or "valeur" not in spec:
            yield f"« {name} » : objet avec « valeur » attendu"
            continue
        if spec["valeur"] is None:
            if spec.get("note") != UNKNOWN:
                yield f"« {name} » inconnu sans la note « {UNKNOWN} »"
            continue
        if spec.get("source") not in sources:
            yield f"« {name} » : chiffre sans source connue ({spec.get('source')!r})"
        if name in DATE_FIGURES and parse_datetime(str(spec["valeur"])) is None:
            yield f"« {name} » : date ISO 8601 attendue"
        if name not in DATE_FIGURES and not isinstance(spec["valeur"], int | float):
            yield f"« {name} » : nombre attendu"
    for condition in item.get("conditions") or []:
        if not isinstance(condition, dict) or not condition.get("texte"):
            yield "condition sans texte"
        elif condition.get("source") not in sources:
            yield f"condition sans source connue : {str(condition.get('texte'))[:40]!r}"


def _rule_problems(item: dict[str, Any], sources: dict[str, Any]) -> Iterator[str]:
    """Every eligibility rule carries its source: a stated list (beneficiaries, stages, needs)
    names it in `regles`, a limit or a size category in its own `source`."""
    rules = item.get("regles") or {}
    if not isinstance(rules, dict):
        yield "« regles » : objet attendu (règle → clé de source)"
        return
    for key, source in rules.items():
        if key not in (*REGLES_LISTES, "territoire"):
            yield f"regles : règle inconnue {key!r}"
        elif source not in sources:
            yield f"regles : « {key} » sans source connue ({source!r})"
    for key in REGLES_LISTES:
        if item.get(key) and key not in rules:
            yield f"« {key} » sans source : ajouter « regles: {{{key}: <clé de source>}} »"
    for name in LIMITES:
        spec = item.get(name)
        if spec is None:
            continue
        if not isinstance(spec, dict) or not isinstance(spec.get("valeur"), int):
            yield f"« {name} » : objet avec une « valeur » entière attendu"
        elif spec.get("source") not in sources:
            yield f"« {name} » : limite sans source connue ({spec.get('source')!r})"
    size = item.get("categories_taille")
    if size is not None:
        if not isinstance(size, dict) or not size.get("valeurs"):
            yield "« categories_taille » : objet avec « valeurs » (MIC, PME, ETI, GE) attendu"
        else:
            for value in size["valeurs"]:
                if value not in CATEGORIES_TAILLE:
                    yield f"categories_taille : valeur inconnue {value!r}"
            if size.get("source") not in sources:
                yield f"« categories_taille » sans source connue ({size.get('source')!r})"


def _rule_sources(head: dict[str, Any], item: dict[str, Any]) -> dict[str, str]:
    sources = head.get("sources") or {}
    found = {key: _source_text(sources, source) for key, source in (item.get("regles") or {}).items()}
    if "territoire" not in found:
        # The territory is the collectivité's own: the regulation is the source.
        where = head.get("url_source")
        title = " ".join(str(head["titre"]).split())
        found["territoire"] = f"{title} — {where}" if where else title
    for name in (*LIMITES, "categories_taille"):
        spec = item.get(name)
        if isinstance(spec, dict) and spec.get("source"):
            found[name] = _source_text(sources, spec["source"])
    return found


def _date(item: dict[str, Any], name: str) -> str | None:
    spec = item.get(name)
    return str(spec["valeur"]) if isinstance(spec, dict) and spec.get("valeur") else None


def to_scheme(head: dict[str, Any], item: dict[str, Any], path: Path | None = None) -> Scheme:
    sources = head.get("sources") or {}
    collectivite = head["collectivite"]
    porteurs = [{"nom": collectivite["nom"], "siren": collectivite.get("siren"), "roles": ["financeur"]}]
    first_url = next((sources[k].get("url") for k in item.get("sources", []) if sources[k].get("url")), None)
    values: dict[str, str | None] = {
        "id": str(item["id"]),
        "titre": " ".join(str(item["titre"]).split()),
        "promesse": item.get("promesse"),
        "description": " ".join(str(item["description"]).split()),
        "eligibilite": "\n".join(f"• {' '.join(str(line).split())}" for line in item["eligibilite"]),
        "types_aides": "|".join(item["types_aides"]),
        "porteurs": orjson.dumps(porteurs).decode(),
        "programmes_parents": " ".join(str(head["titre"]).split()),
        "url_source": item.get("url_source") or head.get("url_source") or first_url,
        "cibles": "|".join(c for c in CIBLES if c in item["cibles"]),
        "eligibilite_geographique": item.get("territoire") or head["territoire"],
        "date_ouverture": _date(item, "date_ouverture"),
        "date_cloture": _date(item, "date_cloture"),
        "date_mise_a_jour": str(head["date_mise_a_jour"]),
    }
    updated: datetime | None = parse_datetime(str(head["date_mise_a_jour"]))
    return Scheme(
        values=values,
        origine=f"reglement:{head['code']}",
        source=str(path.name) if path else str(head["code"]),
        licence=" ".join(str(head.get("licence") or "").split()) or None,
        date_source=updated,
        code=str(item["code"]),
        axe=item.get("axe"),
        etapes=list(item.get("etapes") or []),
        beneficiaires=list(item.get("beneficiaires") or []),
        themes=list(item.get("themes") or []),
        territoire_priorite=" ".join(str(item.get("territoire_priorite") or "").split()) or None,
        chiffres={name: _figure(sources, item[name]) for name in FIGURES if isinstance(item.get(name), dict)},
        conditions=[
            Condition(" ".join(str(c["texte"]).split()), _source_text(sources, c["source"]))
            for c in item.get("conditions") or []
        ],
        sources=[_source_text(sources, key) for key in item.get("sources") or []],
        note=" ".join(str(item.get("note") or "").split()) or None,
        besoins=list(item.get("besoins") or []),
        sources_regles=_rule_sources(head, item),
        limites={
            name: Figure(
                valeur=item[name]["valeur"],
                unite=None,
                precision=item[name].get("precision"),
                source=_source_text(sources, item[name]["source"]),
            )
            for name in LIMITES
            if isinstance(item.get(name), dict)
        },
        categories_taille=list((item.get("categories_taille") or {}).get("valeurs") or []),
    )


def read(path: Path) -> Regulation:
    """A regulation file, checked; RegulationError names the file and every fault."""
    try:
        with path.open(encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise RegulationError(f"{path} : règlement illisible ({exc})") from exc
    faults = problems(document)
    if faults:
        raise RegulationError(f"{path} : règlement refusé — " + " ; ".join(faults))
    head = document["reglement"]
    schemes = [to_scheme(head, item, path) for item in document["dispositifs"]]
    return Regulation(code=str(head["code"]), titre=str(head["titre"]), path=path, schemes=schemes)


@cache
def shipped() -> tuple[Regulation, ...]:
    """Every regulation shipped with Leviers."""
    return tuple(read(path) for path in sorted(REGULATIONS_DIR.glob("*.yaml")))
