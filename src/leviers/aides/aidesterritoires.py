"""Aides-territoires' aids as dispositif-aide schemes.

Aides-territoires (MTES-MCT, aides-territoires.beta.gouv.fr) answers `GET /api/aids/` with pages
`{"count", "next", "previous", "results": [aid, …]}`; an aid carries `id`, `slug`, `url` (path of
its page), `name`, `short_title`, `description` and `eligibility` (HTML), `financers`,
`instructors`, `programs`, `perimeter` and `perimeter_scale` (names), `categories`
(« Thème / Catégorie »), `targeted_audiences`, `aid_types`, `mobilization_steps` (names),
`origin_url`, `start_date`, `submission_deadline`, `subvention_rate_lower_bound` and `_upper_bound`
(%), `import_share_licence`, `date_created`, `date_updated` (MTES-MCT/aides-territoires-symfony,
src/Controller/Api/Aid/AidController.php). `leviers download aides` saves the pages it read as one
file, `{"source", "url", "date_extraction", "aides": [aid, …]}`, that this module reads.

The translation into the schema (docs/aides.md):
- `id`: UUID v5 of the aid's page address (stable across imports); its number is `id_origine`;
- `cibles`: from the audiences (AUDIENCE_CIBLES below); an audience it does not know is kept in
  `beneficiaires` with a warning;
- `eligibilite_geographique`: France → PAYS-99100, a région or a département → REG-/DEP- code by its
  name in the shipped reference; any other perimeter (EPCI, commune, ad hoc) keeps its name in
  `perimetre`, the COG codes left empty with a warning (never guessed);
- `description` and `eligibilite` as plain text (HTML removed), cut to the schema's 5 000
  characters with a warning; no eligibility text → « Non précisée par Aides-territoires ».
"""

from __future__ import annotations

import csv
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from leviers.aides.records import SchemeRecord
from leviers.aides.schema import parse_datetime, scheme_uuid
from leviers.errors import InputRefused
from leviers.ingestion.files import Sample
from leviers.paths import PACKAGE_DATA

SITE = "https://aides-territoires.beta.gouv.fr"
ORIGINE = "aides-territoires"
MAX_TEXT = 5000
NO_ELIGIBILITY = "Non précisée par Aides-territoires (voir la fiche source)."

# Aides-territoires' audiences (src/aids/constants.py, names as the API gives them) → the schema's cibles.
AUDIENCE_CIBLES: dict[str, tuple[str, ...]] = {
    "Communes": ("secteur public",),
    "Intercommunalités / Pays": ("secteur public",),
    "Départements": ("secteur public",),
    "Régions": ("secteur public",),
    "Collectivités d'outre-mer à statuts particuliers": ("secteur public",),
    "Établissements publics (écoles, bibliothèques…) / Services de l'État": ("secteur public",),
    "Établissement public": ("secteur public",),  # the shorter name of the Régions' mappings
    "Entreprises publiques locales (Sem, Spl, SemOp)": ("secteur public",),
    "Associations": ("associations",),
    "Particuliers": ("particuliers",),
    "Agriculteurs": ("professionnels",),
    "Entreprises privées": ("professionnels",),
    # Research teams are public laboratories or companies' R&D: both.
    "Recherche": ("professionnels", "secteur public"),
}
CIBLES_ORDER = ("professionnels", "particuliers", "associations", "secteur public")

# Aid types (names) → the schema's types_aides; financial aids are « financement », engineering
# (technical, financial, legal) « accompagnement ».
FINANCIAL_TYPES = {
    "Subvention",
    "Prêt",
    "Avance récupérable",
    "Certificat d'économie d'énergie (CEE)",
    "Autre aide financière",
}
LICENCES = {"openlicence20": "Licence Ouverte 2.0"}
_TAG = re.compile(r"<[^>]+>")


def sniff(sample: Sample) -> bool:
    head = "".join(sample.text_head()[:20000].split())
    return head.startswith("{") and '"targeted_audiences"' in head and '"slug"' in head


@cache
def _areas() -> dict[tuple[str, str], str]:
    """(level, normalised name) → COG code, from the shipped reference."""
    found: dict[tuple[str, str], str] = {}
    for level, prefix, name in (("region", "REG", "regions.csv"), ("departement", "DEP", "departements.csv")):
        with (PACKAGE_DATA / "reference" / name).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                found[(level, _norm(row["nom"]))] = f"{prefix}-{row['code']}"
    return found


def _norm(name: str) -> str:
    return re.sub(r"[\s'’-]+", " ", name).strip().lower()


def cog_codes(perimeter: str | None, scale: str | None) -> str | None:
    """COG codes of an Aides-territoires perimeter, when its name says it unambiguously."""
    if not perimeter:
        return None
    name = _norm(re.sub(r"\s*\(.*\)$", "", perimeter))
    level = _norm(scale or "")
    if name == "france" or level in ("pays", "france", "national"):
        return "PAYS-99100" if name == "france" else None
    if level in ("région", "region") or (not level and ("region", name) in _areas()):
        return _areas().get(("region", name))
    if level in ("département", "departement") or (not level and ("departement", name) in _areas()):
        return _areas().get(("departement", name))
    return None


def text_of(html: str | None) -> str:
    """Plain text of an HTML fragment (paragraphs and list items on their own lines)."""
    if not html or not html.strip():
        return ""
    from lxml import html as lxml_html

    try:
        root = lxml_html.fragment_fromstring(html, create_parent="div")
    except Exception:  # not HTML after all: the text as given, tags removed
        return " ".join(_TAG.sub(" ", html).split())
    for element in root.iter("br", "p", "li", "div", "h1", "h2", "h3", "h4", "tr"):
        element.tail = "\n" + (element.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)


def _names(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(v).strip() for v in value if v is not None and str(v).strip()]


def _date(value: Any) -> str | None:
    if not value:
        return None
    parsed = parse_datetime(str(value))
    return parsed.isoformat().replace("+00:00", "Z") if parsed else str(value)


def _rate(value: Any) -> float | None:
    try:
        return None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None


def to_record(index: int, aid: Any, extracted: datetime | None, site: str = SITE) -> SchemeRecord:
    raw = orjson.dumps(aid).decode()
    if not isinstance(aid, dict):
        return SchemeRecord(index, {}, raw, ORIGINE, problems=[(None, "aide qui n'est pas un objet JSON")])
    page = str(aid.get("url") or "")
    if page.startswith("/"):
        page = site.rstrip("/") + page
    slug = str(aid.get("slug") or "").strip()
    if not page and slug:
        page = f"{site.rstrip('/')}/aides/{slug}/"
    record = SchemeRecord(
        index,
        {},
        raw,
        origine=ORIGINE,
        id_origine=None if aid.get("id") is None else str(aid["id"]),
        source=page or None,
        licence=LICENCES.get(str(aid.get("import_share_licence") or "")),
        date_source=extracted,
    )
    if not page:
        record.problems.append(("id", "aide sans adresse ni « slug » : pas d'identifiant stable"))
        return record
    description, eligibility = text_of(aid.get("description")), text_of(aid.get("eligibility"))
    for name, text in (("description", description), ("eligibilite", eligibility)):
        if len(text) > MAX_TEXT:
            record.warnings.append(
                (name, f"texte de {len(text)} caractères coupé à {MAX_TEXT} (limite du schéma)", None)
            )
    audiences = _names(aid.get("targeted_audiences"))
    cibles = {c for a in audiences for c in AUDIENCE_CIBLES.get(a, ())}
    for audience in audiences:
        if audience not in AUDIENCE_CIBLES:
            record.warnings.append(
                ("cibles", "public d'Aides-territoires sans équivalent dans les cibles du schéma", audience)
            )
    types = _names(aid.get("aid_types"))
    kinds = []
    if any(t in FINANCIAL_TYPES for t in types):
        kinds.append("financement")
    if any(t not in FINANCIAL_TYPES for t in types):
        kinds.append("accompagnement")
    porteurs = [{"nom": n, "siren": None, "roles": ["financeur"]} for n in _names(aid.get("financers"))]
    porteurs += [{"nom": n, "siren": None, "roles": ["instructeur"]} for n in _names(aid.get("instructors"))]
    perimeter = None if aid.get("perimeter") is None else str(aid["perimeter"])
    codes = cog_codes(perimeter, None if aid.get("perimeter_scale") is None else str(aid["perimeter_scale"]))
    if perimeter and codes is None:
        record.warnings.append(
            (
                "eligibilite_geographique",
                "périmètre d'Aides-territoires non traduit en codes du COG (ni la France, ni une "
                "région, ni un département nommés sans ambiguïté) : gardé dans « perimetre »",
                perimeter,
            )
        )
    origin = str(aid.get("origin_url") or "").strip()
    short = str(aid.get("short_title") or "").strip()
    record.values = {
        "id": scheme_uuid(page),
        "titre": str(aid.get("name") or "").strip() or None,
        "promesse": short if short and len(short) <= 180 else None,
        "description": description[:MAX_TEXT] or None,
        "eligibilite": eligibility[:MAX_TEXT] or NO_ELIGIBILITY,
        "types_aides": "|".join(kinds) or None,
        "porteurs": orjson.dumps(porteurs).decode() if porteurs else None,
        "programmes_parents": "|".join(_names(aid.get("programs"))) or None,
        "url_source": origin if origin.startswith(("http://", "https://")) else page,
        "cibles": "|".join(c for c in CIBLES_ORDER if c in cibles) or None,
        "eligibilite_geographique": codes,
        "date_ouverture": _date(aid.get("start_date")),
        "date_cloture": _date(aid.get("submission_deadline")),
        "date_mise_a_jour": _date(aid.get("date_updated") or aid.get("date_created")),
    }
    record.perimetre = perimeter
    record.themes = _names(aid.get("categories"))
    record.etapes = _names(aid.get("mobilization_steps"))
    record.beneficiaires = audiences
    record.taux_min = _rate(aid.get("subvention_rate_lower_bound"))
    record.taux_max = _rate(aid.get("subvention_rate_upper_bound"))
    return record


def read(path_display: str, path: Path) -> list[SchemeRecord]:
    """The aids of a file saved by `leviers download aides`, or of one API page saved as is."""
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InputRefused(path_display, f"JSON illisible ({exc})") from exc
    if not isinstance(document, dict):
        raise InputRefused(path_display, "objet JSON attendu (réponse ou export d'Aides-territoires)")
    aids = document.get("aides", document.get("results"))
    if not isinstance(aids, list):
        raise InputRefused(path_display, "liste d'aides absente (clé « aides » ou « results »)")
    extracted = parse_datetime(str(document.get("date_extraction") or "")) or None
    site = str(document.get("site") or SITE)
    return [to_record(i, aid, extracted, site) for i, aid in enumerate(aids)]
