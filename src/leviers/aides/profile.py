"""What is known of an organisation asking which schemes it can get: its profile.

Two origins, each fact keeping which one said it:
- **the warehouse**, from its SIREN: the legal unit of SIRENE (`legal_units`: legal category,
  creation date, size band, company category, state), its ESS status as the warehouse's rules
  decide it (view `ess_status`, the same reading as the indicators and the supplier pages), the
  ESS lists loaded (view `ess_list_summary`: ESUS approval, SIAE/EA/ESAT/GEIQ kinds), and for a
  collectivité its territory (`ref_collectivites`). SIRENE's legal units carry no address: an
  organisation's commune is known from the warehouse only when it is a collectivité;
- **what the organisation says**: its stage of life, its need, its theme (a kit policy area), its
  commune or département, kinds it declares (an approval, being a CAE, a tiers-lieu…), and, when
  the warehouse does not know it, its legal category.

A fact nobody gave is unknown (`valeur` None), never false: a SIREN absent from the SIRENE stock
loaded leaves the legal form unknown, so a rule on beneficiaries is « to be checked », not « not
eligible ». `kinds()` reads, for each kind of beneficiary of the regulations
(vocabulary.BENEFICIAIRES), whether the organisation is one: yes, no, or unknown, with the fact.
"""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

import duckdb

from leviers.aides.catalogue import covering
from leviers.ess.reference import FAMILY_LABELS, SIAE_KINDS, legal_categories
from leviers.paths import PACKAGE_DATA

DECLARED = "déclaré par la structure"
SIRENE = "répertoire SIRENE"

# INSEE size bands (trancheEffectifsUniteLegale): code → (min, max) employees; NN and 00 say
# « no employee in the reference year » or « not known » — NN is unknown, 00 is zero.
SIZE_BANDS: dict[str, tuple[int, int | None]] = {
    "00": (0, 0), "01": (1, 2), "02": (3, 5), "03": (6, 9), "11": (10, 19), "12": (20, 49),
    "21": (50, 99), "22": (100, 199), "31": (200, 249), "32": (250, 499), "41": (500, 999),
    "42": (1000, 1999), "51": (2000, 4999), "52": (5000, 9999), "53": (10000, None),
}  # fmt: skip

# Kinds of the SIAE list (Marché de l'inclusion) and the beneficiary kind each proves.
SIAE_KIND_TO_BENEFICIARY = {
    "EI": "siae", "ETTI": "siae", "AI": "siae", "ACI": "siae",
    "EA": "ea", "EATT": "ea", "ESAT": "esat", "GEIQ": "geiq",
}  # fmt: skip
assert set(SIAE_KIND_TO_BENEFICIARY) <= SIAE_KINDS

# Kinds that only the organisation can say (no list or register loaded tells them).
DECLARED_ONLY = ("cae", "incubateur", "tiers_lieu", "ptce", "tete_de_reseau", "collectif_jeunes",
                 "regie_quartier", "ebe", "porteur_projet")  # fmt: skip


@dataclass(frozen=True)
class Fait:
    """One fact of the profile: its value (None: unknown), how it reads, and who said it."""

    valeur: Any
    libelle: str
    source: str

    @property
    def connu(self) -> bool:
        return self.valeur is not None

    def to_dict(self) -> dict[str, Any]:
        value = self.valeur
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, frozenset | set | tuple):
            value = sorted(value)
        return {"valeur": value, "libelle": self.libelle, "source": self.source}


def unknown(label: str, why: str) -> Fait:
    """An unknown fact: `label` says what is unknown (« forme juridique inconnue »), `why` why."""
    return Fait(None, label, why)


@dataclass
class Profile:
    """An organisation's facts. Build it with `from_warehouse` or `declared`."""

    siren: str | None
    denomination: str | None
    trouve: bool  # the warehouse knows the SIREN (SIRENE or an ESS list)
    categorie_juridique: Fait
    famille: Fait  # leviers.ess.reference family of the legal category
    statut_ess: Fait  # ESS | non ESS | inconnu, with the warehouse's reason
    esus: Fait  # True (ESUS list or SIAE by law) | False (not ESS) | None
    types_siae: Fait  # frozenset of SIAE-list kinds (EI, ACI, EA, ESAT, GEIQ…), None: list not loaded
    categorie_entreprise: Fait  # PME | ETI | GE (INSEE) | None
    tranche_effectifs: Fait  # INSEE band code | None
    date_creation: Fait
    etat_administratif: Fait  # A | C | None
    territoires: Fait  # frozenset of COG codes covering the organisation's seat (COM-, DEP-, REG-, PAYS-)
    collectivite: Fait  # True when the SIREN is a collectivité of the reference
    etape: Fait
    besoin: Fait
    theme: Fait
    types_declares: frozenset[str] = frozenset()
    date: date = field(default_factory=date.today)
    avertissements: list[str] = field(default_factory=list)
    _kinds: dict[str, tuple[bool | None, str]] | None = field(default=None, repr=False, compare=False)

    # --- derived facts -------------------------------------------------------------------------

    def age(self) -> int | None:
        """Full years since creation at the profile's date, or None."""
        created = self.date_creation.valeur
        if not isinstance(created, date):
            return None
        years = (
            self.date.year - created.year - ((self.date.month, self.date.day) < (created.month, created.day))
        )
        return max(years, 0)

    def effectifs(self) -> tuple[int, int | None] | None:
        band = self.tranche_effectifs.valeur
        return SIZE_BANDS.get(band) if isinstance(band, str) else None

    def kinds(self) -> dict[str, tuple[bool | None, str]]:
        """Each beneficiary kind: (is it, the fact that says so, in French), read once."""
        if self._kinds is None:
            self._kinds = _kinds(self)
        return self._kinds

    def to_dict(self) -> dict[str, Any]:
        facts = {
            name: getattr(self, name).to_dict()
            for name in (
                "categorie_juridique", "famille", "statut_ess", "esus", "types_siae",
                "categorie_entreprise", "tranche_effectifs", "date_creation", "etat_administratif",
                "territoires", "collectivite", "etape", "besoin", "theme",
            )
        }  # fmt: skip
        return {
            "siren": self.siren,
            "denomination": self.denomination,
            "trouve": self.trouve,
            "date": self.date.isoformat(),
            "faits": facts,
            "types_declares": sorted(self.types_declares),
            "avertissements": self.avertissements,
        }


# --- legal categories -------------------------------------------------------------------------


@cache
def _categories() -> dict[tuple[str, str], Any]:
    return {(c.niveau, c.code): c for c in legal_categories()}


def category(code: str) -> Any | None:
    """The documented reading of an INSEE legal category (niveau III, else its family's default)."""
    found = _categories().get(("III", code))
    return found if found is not None else _categories().get(("I", code[:1]))


def known_category(code: str) -> bool:
    return ("III", code) in _categories()


def valid_siren(siren: str) -> bool:
    """Nine digits whose Luhn sum is a multiple of 10 (INSEE's check digit)."""
    if len(siren) != 9 or not siren.isdigit():
        return False
    total = 0
    for index, char in enumerate(siren):
        digit = int(char) * (2 if index % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


# --- territory ----------------------------------------------------------------------------------


@cache
def communes() -> dict[str, tuple[str, str, str]]:
    """COG commune code → (name, département code, région code), from the shipped reference."""
    with gzip.open(PACKAGE_DATA / "reference" / "communes.csv.gz", "rt", encoding="utf-8") as handle:
        return {
            r["code_insee"]: (r["nom"], r["departement_code"], r["region_code"])
            for r in csv.DictReader(handle)
        }


@cache
def regions() -> dict[str, str]:
    with (PACKAGE_DATA / "reference" / "regions.csv").open(encoding="utf-8") as handle:
        return {r["code"]: r["nom"] for r in csv.DictReader(handle)}


@cache
def departements() -> dict[str, tuple[str, str]]:
    with (PACKAGE_DATA / "reference" / "departements.csv").open(encoding="utf-8") as handle:
        return {r["code"]: (r["nom"], r["region_code"]) for r in csv.DictReader(handle)}


def territory_fact(commune: str | None, departement: str | None, source: str) -> Fait | None:
    """The COG codes covering a commune (else a département), or None when the code is unknown."""
    if commune:
        found = communes().get(commune)
        if found is None:
            return None
        name, dep, region = found
        codes = covering(f"COM-{commune}") | {f"DEP-{dep}", f"REG-{region}"}
        where = f"{name} ({commune}), {departements().get(dep, (dep,))[0]} ({dep}), {regions().get(region, region)}"
        return Fait(frozenset(codes), where, source)
    if departement:
        found_dep = departements().get(departement)
        if found_dep is None:
            return None
        name, region = found_dep
        where = f"{name} ({departement}), {regions().get(region, region)}"
        return Fait(frozenset(covering(f"DEP-{departement}")), where, source)
    return None


# --- building a profile --------------------------------------------------------------------------


def _rows(con: duckdb.DuckDBPyConnection, queries: dict[str, str], siren: str) -> dict[str, Any]:
    """The first row of each query (each reads `$1`, the SIREN), as a dictionary or None, in one
    statement: each look-up by SIREN costs a query's fixed cost, which a page pays once."""
    if not queries:
        return {}
    columns = ", ".join(f"(SELECT r FROM ({sql} LIMIT 1) AS r) AS {name}" for name, sql in queries.items())
    cursor = con.execute(f"SELECT {columns}", [siren])
    row = cursor.fetchone()
    return dict(zip(queries, row, strict=True)) if row is not None else {}


@dataclass(frozen=True)
class Sources:
    """Where `from_warehouse` reads each fact: the relation's name, None when absent. Found with one
    query by `sources(con)`; a server reads them once (the web's serving copy materialises the ESS
    status view as `web_ess_status`: the same rows, read by SIREN without recomputing the view)."""

    legal_units: str | None = None
    ess_status: str | None = None
    ess_list_summary: str | None = None
    lists_loaded: frozenset[str] = frozenset()  # sources of ess_list_entries (esus, siae…)
    ref_collectivites: str | None = None


_RELATIONS = ("legal_units", "ess_status", "ess_list_summary", "ess_list_entries", "ref_collectivites")


def sources(con: duckdb.DuckDBPyConnection, renamed: dict[str, str] | None = None) -> Sources:
    """The relations present on `con` (one query), `renamed` giving another relation holding the
    same rows (ess_status → web_ess_status), used when present."""
    renamed = renamed or {}
    wanted = [*_RELATIONS, *renamed.values()]
    present = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE list_contains(?, table_name) UNION "
            "SELECT view_name FROM duckdb_views() WHERE list_contains(?, view_name)",
            [wanted, wanted],
        ).fetchall()
    }

    def pick(name: str) -> str | None:
        other = renamed.get(name)
        if other is not None and other in present:
            return other
        return name if name in present else None

    loaded: frozenset[str] = frozenset()
    if "ess_list_entries" in present:
        loaded = frozenset(
            s for (s,) in con.execute("SELECT DISTINCT source FROM ess_list_entries").fetchall()
        )
    return Sources(
        legal_units=pick("legal_units"),
        ess_status=pick("ess_status"),
        ess_list_summary=pick("ess_list_summary"),
        lists_loaded=loaded,
        ref_collectivites=pick("ref_collectivites"),
    )


@dataclass(frozen=True)
class Declaration:
    """What the organisation says of itself (every field optional)."""

    etape: str | None = None
    besoin: str | None = None
    theme: str | None = None
    commune: str | None = None
    departement: str | None = None
    categorie_juridique: str | None = None
    types: frozenset[str] = frozenset()
    date: date | None = None


def _declared_facts(profile: Profile, said: Declaration) -> None:
    from leviers.aides.vocabulary import BESOINS, ETAPES, themes

    if said.etape:
        profile.etape = Fait(said.etape, ETAPES[said.etape], DECLARED)
    if said.besoin:
        profile.besoin = Fait(said.besoin, BESOINS[said.besoin], DECLARED)
    if said.theme:
        profile.theme = Fait(said.theme, themes()[said.theme], DECLARED)
    where = territory_fact(said.commune, said.departement, DECLARED)
    if where is not None:
        if profile.territoires.connu and profile.territoires.valeur != where.valeur:
            profile.avertissements.append(
                f"Territoire déclaré ({where.libelle}) retenu à la place de celui de l'entrepôt "
                f"({profile.territoires.libelle})."
            )
        profile.territoires = where
    if said.categorie_juridique and not profile.categorie_juridique.connu:
        _set_category(profile, said.categorie_juridique, DECLARED)
        reading = category(said.categorie_juridique)
        if reading is not None and reading.indication in ("ESS", "non ESS") and not profile.statut_ess.connu:
            status = "ESS" if reading.indication == "ESS" else "non ESS"
            profile.statut_ess = Fait(status, f"{status} : {reading.libelle} — {reading.note}", DECLARED)
    elif said.categorie_juridique and said.categorie_juridique != profile.categorie_juridique.valeur:
        profile.avertissements.append(
            f"Forme juridique déclarée ({said.categorie_juridique}) différente de celle du répertoire "
            f"SIRENE ({profile.categorie_juridique.valeur}) : celle du répertoire est retenue."
        )
    profile.types_declares = frozenset(said.types)


def _set_category(profile: Profile, code: str, source: str) -> None:
    reading = category(code)
    label = f"{reading.libelle} ({code})" if reading is not None and known_category(code) else f"code {code}"
    profile.categorie_juridique = Fait(code, label, source)
    family = reading.famille if reading is not None else None
    profile.famille = (
        Fait(family, FAMILY_LABELS.get(family, family), source)
        if family
        else unknown("famille inconnue", source)
    )


def _empty(siren: str | None, why: str, today: date) -> Profile:
    return Profile(
        siren=siren,
        denomination=None,
        trouve=False,
        categorie_juridique=unknown("forme juridique inconnue", why),
        famille=unknown("famille inconnue", why),
        statut_ess=unknown("statut ESS inconnu", why),
        esus=unknown("agrément ESUS inconnu", why),
        types_siae=unknown("type de structure d'insertion inconnu", why),
        categorie_entreprise=unknown("catégorie d'entreprise inconnue", why),
        tranche_effectifs=unknown("tranche d'effectifs inconnue", why),
        date_creation=unknown("date de création inconnue", why),
        etat_administratif=unknown("état administratif inconnu", why),
        territoires=unknown("territoire inconnu", "ni commune déclarée ni adresse dans l'entrepôt"),
        collectivite=unknown("qualité de collectivité inconnue", why),
        etape=unknown("étape non déclarée", "option --etape"),
        besoin=unknown("besoin non déclaré", "option --besoin"),
        theme=unknown("thème non déclaré", "option --theme"),
        date=today,
    )


def declared(said: Declaration) -> Profile:
    """A profile from declared facts only (an organisation without a SIREN yet, or a SIREN the
    warehouse does not know)."""
    profile = _empty(None, "aucun SIREN : seuls les faits déclarés sont connus", said.date or date.today())
    _declared_facts(profile, said)
    return profile


def from_warehouse(
    con: duckdb.DuckDBPyConnection | None,
    siren: str,
    said: Declaration | None = None,
    *,
    found: Sources | None = None,
) -> Profile:
    """The profile of `siren`: what the warehouse knows, then what the organisation declares.
    `found`: where to read (`sources(con)`, computed here when not given)."""
    said = said or Declaration()
    today = said.date or date.today()
    if con is None:
        profile = _empty(siren, "pas d'entrepôt : rien n'est connu de ce SIREN", today)
        _declared_facts(profile, said)
        return profile
    read = found if found is not None else sources(con)
    asked: dict[str, str] = {}
    if read.legal_units is not None:
        asked["unit"] = (
            f"SELECT lu.*, i.path AS fichier, i.started_at AS charge_le FROM {read.legal_units} AS lu "
            "LEFT JOIN ingestions AS i USING (ingestion_id) WHERE lu.siren = $1"
        )
    if read.ess_status is not None:
        asked["status"] = f"SELECT status, rule, reason FROM {read.ess_status} WHERE siren = $1"
    lists_loaded = set(read.lists_loaded)
    if read.ess_list_summary is not None and read.lists_loaded:  # no list loaded: nobody is listed
        asked["lists"] = f"SELECT esus, siae, siae_kinds FROM {read.ess_list_summary} WHERE siren = $1"
    if read.ref_collectivites is not None:
        asked["reference"] = (
            "SELECT type, nature_libelle, code, nom, departement_code, region_code "
            f"FROM {read.ref_collectivites} WHERE siren = $1"
        )
    rows = _rows(con, asked, siren)
    unit, status, lists, reference = (rows.get(k) for k in ("unit", "status", "lists", "reference"))
    why = "SIREN absent du stock SIRENE chargé" if unit is None else SIRENE
    profile = _empty(siren, why, today)
    profile.trouve = unit is not None or status is not None or lists is not None or reference is not None
    if unit is not None:
        loaded = unit.get("charge_le")
        source = SIRENE + (f" (chargé le {loaded:%d/%m/%Y})" if loaded is not None else "")
        profile.denomination = unit.get("denomination")
        if unit.get("categorie_juridique"):
            _set_category(profile, str(unit["categorie_juridique"]), source)
        else:
            profile.categorie_juridique = unknown(
                "forme juridique inconnue", "non renseignée au répertoire SIRENE"
            )
        if unit.get("categorie_entreprise"):
            profile.categorie_entreprise = Fait(
                unit["categorie_entreprise"],
                f"{unit['categorie_entreprise']} (INSEE, {unit.get('annee_categorie_entreprise') or 'année ?'})",
                source,
            )
        band = unit.get("tranche_effectifs")
        if band in SIZE_BANDS:
            low, high = SIZE_BANDS[band]
            shown = f"{low} à {high} salariés" if high is not None else f"{low} salariés ou plus"
            profile.tranche_effectifs = Fait(band, f"{shown} (tranche {band})", source)
        if unit.get("date_creation") is not None:
            created: date = unit["date_creation"]
            profile.date_creation = Fait(created, f"créée le {created:%d/%m/%Y}", source)
        state = unit.get("etat_administratif")
        if state in ("A", "C"):
            profile.etat_administratif = Fait(state, "active" if state == "A" else "cessée", source)
            if state == "C":
                profile.avertissements.append(
                    "L'unité légale est cessée au répertoire SIRENE : aucun dispositif ne finance une "
                    "structure fermée."
                )
    if status is not None:
        profile.statut_ess = Fait(status["status"] if status["status"] != "inconnu" else None,
                                  str(status["reason"]), "statut ESS de l'entrepôt (" + str(status["rule"]) + ")")  # fmt: skip
    if lists is not None and lists.get("esus"):
        profile.esus = Fait(True, "agréée ESUS", "liste des agréments ESUS")
    elif profile.statut_ess.valeur == "non ESS":
        profile.esus = Fait(
            False, "l'agrément ESUS est réservé aux entreprises de l'ESS", profile.statut_ess.source
        )
    elif "esus" in lists_loaded:
        profile.esus = unknown("agrément ESUS inconnu", "absente de la liste ESUS chargée, qui peut dater")
    kinds = (
        frozenset(str(lists["siae_kinds"]).split(", ")) if lists and lists.get("siae_kinds") else frozenset()
    )
    if kinds:
        profile.types_siae = Fait(
            kinds, ", ".join(sorted(kinds)), "Marché de l'inclusion (liste SIAE chargée)"
        )
        if (
            any(SIAE_KIND_TO_BENEFICIARY.get(k) in ("siae", "ea", "esat") for k in kinds)
            and not profile.esus.connu
        ):
            profile.esus = Fait(True, f"agréée ESUS de plein droit ({', '.join(sorted(kinds))})",
                                "Code du travail, art. L3332-17-1, II")  # fmt: skip
    elif "siae" in lists_loaded:
        profile.types_siae = unknown(
            "type de structure d'insertion inconnu", "absente de la liste SIAE chargée, qui peut dater"
        )
    if reference is not None:
        source = "référentiel des collectivités (Leviers)"
        profile.collectivite = Fait(True, f"{reference['nom']} ({reference['nature_libelle']})", source)
        if reference["type"] == "commune":
            where = territory_fact(str(reference["code"]), None, source)
        else:
            where = territory_fact(None, reference.get("departement_code"), source)
        if where is None and reference.get("region_code"):
            region = str(reference["region_code"])
            where = Fait(frozenset({f"REG-{region}", "PAYS-99100"}), regions().get(region, region), source)
        if where is not None:
            profile.territoires = where
    elif profile.famille.connu:
        profile.collectivite = Fait(
            False, f"pas une collectivité ({profile.famille.libelle})", profile.famille.source
        )
    _declared_facts(profile, said)
    return profile


# --- kinds of beneficiaries ---------------------------------------------------------------------


def _kinds(p: Profile) -> dict[str, tuple[bool | None, str]]:
    from leviers.aides.vocabulary import BENEFICIAIRES

    famille = p.famille.valeur
    form = p.categorie_juridique.libelle
    result: dict[str, tuple[bool | None, str]] = {}

    def by_family(
        kind: str, families: tuple[str, ...], maybe: tuple[str, ...] = ()
    ) -> tuple[bool | None, str]:
        if famille is None:
            return None, f"{p.categorie_juridique.libelle} ({p.categorie_juridique.source})"
        if famille in families:
            return True, f"{form} ({p.categorie_juridique.source})"
        if famille in maybe:
            return None, f"{form} : la forme ne suffit pas à le dire ({p.categorie_juridique.source})"
        return False, f"{form} ({p.categorie_juridique.source})"

    result["association"] = by_family("association", ("association",))
    # SCIC and CAE in SAS or SARL have no legal category of their own: a company may be one.
    result["cooperative"] = by_family("cooperative", ("scop", "cooperative"), ("societe_commerciale",))
    result["mutuelle"] = by_family("mutuelle", ("mutuelle",))
    ess = p.statut_ess.valeur
    if ess == "ESS":
        result["entreprise_ess"] = (True, f"{p.statut_ess.libelle} ({p.statut_ess.source})")
    elif ess == "non ESS":
        result["entreprise_ess"] = (False, f"{p.statut_ess.libelle} ({p.statut_ess.source})")
    else:
        result["entreprise_ess"] = (None, f"{p.statut_ess.libelle} ({p.statut_ess.source})")
    size = p.categorie_entreprise.valeur
    if result["entreprise_ess"][0] is False:
        result["tpe_pme_ess"] = (False, result["entreprise_ess"][1])
    elif size in ("ETI", "GE"):
        result["tpe_pme_ess"] = (
            False,
            f"catégorie d'entreprise {p.categorie_entreprise.libelle} ({p.categorie_entreprise.source})",
        )
    elif size == "PME" and result["entreprise_ess"][0]:
        result["tpe_pme_ess"] = (
            True,
            f"entreprise de l'ESS, catégorie {p.categorie_entreprise.libelle} ({p.categorie_entreprise.source})",
        )
    else:
        missing = "statut ESS" if result["entreprise_ess"][0] is None else "catégorie d'entreprise"
        result["tpe_pme_ess"] = (None, f"{missing} inconnu")
    esus = p.esus.valeur
    result["esus"] = (esus, f"{p.esus.libelle} ({p.esus.source})")
    kinds = p.types_siae.valeur
    for kind in ("siae", "ea", "esat", "geiq"):
        listed = sorted(k for k in (kinds or ()) if SIAE_KIND_TO_BENEFICIARY.get(k) == kind)
        if listed:
            result[kind] = (True, f"{', '.join(listed)} ({p.types_siae.source})")
        else:
            result[kind] = (
                None,
                f"{p.types_siae.libelle if kinds is None else 'absente de cette catégorie de la liste SIAE chargée'} ({p.types_siae.source})",
            )
    result["collectivite"] = (p.collectivite.valeur, f"{p.collectivite.libelle} ({p.collectivite.source})")
    for kind in DECLARED_ONLY:
        result[kind] = (None, "aucune donnée chargée ne le dit : à déclarer")
    if p.siren is None:
        result["porteur_projet"] = (True, "pas encore de SIREN (" + DECLARED + ")")
    for kind in p.types_declares:
        value, why = result[kind]
        if value is False:
            # The register says otherwise (a legal form, the ESS status): the register is kept.
            result[kind] = (False, f"{why} ; déclaré par la structure, mais contredit par cette source")
        else:
            result[kind] = (True, DECLARED)
    assert set(result) == set(BENEFICIAIRES), set(BENEFICIAIRES) ^ set(result)
    return result
