"""Which schemes an organisation can get: each scheme's rules read against the organisation's profile.

`match(profile, schemes)` is the one entry point (the command line and the web call it). Each scheme
gets a verdict:
- `non_eligible` when one rule is contradicted by a known fact (a form the scheme does not fund,
  a stage it does not cover, a territory outside its own, a closed call…);
- `a_verifier` when no rule is contradicted but one cannot be decided: the scheme's sources say
  nothing on it, or the profile does not know the fact (a SIREN absent from SIRENE leaves the legal
  form unknown: « to be checked », never « not eligible »);
- `eligible` when every rule the data can check holds.
Whatever the verdict, the conditions no data can check (the regulation's `conditions`, or the
eligibility text of a catalogue scheme) are listed as still to be proven by the organisation.

Rules, each with the fact it read, the value it expected and its source (docs/aides.md):
`beneficiaires` (regulations: kinds of organisations; profile.kinds()), `cibles` (other catalogues:
the schema's broad audiences), `etape` (a regulation's schemes of the life-cycle axis; the
cooperation and ecosystem axes are not ordered by stage, so the rule applies to them only when they
list stages), `besoin`, `territoire` (COG codes), `cloture` (the closing
date), `categorie_taille`, `effectif`, `anciennete` and `forme_juridique` (where a source states
them: a regulation's limits or the dispositif-aide *professionnels* fields). The declared theme
(a kit policy area) does not decide eligibility: it is shown and sorts the list.

Speed: a catalogue is compiled once (`compile_schemes`) into columns: per rule, its distinct values
and each scheme's number. A rule's answer depends only on the scheme's values for that rule and on
the profile, so one `match` computes it once per distinct value (a catalogue repeats audiences,
territories and stages) and combines the answers for all schemes with array operations; the
verdicts and their explanations are built when read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import Any

import numpy as np

from leviers.aides.catalogue import fold
from leviers.aides.profile import Profile
from leviers.aides.schema import parse_datetime
from leviers.aides.scheme import Scheme
from leviers.aides.vocabulary import BENEFICIAIRES, BESOINS, CATEGORIES_TAILLE, ETAPES, UNKNOWN, themes

ELIGIBLE, A_VERIFIER, NON_ELIGIBLE = "eligible", "a_verifier", "non_eligible"
STATUTS = {ELIGIBLE: "Éligible", A_VERIFIER: "À vérifier", NON_ELIGIBLE: "Non éligible"}
OUI, NON, INCONNU = "oui", "non", "inconnu"

REGLES = {
    "beneficiaires": "Bénéficiaires",
    "cibles": "Publics visés",
    "etape": "Étape de vie",
    "besoin": "Besoin financé",
    "territoire": "Territoire",
    "cloture": "Date de clôture",
    "categorie_taille": "Catégorie d'entreprise",
    "effectif": "Effectif salarié",
    "anciennete": "Années d'existence",
    "forme_juridique": "Forme juridique",
}
_KIND_LABELS = {code: label for code, (label, _) in BENEFICIAIRES.items()}

# The dispositif-aide schema's legal forms (its example list) as INSEE legal categories say them.
_SCHEMA_FORMS = ("EI", "Microentrepreneur", "EURL", "SASU", "SARL", "SAS", "SA", "SNC", "SCS", "SCA",
                 "SICA", "GAEC", "GIE", "Association")  # fmt: skip


def schema_forms(code: str | None) -> frozenset[str] | None:
    """The schema's legal-form words an INSEE legal category is (None: not mapped)."""
    if not code:
        return None
    if code in ("5432", "5532", "5632", "6532"):
        return frozenset({"SICA"})
    exact = {"1000": "EI", "5498": "EURL", "5720": "SASU", "5710": "SAS", "5202": "SNC", "5306": "SCS",
             "5307": "SCS", "5308": "SCA", "5309": "SCA", "6533": "GAEC", "6220": "GIE"}  # fmt: skip
    if code in exact:
        return frozenset({exact[code]})
    if code.startswith("54"):
        return frozenset({"SARL"})
    if code.startswith(("55", "56")):
        return frozenset({"SA"})
    if code.startswith("92"):
        return frozenset({"Association"})
    return None


@dataclass(frozen=True, slots=True)
class Raison:
    """One rule read: what the scheme expects, what the profile says, and the answer."""

    regle: str
    resultat: str  # oui | non | inconnu
    attendu: str
    fait: str

    @property
    def texte(self) -> str:
        """The French sentence (written when read: a match reads hundreds of rules' values)."""
        return _sentence(self.regle, self.resultat, self.attendu, self.fait)

    def to_dict(self, source: str | None) -> dict[str, Any]:
        return {
            "regle": self.regle,
            "libelle": REGLES[self.regle],
            "resultat": self.resultat,
            "attendu": self.attendu,
            "fait": self.fait,
            "source": source,
            "texte": self.texte,
        }


@lru_cache(maxsize=16384)
def _sentence(rule: str, result: str, expected: str, fact: str) -> str:
    label = REGLES[rule]
    if result == OUI:
        return f"{label} : le dispositif vise {expected} ; c'est le cas ({fact})."
    if result == NON:
        return f"{label} : le dispositif vise {expected} ; ce n'est pas le cas ({fact})."
    return f"{label} : à vérifier — le dispositif vise {expected} ; {fact}."


def _reason(rule: str, result: str, expected: str, fact: str) -> Raison:
    return Raison(rule, result, expected, fact)


@dataclass(frozen=True, slots=True, eq=False)
class Compiled:
    """A scheme's rules as tuples and sets, read once (compared and hashed by identity: a key of
    the verdicts' cache)."""

    scheme: Scheme
    regulated: bool
    cycle_de_vie: bool  # a regulation's scheme of its life-cycle axis (or of no stated axis)
    beneficiaires: tuple[str, ...]
    cibles: tuple[str, ...]
    etapes: tuple[str, ...]
    besoins: tuple[str, ...]
    territoires: frozenset[str]
    exclusions: frozenset[str]
    cloture: date | None
    taille: tuple[str, ...]
    effectif: tuple[int | None, int | None]
    anciennete: tuple[int | None, int | None]
    formes: tuple[frozenset[str], frozenset[str]]
    themes: frozenset[str]


def _int(value: object) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _pipes(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split("|") if v.strip())


def compile_scheme(scheme: Scheme) -> Compiled:
    values = scheme.values
    regulated = scheme.origine.startswith("reglement:")
    closing_text = values.get("date_cloture")
    closing = parse_datetime(closing_text) if closing_text else None

    def limit(name: str, field: str) -> int | None:
        figure = scheme.limites.get(name)
        if figure is not None and isinstance(figure.valeur, int):
            return figure.valeur
        return _int(values.get(field))

    return Compiled(
        scheme=scheme,
        regulated=regulated,
        cycle_de_vie=scheme.axe in (None, "cycle_de_vie"),
        beneficiaires=tuple(scheme.beneficiaires) if regulated else (),
        cibles=tuple(scheme.cibles()),
        etapes=tuple(scheme.etapes) if regulated else (),
        besoins=tuple(scheme.besoins),
        territoires=frozenset(scheme.territoires()),
        exclusions=frozenset(scheme.exclusions()),
        cloture=closing.date() if closing else None,
        taille=tuple(scheme.categories_taille) or _pipes(values.get("eligibilite_categorie_taille_entreprise")),
        effectif=(limit("effectif_minimal", "eligibilite_effectif_minimal"),
                  limit("effectif_maximal", "eligibilite_effectif_maximal")),
        anciennete=(limit("annees_existence_minimal", "eligibilite_annees_existence_minimal"),
                    limit("annees_existence_maximal", "")),
        formes=(frozenset(_pipes(values.get("eligibilite_forme_juridique"))),
                frozenset(_pipes(values.get("eligibilite_forme_juridique_exclusions")))),
        themes=frozenset(scheme.themes),
    )  # fmt: skip


# The rules in the order their reasons are given, and each rule's key on a compiled scheme: the
# values the rule reads (None: the scheme states nothing the rule could read).
RULE_KEYS: tuple[tuple[str, Any], ...] = (
    ("beneficiaires", lambda c: c.beneficiaires if c.regulated else None),
    ("cibles", lambda c: None if c.regulated else c.cibles),
    ("etape", lambda c: (c.regulated, c.cycle_de_vie, c.etapes)),
    ("besoin", lambda c: c.besoins),
    ("territoire", lambda c: (c.territoires, c.exclusions, c.scheme.perimetre)),
    ("cloture", lambda c: c.cloture),
    ("categorie_taille", lambda c: c.taille or None),
    ("effectif", lambda c: None if c.effectif == (None, None) else c.effectif),
    ("anciennete", lambda c: None if c.anciennete == (None, None) else c.anciennete),
    ("forme_juridique", lambda c: c.formes if c.formes[0] or c.formes[1] else None),
)


ANSWERS_KEPT = 2048  # (rule, facts) answers a catalogue keeps: 5 KB each for 5,000 schemes


class Catalogue:
    """Schemes compiled once, by columns: for each rule, the distinct values the catalogue holds
    and, per scheme, the number of its value. A match reads each distinct value once, then
    combines the answers for all schemes with array operations."""

    def __init__(self, schemes: Iterable[Scheme | Compiled]) -> None:
        self.compiled = [s if isinstance(s, Compiled) else compile_scheme(s) for s in schemes]
        self.keys: list[list[Any]] = []
        self.index: list[np.ndarray] = []
        for _, key_of in RULE_KEYS:
            numbers: dict[Any, int] = {}
            column = np.fromiter(
                (numbers.setdefault(key_of(c), len(numbers)) for c in self.compiled),
                dtype=np.int32,
                count=len(self.compiled),
            )
            self.keys.append(list(numbers))
            self.index.append(column)
        # Per scheme, its value's number for each rule (Python integers: a verdict reads a row).
        self.rows: list[tuple[int, ...]] = list(zip(*(column.tolist() for column in self.index), strict=True))
        # The theme sorts the list: per kit area, which schemes have it; and which have none.
        # A regulation names the kit's areas; another catalogue has its own themes, so an area is
        # found as `leviers aides chercher --theme` finds it (its title in the themes, title or
        # description). A scheme naming no theme at all is « unknown ».
        self.themeless = np.fromiter(
            (not c.themes and not c.scheme.titre for c in self.compiled), dtype=bool, count=len(self.compiled)
        )
        self.by_theme: dict[str, np.ndarray] = {
            area: np.zeros(len(self.compiled), dtype=bool) for area in themes()
        }
        titles = {area: fold(title) for area, title in themes().items()}
        for number, c in enumerate(self.compiled):
            if c.regulated:
                found = [area for area in c.themes if area in self.by_theme]
            else:
                text = fold(" ".join([*c.themes, c.scheme.titre, c.scheme.values.get("description") or ""]))
                found = [area for area, title in titles.items() if area in c.themes or title in text]
            for area in found:
                self.by_theme[area][number] = True

        # Each rule's answers, per the facts of the profile the rule reads (`_Rules.facts`): the
        # answer to each distinct value and the level of each scheme. Bounded: the oldest go first.
        self.answers: dict[tuple[str, Any], tuple[tuple[Raison | None, ...], np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.compiled)

    def remember(self, key: tuple[str, Any], found: tuple[tuple[Raison | None, ...], np.ndarray]) -> None:
        if len(self.answers) >= ANSWERS_KEPT:
            # The oldest goes; another request's thread may have made room at the same time.
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):
                del self.answers[next(iter(self.answers))]
        self.answers[key] = found


def compile_schemes(schemes: Iterable[Scheme | Compiled]) -> Catalogue:
    """Compile a catalogue once; `match` then reads it for every profile."""
    return Catalogue(schemes)


# --- the verdict -----------------------------------------------------------------------------------


# The key of a regulation's source for a rule (sources_regles), where it is named after the rule.
_SOURCE_KEYS = {"beneficiaires": "beneficiaires", "etape": "etapes", "besoin": "besoins",
                "territoire": "territoire", "categorie_taille": "categories_taille"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Verdict:
    """A scheme's answer for one profile."""

    compiled: Compiled
    statut: str
    raisons: tuple[Raison, ...]
    theme: str | None  # oui | non | inconnu; None when no theme was declared

    @property
    def scheme(self) -> Scheme:
        return self.compiled.scheme

    def source(self, raison: Raison) -> str | None:
        """Where the rule comes from: the regulation's source for that rule, else the scheme's own."""
        scheme = self.scheme
        if raison.regle == "cloture":
            figure = scheme.chiffres.get("date_cloture")
            return figure.source if figure is not None and figure.source else scheme.source
        if self.compiled.regulated:
            key = _SOURCE_KEYS.get(raison.regle)
            if key is None and raison.regle == "effectif":
                key = (
                    "effectif_maximal" if "effectif_maximal" in scheme.sources_regles else "effectif_minimal"
                )
            if key is None and raison.regle == "anciennete":
                key = next((k for k in ("annees_existence_minimal", "annees_existence_maximal")
                            if k in scheme.sources_regles), None)  # fmt: skip
            found = scheme.sources_regles.get(key) if key else None
            if found:
                return found
            return "; ".join(scheme.sources) or scheme.source
        return scheme.values.get("url_source") or scheme.source

    def a_prouver(self) -> list[dict[str, str | None]]:
        """What the organisation still has to prove: conditions no data can check."""
        return [dict(p) for p in _proofs(self.compiled)]

    def explication(self) -> list[str]:
        """French sentences, as the legal advisor answers: the verdict, then each rule read."""
        return self._explication([r.texte for r in self.raisons], _static(self.compiled))

    def _explication(self, texts: list[str], static: dict[str, Any]) -> list[str]:
        title = static["titre"]
        if self.statut == NON_ELIGIBLE:
            contradicted = sum(1 for x in self.raisons if x.resultat == NON)
            head = f"Non éligible à « {title} » : {contradicted} règle(s) contredite(s) par un fait connu."
        elif self.statut == A_VERIFIER:
            undecided = sum(1 for x in self.raisons if x.resultat == INCONNU)
            head = (f"Éligibilité à « {title} » à vérifier : aucune règle n'est contredite, "
                    f"{undecided} ne peu(ven)t être tranchée(s) avec les données.")  # fmt: skip
        else:
            head = f"Éligible à « {title} » sur toutes les règles que les données permettent de vérifier."
        lines = [head, *texts]
        if static["reste_a_prouver"]:
            lines.append(static["reste_a_prouver"])
        if self.theme == NON and self.compiled.themes:
            lines.append(
                "Thème : le dispositif ne relève pas du domaine déclaré (pas un critère d'éligibilité)."
            )
        return lines

    def to_dict(self) -> dict[str, Any]:
        """The verdict as JSON; a fresh copy (the web rewords its sentences in place) of the one
        built once for the same scheme, status, reasons and theme (`_verdict_dict`)."""
        found = _verdict_dict(self.compiled, self.statut, self.raisons, self.theme)
        return {
            **found,
            "raisons": [dict(r) for r in found["raisons"]],
            "a_prouver": [dict(p) for p in found["a_prouver"]],
            "explication": list(found["explication"]),
            "sources": list(found["sources"]),
        }

    def build_dict(self, fresh: bool = False) -> dict[str, Any]:
        """The verdict's JSON from what its scheme says once (`_static`). `fresh`: every list and
        dictionary its own (else the reasons' dictionaries are shared: `to_dict` copies them)."""
        static = _static(self.compiled)
        sources: dict[str, str | None] = static["sources_regles"]
        if fresh:
            raisons = [r.to_dict(sources[r.regle]) for r in self.raisons]
            proofs = [dict(p) for p in static["a_prouver"]]
            figures = {**static["chiffres"], "sources": list(static["chiffres"]["sources"])}
        else:
            raisons = [_reason_dict(r, sources[r.regle]) for r in self.raisons]
            proofs = list(static["a_prouver"])
            figures = static["chiffres"]
        return {
            **static["champs"],
            "statut": self.statut,
            "statut_libelle": STATUTS[self.statut],
            "theme_correspond": self.theme,
            "raisons": raisons,
            "a_prouver": proofs,
            "explication": self._explication([r["texte"] for r in raisons], static),
            **figures,
        }


@lru_cache(maxsize=16384)
def _static(compiled: Compiled) -> dict[str, Any]:
    """What a verdict's JSON says of its scheme whatever the profile, read once per scheme: its
    fields, the source of each rule, what is left to prove and its sentence."""
    scheme = compiled.scheme
    verdict = Verdict(compiled, ELIGIBLE, (), None)
    proofs = _proofs(compiled)
    return {
        "titre": scheme.titre,
        "champs": {"id": scheme.id, "code": scheme.code, "titre": scheme.titre, "origine": scheme.origine},
        "chiffres": {
            "taux": scheme.chiffres["taux"].text() if "taux" in scheme.chiffres else UNKNOWN,
            "plafond": scheme.chiffres["plafond"].text() if "plafond" in scheme.chiffres else UNKNOWN,
            "url_source": scheme.values.get("url_source"),
            "sources": scheme.sources or [scheme.source],
            "licence": scheme.licence,
        },
        "sources_regles": {rule: verdict.source(Raison(rule, OUI, "", "")) for rule in REGLES},
        "a_prouver": proofs,
        "reste_a_prouver": "Reste à prouver par la structure : "
        + " ; ".join((p["texte"] or "").rstrip(" .") for p in proofs)
        + "."
        if proofs
        else None,
    }


@lru_cache(maxsize=16384)
def _reason_dict(raison: Raison, source: str | None) -> dict[str, Any]:
    """Raison.to_dict, built once per reason and source (a reason is shared by the schemes of the
    same value): read-only, Verdict.to_dict copies it."""
    return raison.to_dict(source)


@lru_cache(maxsize=16384)
def _proofs(compiled: Compiled) -> tuple[dict[str, str | None], ...]:
    """Verdict.a_prouver of a scheme, read once."""
    scheme = compiled.scheme
    if scheme.conditions:
        return tuple({"texte": c.texte, "source": c.source} for c in scheme.conditions)
    if not compiled.regulated and scheme.values.get("eligibilite"):
        text = " ".join(str(scheme.values["eligibilite"]).split())
        return ({"texte": text, "source": scheme.values.get("url_source") or scheme.source},)
    return ()


# Verdicts' JSON, per scheme (by identity), status, reasons and theme: organisations sharing
# facts get the same verdicts for most schemes (the closed calls, the other territories…).
@lru_cache(maxsize=4096)
def _verdict_dict(
    compiled: Compiled, statut: str, raisons: tuple[Raison, ...], theme: str | None
) -> dict[str, Any]:
    return Verdict(compiled, statut, raisons, theme).build_dict()


_STATUS_OF = (ELIGIBLE, A_VERIFIER, NON_ELIGIBLE)  # by severity
_SEVERITY = {OUI: 0, INCONNU: 1, NON: 2}


class Eligibility:
    """The answer for one profile: every scheme's verdict, eligible first, then to be checked,
    then not eligible; within each, the schemes of the declared theme first, then in catalogue
    order. The verdicts are built when read (a page reads the first ones)."""

    def __init__(
        self,
        profil: Profile,
        catalogue: Catalogue,
        answers: list[tuple[Raison | None, ...]],
        severity: np.ndarray,
        order: np.ndarray,
        levels: list[np.ndarray] | None = None,
    ) -> None:
        self.profil = profil
        self._catalogue = catalogue
        self._answers = answers
        # Per rule, each scheme's level (0 oui or nothing to say, 1 inconnu, 2 non), when known.
        self._levels = levels
        self._severity = severity
        self._order = order
        self._verdicts: list[Verdict] | None = None

    def _theme(self, position: int) -> str | None:
        """Whether the scheme is of the declared theme (oui, non, inconnu: it names none)."""
        said = self.profil.theme.valeur
        if said is None:
            return None
        if self._catalogue.themeless[position]:
            return INCONNU
        column = self._catalogue.by_theme.get(said)
        return OUI if column is not None and column[position] else NON

    def verdict(self, position: int) -> Verdict:
        """The scheme of the catalogue at `position` (its order in the catalogue)."""
        catalogue = self._catalogue
        found = [answers[n] for answers, n in zip(self._answers, catalogue.rows[position], strict=True)]
        return Verdict(
            catalogue.compiled[position],
            _STATUS_OF[self._severity[position]],
            tuple(r for r in found if r is not None),
            self._theme(position),
        )

    @property
    def verdicts(self) -> list[Verdict]:
        if self._verdicts is None:
            self._verdicts = [self.verdict(int(i)) for i in self._order]
        return self._verdicts

    def by_status(self, limit: int | None = None) -> dict[str, list[Verdict]]:
        """The verdicts of each status, in the list's order (the first `limit` of each): the
        order sorts by severity first, so each status is one slice of it."""
        found: dict[str, list[Verdict]] = {}
        start = 0
        for status, count in self.counts().items():
            end = start + count if limit is None else start + min(count, limit)
            found[status] = [self.verdict(int(i)) for i in self._order[start:end]]
            start += count
        return found

    def undecided(self, status: str = A_VERIFIER) -> dict[str, int]:
        """Per rule, how many schemes of `status` it leaves undecided (« inconnu »), counted on the
        columns without building the verdicts."""
        wanted = self._severity == _STATUS_OF.index(status)
        found: dict[str, int] = {}
        for number, (rule, _) in enumerate(RULE_KEYS):
            if self._levels is not None:
                undecided = self._levels[number] == _SEVERITY[INCONNU]
            else:
                answers = self._answers[number]
                unknown = np.fromiter(
                    (r is not None and r.resultat == INCONNU for r in answers), dtype=bool, count=len(answers)
                )
                undecided = unknown[self._catalogue.index[number]]
            count = int(np.count_nonzero(undecided & wanted))
            if count:
                found[rule] = count
        return found

    def counts(self) -> dict[str, int]:
        found = np.bincount(self._severity, minlength=3)
        return {status: int(found[number]) for number, status in enumerate(_STATUS_OF)}

    def to_dict(self, limit: int | None = None) -> dict[str, Any]:
        """The answer as JSON: the profile, the counts, and the verdicts (the first `limit`)."""
        order = self._order if limit is None else self._order[:limit]
        # A page's verdicts are kept (`_verdict_dict`); all of them would only push the others out.
        return {
            "profil": self.profil.to_dict(),
            "compte": self.counts(),
            "dispositifs": [
                self.verdict(int(i)).to_dict()
                if limit is not None
                else self.verdict(int(i)).build_dict(fresh=True)
                for i in order
            ],
            "avertissements": self.profil.avertissements,
        }


# --- the rules ------------------------------------------------------------------------------------


def lower_label(label: str) -> str:
    """`Association` → `association`, but `SIAE…` and `ESS` stay as written."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


@cache
def _list_text(codes: tuple[str, ...], vocabulary: str) -> str:
    """Codes of a vocabulary (beneficiaires, etapes, besoins) as French words, read once."""
    labels = {"beneficiaires": _KIND_LABELS, "etapes": ETAPES, "besoins": BESOINS}[vocabulary]
    return ", ".join(lower_label(labels.get(c, c)) for c in codes)


@lru_cache(maxsize=4096)
def _closing_text(closing: date) -> str:
    return f"des candidatures jusqu'au {closing:%d/%m/%Y}"


@lru_cache(maxsize=65536)
def _territory_text(key: tuple[frozenset[str], frozenset[str], str | None]) -> str:
    codes, excluded, perimetre = key
    expected = "le territoire " + ("|".join(sorted(codes)) if codes else f"« {perimetre or '?'} »")
    if excluded:
        expected += " (hors " + "|".join(sorted(excluded)) + ")"
    return expected


class _Rules:
    """The rules read against one profile, with each distinct answer computed once."""

    def __init__(self, profile: Profile) -> None:
        self.p = profile
        self.kinds = profile.kinds()
        famille = profile.famille.valeur
        self.cibles: frozenset[str] | None = None
        if famille == "association":
            self.cibles = frozenset({"associations"})
        elif famille in ("scop", "cooperative", "societe_commerciale", "mutuelle", "entrepreneur_individuel"):
            self.cibles = frozenset({"professionnels"})
        elif famille == "personne_publique":
            self.cibles = frozenset({"secteur public"})
        self.forms = schema_forms(profile.categorie_juridique.valeur)
        # Each kind as the reasons say it: « association : fact », « SIAE ? fact », « pas … : fact ».
        self.said = {
            kind: (f"{lower_label(_KIND_LABELS[kind])} : {why}" if value else
                   f"{lower_label(_KIND_LABELS[kind])} ? {why}" if value is None else
                   f"pas {lower_label(_KIND_LABELS[kind])} : {why}")
            for kind, (value, why) in self.kinds.items()
        }  # fmt: skip
        day = f"{profile.date:%d/%m/%Y}"
        self.closed_text, self.open_text = f"clos à la date du {day}", f"ouvert à la date du {day}"

    def facts(self) -> dict[str, Any]:
        """What each rule's method reads of the profile: two profiles alike on it get the same
        answers from the rule (`match` keeps them per catalogue)."""
        p = self.p
        return {
            "beneficiaires": tuple(self.kinds.items()),
            "cibles": (self.cibles, p.categorie_juridique),
            "etape": p.etape.valeur,
            "besoin": p.besoin.valeur,
            "territoire": p.territoires,
            "cloture": p.date,
            "categorie_taille": p.categorie_entreprise,
            "effectif": p.tranche_effectifs,
            "anciennete": (p.date_creation, p.date),
            "forme_juridique": (self.forms, p.categorie_juridique),
        }

    # Each method returns None when the rule has nothing to say (nothing stated, nothing declared).

    def beneficiaires(self, kinds: tuple[str, ...]) -> Raison | None:
        expected = (
            _list_text(kinds, "beneficiaires") if kinds else "des bénéficiaires non précisés par les sources"
        )
        if not kinds:
            return _reason(
                "beneficiaires", INCONNU, expected, "les sources ne disent pas qui peut en bénéficier"
            )
        # The most specific kind the organisation is says most (an SIAE before « ESS enterprise »).
        yes = [k for k in kinds if self.kinds[k][0] is True]
        if yes:
            kind = min(yes, key=lambda k: k in ("entreprise_ess", "tpe_pme_ess"))
            return _reason("beneficiaires", OUI, expected, self.said[kind])
        open_ = [self.said[k] for k in kinds if self.kinds[k][0] is None]
        if open_:
            return _reason(
                "beneficiaires", INCONNU, expected, "non établi par les données — " + " ; ".join(open_)
            )
        said = " ; ".join(self.said[k] for k in kinds)
        return _reason("beneficiaires", NON, expected, said)

    def cibles_rule(self, cibles: tuple[str, ...]) -> Raison | None:
        expected = "les publics " + (", ".join(cibles) or "non précisés")
        form = f"{self.p.categorie_juridique.libelle} ({self.p.categorie_juridique.source})"
        if self.cibles is None:
            return _reason("cibles", INCONNU, expected, f"public de la structure non établi : {form}")
        if self.cibles & set(cibles):
            return _reason("cibles", OUI, expected, f"{', '.join(sorted(self.cibles))} : {form}")
        return _reason("cibles", NON, expected, f"{', '.join(sorted(self.cibles))} : {form}")

    def etape(self, key: tuple[bool, bool, tuple[str, ...]]) -> Raison | None:
        regulated, by_stage, stages = key
        said = self.p.etape.valeur
        if regulated and not by_stage and not stages:
            return None  # a cooperation or ecosystem aid: the regulation does not order it by stage
        if not regulated:
            if said is None:
                return None
            return _reason("etape", INCONNU, "une étape de vie non dite par la source",
                           "la fiche ne dit pas l'étape de vie de la structure (ses étapes éventuelles sont celles d'un projet)")  # fmt: skip
        expected = _list_text(stages, "etapes") if stages else "des étapes non précisées par les sources"
        if not stages:
            return _reason(
                "etape", INCONNU, expected, "les sources ne disent pas à quelle étape de vie il s'adresse"
            )
        if said is None:
            return _reason("etape", INCONNU, "l'étape « " + expected + " »",
                           "étape de la structure non déclarée (option --etape)")  # fmt: skip
        result = OUI if said in stages else NON
        return _reason(
            "etape", result, "l'étape « " + expected + " »", f"étape déclarée : {lower_label(ETAPES[said])}"
        )

    def besoin(self, needs: tuple[str, ...]) -> Raison | None:
        said = self.p.besoin.valeur
        if said is None:
            return None
        if not needs:
            return _reason("besoin", INCONNU, "des besoins non précisés par les sources",
                           f"rien ne dit qu'il finance le besoin déclaré ({lower_label(BESOINS[said])})")  # fmt: skip
        expected = "les besoins : " + _list_text(needs, "besoins")
        return _reason(
            "besoin",
            OUI if said in needs else NON,
            expected,
            f"besoin déclaré : {lower_label(BESOINS[said])}",
        )

    def territoire(self, key: tuple[frozenset[str], frozenset[str], str | None]) -> Raison | None:
        codes, excluded, _ = key
        where = self.p.territoires
        expected = _territory_text(key)
        if not codes:
            return _reason(
                "territoire", INCONNU, expected, "territoire de la fiche non traduit en codes du COG"
            )
        if "PAYS-99100" in codes and not excluded:
            return _reason("territoire", OUI, expected, "dispositif national")
        if not where.connu:
            return _reason("territoire", INCONNU, expected,
                           f"{where.libelle} ({where.source}) : déclarez la commune du siège (--commune)")  # fmt: skip
        mine: frozenset[str] = where.valeur
        fact = f"{where.libelle} ({where.source})"
        if mine & excluded:
            return _reason("territoire", NON, expected, fact + " : territoire exclu")
        return _reason("territoire", OUI if mine & codes else NON, expected, fact)

    def cloture(self, closing: date) -> Raison:
        expected = _closing_text(closing)
        if self.p.date > closing:
            return _reason("cloture", NON, expected, self.closed_text)
        return _reason("cloture", OUI, expected, self.open_text)

    def taille(self, sizes: tuple[str, ...]) -> Raison:
        expected = "les catégories " + ", ".join(f"{s} ({CATEGORIES_TAILLE.get(s, s)})" for s in sizes)
        fact = self.p.categorie_entreprise
        if not fact.connu:
            return _reason("categorie_taille", INCONNU, expected, f"{fact.libelle} ({fact.source})")
        said = f"{fact.libelle} ({fact.source})"
        if fact.valeur in sizes:
            return _reason("categorie_taille", OUI, expected, said)
        if fact.valeur == "PME" and "MIC" in sizes:
            # INSEE's PME category includes the microenterprises: the category alone cannot tell.
            return _reason(
                "categorie_taille",
                INCONNU,
                expected,
                said + " : une PME au sens de l'INSEE peut être une microentreprise",
            )
        return _reason("categorie_taille", NON, expected, said)

    def effectif(self, bounds: tuple[int | None, int | None]) -> Raison:
        low_needed, high_needed = bounds
        parts = []
        if low_needed is not None:
            parts.append(f"au moins {low_needed} salarié(s)")
        if high_needed is not None:
            parts.append(f"au plus {high_needed} salarié(s)")
        expected = " et ".join(parts)
        band = self.p.effectifs()
        fact = self.p.tranche_effectifs
        if band is None:
            return _reason("effectif", INCONNU, expected, f"{fact.libelle} ({fact.source})")
        low, high = band
        said = f"{fact.libelle} ({fact.source})"
        answers = []
        if high_needed is not None:
            answers.append(
                OUI if high is not None and high <= high_needed else NON if low > high_needed else INCONNU
            )
        if low_needed is not None:
            answers.append(
                OUI if low >= low_needed else NON if high is not None and high < low_needed else INCONNU
            )
        result = NON if NON in answers else INCONNU if INCONNU in answers else OUI
        return _reason("effectif", result, expected, said)

    def anciennete(self, bounds: tuple[int | None, int | None]) -> Raison:
        low_needed, high_needed = bounds
        parts = []
        if low_needed is not None:
            parts.append(f"au moins {low_needed} an(s) d'existence")
        if high_needed is not None:
            parts.append(f"au plus {high_needed} an(s) d'existence")
        expected = " et ".join(parts)
        age = self.p.age()
        fact = self.p.date_creation
        if age is None:
            return _reason("anciennete", INCONNU, expected, f"{fact.libelle} ({fact.source})")
        said = f"{fact.libelle}, soit {age} an(s) révolu(s) au {self.p.date:%d/%m/%Y} ({fact.source})"
        ok = (low_needed is None or age >= low_needed) and (high_needed is None or age <= high_needed)
        return _reason("anciennete", OUI if ok else NON, expected, said)

    def forme(self, key: tuple[frozenset[str], frozenset[str]]) -> Raison:
        allowed, excluded = key
        expected = ("les formes " + ", ".join(sorted(allowed))) if allowed else "toute forme"
        if excluded:
            expected += " (sauf " + ", ".join(sorted(excluded)) + ")"
        fact = self.p.categorie_juridique
        said = f"{fact.libelle} ({fact.source})"
        if self.forms is None:
            return _reason(
                "forme_juridique", INCONNU, expected, said + " : forme non rapprochée des formes du schéma"
            )
        if self.forms & excluded:
            return _reason("forme_juridique", NON, expected, said)
        if not allowed or self.forms & allowed:
            return _reason("forme_juridique", OUI, expected, said)
        if allowed <= set(_SCHEMA_FORMS):
            return _reason("forme_juridique", NON, expected, said)
        return _reason(
            "forme_juridique",
            INCONNU,
            expected,
            said + " : forme absente de la liste, qui emploie d'autres mots",
        )


def match(profile: Profile, schemes: Iterable[Scheme] | Catalogue) -> Eligibility:
    """Every scheme's verdict for `profile` (see Eligibility for the order). A Catalogue
    (`compile_schemes`) is read as is; schemes are compiled first."""
    catalogue = schemes if isinstance(schemes, Catalogue) else Catalogue(schemes)
    rules = _Rules(profile)
    methods: dict[str, Callable[[Any], Raison | None]] = {
        "beneficiaires": rules.beneficiaires, "cibles": rules.cibles_rule, "etape": rules.etape,
        "besoin": rules.besoin, "territoire": rules.territoire, "cloture": rules.cloture,
        "categorie_taille": rules.taille, "effectif": rules.effectif, "anciennete": rules.anciennete,
        "forme_juridique": rules.forme,
    }  # fmt: skip
    answers: list[tuple[Raison | None, ...]] = []
    levels: list[np.ndarray] = []
    severity = np.zeros(len(catalogue), dtype=np.int8)
    facts = rules.facts()
    for number, (rule, _) in enumerate(RULE_KEYS):
        key = (rule, facts[rule])
        known = catalogue.answers.get(key)
        if known is None:
            method = methods[rule]
            found = tuple(None if value is None else method(value) for value in catalogue.keys[number])
            level = np.fromiter(
                (0 if r is None else _SEVERITY[r.resultat] for r in found), dtype=np.int8, count=len(found)
            )
            known = (found, level[catalogue.index[number]])
            catalogue.remember(key, known)
        answers.append(known[0])
        levels.append(known[1])
        np.maximum(severity, known[1], out=severity)
    said = profile.theme.valeur
    positions = np.arange(len(catalogue))
    if said is None:
        order = np.lexsort((positions, severity))
    else:
        # of the theme 0, naming no theme 1, of other themes 2
        rank = np.where(catalogue.themeless, 1, 2).astype(np.int8)
        column = catalogue.by_theme.get(said)
        if column is not None:
            rank[column] = 0
        order = np.lexsort((positions, rank, severity))
    return Eligibility(profile, catalogue, answers, severity, order, levels)
