"""Eligibility rules read against profiles: the regulation's boundary cases as data
(tests/aides/eligibilite/*.yaml, one file per regulation), unknown versus false, a département's
regulation with age and size limits, and schemes of other catalogues matched on their records."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from leviers.aides.eligibility import A_VERIFIER, ELIGIBLE, NON_ELIGIBLE, compile_schemes, match
from leviers.aides.profile import Declaration, Fait, Profile, declared
from leviers.aides.regulation import read, shipped
from leviers.aides.scheme import Scheme
from leviers.aides.vocabulary import UNKNOWN

CASES_DIR = Path(__file__).parent / "eligibilite"
TEST_SOURCE = "cas de test (synthétique)"


def profile_of(spec: dict[str, Any], facts: dict[str, Any], day: datetime.date) -> Profile:
    """A profile of declared facts, plus what the warehouse would know (`facts`), set directly."""
    said = Declaration(
        etape=spec.get("etape"),
        besoin=spec.get("besoin"),
        theme=spec.get("theme"),
        commune=spec.get("commune"),
        departement=spec.get("departement"),
        categorie_juridique=spec.get("forme_juridique"),
        types=frozenset(spec.get("statuts") or []),
        date=day,
    )
    profile = declared(said)
    if "siren" in facts:
        profile.siren = facts["siren"]
    if "statut_ess" in facts:
        profile.statut_ess = Fait(facts["statut_ess"], facts["statut_ess"], TEST_SOURCE)
    if "esus" in facts:
        profile.esus = Fait(facts["esus"], "agrément ESUS", TEST_SOURCE)
    if "types_siae" in facts:
        profile.types_siae = Fait(frozenset(facts["types_siae"]), ", ".join(facts["types_siae"]), TEST_SOURCE)
    if "categorie_entreprise" in facts:
        profile.categorie_entreprise = Fait(
            facts["categorie_entreprise"], facts["categorie_entreprise"], TEST_SOURCE
        )
    if "collectivite" in facts:
        profile.collectivite = Fait(facts["collectivite"], "collectivité", TEST_SOURCE)
    if "tranche_effectifs" in facts:
        profile.tranche_effectifs = Fait(facts["tranche_effectifs"], facts["tranche_effectifs"], TEST_SOURCE)
    if "date_creation" in facts:
        created = datetime.date.fromisoformat(facts["date_creation"])
        profile.date_creation = Fait(created, f"créée le {created}", TEST_SOURCE)
    return profile


def _cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    found = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
        for case in document["cas"]:
            found.append((f"{path.stem}: {case['nom']}", document, case))
    return found


CASES = _cases()


def test_every_shipped_regulation_has_cases_for_each_of_its_schemes() -> None:
    for regulation in shipped():
        covered = {
            case["dispositif"] for _, document, case in CASES if document["reglement"] == regulation.code
        }
        assert covered == {s.code for s in regulation.schemes}, regulation.code


@pytest.mark.parametrize(("name", "document", "case"), CASES, ids=[name for name, _, _ in CASES])
def test_boundary_case(name: str, document: dict[str, Any], case: dict[str, Any]) -> None:
    (regulation,) = [r for r in shipped() if r.code == document["reglement"]]
    scheme = next(s for s in regulation.schemes if s.code == case["dispositif"])
    day = datetime.date.fromisoformat(str(case.get("date") or document["date"]))
    profile = profile_of(case.get("profil") or {}, case.get("faits") or {}, day)
    (verdict,) = match(profile, [scheme]).verdicts
    answers = {r.regle: r.resultat for r in verdict.raisons}
    explained = "\n".join(verdict.explication())
    for rule, expected in (case.get("regles") or {}).items():
        assert answers.get(rule) == expected, f"{rule}: {answers.get(rule)} ≠ {expected}\n{explained}"
    assert verdict.statut == case["attendu"], explained
    proofs = [p["texte"] for p in verdict.a_prouver()]
    if "a_prouver" in case:
        assert proofs == case["a_prouver"]
    if "a_prouver_contient" in case:
        assert case["a_prouver_contient"] in proofs
    # Every reason carries its source; every condition to prove too.
    for reason in verdict.raisons:
        assert verdict.source(reason), reason
    assert all(p["source"] for p in verdict.a_prouver())


def _na(code: str) -> Scheme:
    (regulation,) = [r for r in shipped() if r.code == "nouvelle-aquitaine-ess"]
    return next(s for s in regulation.schemes if s.code == code)


def test_unknown_facts_make_a_scheme_to_be_checked_never_not_eligible() -> None:
    """Nothing known: every scheme of the Région whose rules a fact could contradict stays open."""
    nothing = declared(Declaration(date=datetime.date(2026, 12, 6)))
    result = match(nothing, [s for r in shipped() for s in r.schemes])
    assert result.counts() == {ELIGIBLE: 0, A_VERIFIER: 17, NON_ELIGIBLE: 0}
    # Declared facts then decide: a commune in Occitanie is outside the Région's every scheme.
    outside = declared(Declaration(commune="31555", date=datetime.date(2026, 12, 6)))
    assert match(outside, [s for r in shipped() for s in r.schemes]).counts()[NON_ELIGIBLE] == 17


def test_the_reason_names_the_rule_the_fact_and_the_source() -> None:
    profile = declared(Declaration(categorie_juridique="9220", etape="developpement", commune="87085"))
    (verdict,) = match(profile, [_na("difficulte")]).verdicts
    assert verdict.statut == NON_ELIGIBLE
    stage = next(r for r in verdict.raisons if r.regle == "etape")
    assert stage.to_dict(verdict.source(stage)) == {
        "regle": "etape",
        "libelle": "Étape de vie",
        "resultat": "non",
        "attendu": "l'étape « difficulté »",
        "fait": "étape déclarée : développement",
        "source": verdict.compiled.scheme.sources_regles["etapes"],
        "texte": "Étape de vie : le dispositif vise l'étape « difficulté » ; ce n'est pas le cas "
        "(étape déclarée : développement).",
    }
    assert verdict.source(stage).startswith("Fiches ESS de la Région republiées par Aides-territoires")
    territory = next(r for r in verdict.raisons if r.regle == "territoire")
    assert verdict.source(territory).startswith("Règlement d'intervention de la Région Nouvelle-Aquitaine")
    assert verdict.explication()[0] == (
        "Non éligible à « Accompagnement des structures de l'ESS en difficulté (diagnostic) » : "
        "1 règle(s) contredite(s) par un fait connu."
    )


def test_theme_sorts_but_does_not_decide() -> None:
    profile = declared(
        Declaration(categorie_juridique="9220", etape="creation", commune="33063", theme="emploi_insertion")
    )
    result = match(profile, [s for r in shipped() for s in r.schemes])
    eligible = [v for v in result.verdicts if v.statut == ELIGIBLE]
    assert [v.scheme.code for v in eligible] == [
        "creation-activites", "developpement", "conseil", "ami-tiers-lieux", "sensibilisation"
    ]  # fmt: skip
    assert {v.theme for v in eligible} == {"non"}  # none of the kit's employment area, still eligible
    to_check = [v for v in result.verdicts if v.statut == A_VERIFIER]
    # The theme's schemes first, then the catalogue's order.
    assert [(v.scheme.code, v.theme) for v in to_check[:3]] == [
        ("demarrage-utilite-sociale", "oui"), ("cae", "oui"), ("financement-participatif", "non")
    ]  # fmt: skip


DEPARTEMENT = {
    "reglement": {
        "code": "departement-exemple-ess",
        "titre": "Aides ESS d'un département (fichier de test, synthétique)",
        "collectivite": {"nom": "Département de la Gironde", "siren": "223300019"},
        "territoire": "DEP-33",
        "date_mise_a_jour": "2026-12-01T00:00:00Z",
        "sources": {"deliberation": {"titre": "Délibération (exemple synthétique)", "url": None}},
    },
    "dispositifs": [
        {
            "code": "jeunes-structures",
            "id": "0f4d1c6e-2b0a-4a8e-9d55-3b6f5e2c9a01",
            "axe": "cycle_de_vie",
            "titre": "Aide aux jeunes structures de l'ESS",
            "description": "Aide aux structures de l'ESS de moins de trois ans et de moins de dix salariés.",
            "eligibilite": ["Structures de l'ESS de 3 ans au plus et de 10 salariés au plus"],
            "types_aides": ["financement"],
            "cibles": ["associations", "professionnels"],
            "etapes": ["creation", "developpement"],
            "beneficiaires": ["entreprise_ess"],
            "besoins": ["recrutement"],
            "regles": {"etapes": "deliberation", "beneficiaires": "deliberation", "besoins": "deliberation"},
            "themes": ["emploi_insertion"],
            "annees_existence_maximal": {"valeur": 3, "source": "deliberation"},
            "effectif_maximal": {"valeur": 10, "source": "deliberation"},
            "categories_taille": {"valeurs": ["PME"], "source": "deliberation"},
            "taux": {"valeur": None, "note": UNKNOWN},
            "plafond": {"valeur": None, "note": UNKNOWN},
            "sources": ["deliberation"],
        }
    ],
}


@pytest.fixture
def departement_scheme(tmp_path: Path) -> Scheme:
    path = tmp_path / "departement-exemple-ess.yaml"
    path.write_text(yaml.safe_dump(DEPARTEMENT, allow_unicode=True), encoding="utf-8")
    (scheme,) = read(path).schemes
    return scheme


def _young(created: str, band: str | None, size: str | None = "PME") -> Profile:
    facts: dict[str, Any] = {"siren": "000000000", "statut_ess": "ESS", "date_creation": created}
    if band is not None:
        facts["tranche_effectifs"] = band
    if size is not None:
        facts["categorie_entreprise"] = size
    spec = {"forme_juridique": "9220", "etape": "creation", "commune": "33063", "besoin": "recrutement"}
    return profile_of(spec, facts, datetime.date(2026, 12, 6))


@pytest.mark.parametrize(
    ("created", "band", "size", "expected", "rules"),
    [
        # age: 3 full years on the day → still « at most 3 years »; one day more → 3 years and past
        ("2023-12-06", "03", "PME", ELIGIBLE, {"anciennete": "oui", "effectif": "oui"}),
        ("2023-12-07", "03", "PME", ELIGIBLE, {"anciennete": "oui"}),
        ("2022-12-06", "03", "PME", NON_ELIGIBLE, {"anciennete": "non"}),
        # size bands: 6–9 is within 10; 10–19 reaches 10 only at its bottom → undecided; 20–49 over
        ("2024-01-01", "11", "PME", A_VERIFIER, {"effectif": "inconnu"}),
        ("2024-01-01", "12", "PME", NON_ELIGIBLE, {"effectif": "non"}),
        ("2024-01-01", "NN", "PME", A_VERIFIER, {"effectif": "inconnu"}),
        ("2024-01-01", None, "PME", A_VERIFIER, {"effectif": "inconnu"}),
        # company category: an ETI is not a PME; unknown is undecided
        ("2024-01-01", "03", "ETI", NON_ELIGIBLE, {"categorie_taille": "non"}),
        ("2024-01-01", "03", None, A_VERIFIER, {"categorie_taille": "inconnu"}),
    ],
)
def test_a_departement_adds_its_regulation_with_age_and_size_limits(
    departement_scheme: Scheme,
    created: str,
    band: str | None,
    size: str | None,
    expected: str,
    rules: dict[str, str],
) -> None:
    (verdict,) = match(_young(created, band, size), [departement_scheme]).verdicts
    answers = {r.regle: r.resultat for r in verdict.raisons}
    assert {rule: answers[rule] for rule in rules} == rules, verdict.explication()
    assert verdict.statut == expected, verdict.explication()
    for reason in verdict.raisons:
        if reason.regle in ("anciennete", "effectif", "categorie_taille"):
            assert verdict.source(reason) == "Délibération (exemple synthétique)"


def test_the_departement_is_its_territory(departement_scheme: Scheme) -> None:
    bordeaux = _young("2024-01-01", "03")
    assert match(bordeaux, [departement_scheme]).verdicts[0].statut == ELIGIBLE
    pau = declared(Declaration(categorie_juridique="9220", commune="64445", etape="creation"))
    (verdict,) = match(pau, [departement_scheme]).verdicts
    assert {r.regle: r.resultat for r in verdict.raisons}["territoire"] == "non"


def _catalogue_scheme(**values: str | None) -> Scheme:
    """A scheme as a loaded dispositif-aide file or an Aides-territoires import gives it."""
    base: dict[str, str | None] = {
        "id": "6f1c2a7e-9b1d-4c8a-8e11-2d4b5f6a7c80",
        "titre": "Fonds d'innovation sociale (catalogue, synthétique)",
        "eligibilite": "Associations et entreprises de l'ESS porteuses d'un projet innovant.",
        "cibles": "associations|professionnels",
        "eligibilite_geographique": "PAYS-99100",
        "url_source": "https://aides-territoires.beta.gouv.fr/aides/exemple/",
    }
    base.update(values)
    return Scheme(values=base, origine="aides-territoires", source="https://aides-territoires.beta.gouv.fr/aides/exemple/",
                  licence=None, date_source=None, etapes=["op"], themes=["Économie sociale et solidaire"])  # fmt: skip


def test_other_catalogues_are_matched_on_their_records_and_to_be_checked_where_silent() -> None:
    association = declared(
        Declaration(categorie_juridique="9220", etape="creation", date=datetime.date(2026, 12, 6))
    )
    national = _catalogue_scheme()
    for_public = _catalogue_scheme(id="6f1c2a7e-9b1d-4c8a-8e11-2d4b5f6a7c81", cibles="secteur public")
    in_brittany = _catalogue_scheme(
        id="6f1c2a7e-9b1d-4c8a-8e11-2d4b5f6a7c82", eligibilite_geographique="REG-53"
    )
    closed = _catalogue_scheme(id="6f1c2a7e-9b1d-4c8a-8e11-2d4b5f6a7c83", date_cloture="2026-06-30T00:00:00Z")
    untranslated = _catalogue_scheme(id="6f1c2a7e-9b1d-4c8a-8e11-2d4b5f6a7c84", eligibilite_geographique=None)
    sas_only = _catalogue_scheme(
        id="6f1c2a7e-9b1d-4c8a-8e11-2d4b5f6a7c85", eligibilite_forme_juridique="SAS|SARL"
    )
    schemes = [national, for_public, in_brittany, closed, untranslated, sas_only]
    verdicts = {v.scheme.id[-2:]: v for v in match(association, compile_schemes(schemes)).verdicts}
    rules = {key: {r.regle: r.resultat for r in v.raisons} for key, v in verdicts.items()}
    # The stage: the record states a project's steps, not an organisation's → to be checked.
    assert rules["80"] == {"cibles": "oui", "etape": "inconnu", "territoire": "oui"}
    assert verdicts["80"].statut == A_VERIFIER
    assert verdicts["80"].a_prouver() == [
        {"texte": "Associations et entreprises de l'ESS porteuses d'un projet innovant.",
         "source": "https://aides-territoires.beta.gouv.fr/aides/exemple/"}
    ]  # fmt: skip
    assert (verdicts["81"].statut, rules["81"]["cibles"]) == (NON_ELIGIBLE, "non")
    # Territory unknown (no commune declared) against a regional scheme: undecided, not excluded.
    assert rules["82"]["territoire"] == "inconnu"
    assert (verdicts["83"].statut, rules["83"]["cloture"]) == (NON_ELIGIBLE, "non")
    assert rules["84"]["territoire"] == "inconnu"
    assert (verdicts["85"].statut, rules["85"]["forme_juridique"]) == (NON_ELIGIBLE, "non")
    # Without a stage declared, a catalogue scheme says nothing on stages: the rule is not read.
    plain = declared(
        Declaration(categorie_juridique="5710", commune="35238", date=datetime.date(2026, 12, 6))
    )
    (verdict,) = match(plain, [sas_only]).verdicts
    assert {r.regle: r.resultat for r in verdict.raisons} == {
        "cibles": "oui", "territoire": "oui", "forme_juridique": "oui"
    }  # fmt: skip
    assert verdict.statut == ELIGIBLE


def test_json_of_an_answer_keeps_profile_facts_and_their_sources() -> None:
    profile = declared(Declaration(categorie_juridique="9220", commune="33063", etape="creation"))
    answer = match(profile, [_na("creation-activites")]).to_dict()
    assert answer["compte"] == {ELIGIBLE: 1, A_VERIFIER: 0, NON_ELIGIBLE: 0}
    facts = answer["profil"]["faits"]
    assert facts["categorie_juridique"] == {
        "valeur": "9220", "libelle": "Association déclarée (9220)", "source": "déclaré par la structure"
    }  # fmt: skip
    assert facts["date_creation"]["valeur"] is None
    assert "REG-75" in facts["territoires"]["valeur"]
    (scheme,) = answer["dispositifs"]
    assert scheme["statut_libelle"] == "Éligible"
    assert scheme["plafond"] == UNKNOWN


def test_a_catalogue_scheme_is_of_a_kit_theme_when_its_words_say_so() -> None:
    """Another catalogue has its own themes: a kit area is found by its title in the scheme's
    themes, title or description, as `leviers aides chercher --theme` finds it."""
    digital = _catalogue_scheme(
        id="6f1c2a7e-9b1d-4c8a-8e11-2d4b5f6a7c90", description="Inclusion numérique des publics."
    )
    other = _catalogue_scheme(
        id="6f1c2a7e-9b1d-4c8a-8e11-2d4b5f6a7c91", description="Rénovation de salles de sport."
    )
    profile = declared(Declaration(categorie_juridique="9220", commune="33063", theme="numerique"))
    result = match(profile, [other, digital])
    assert [(v.scheme.id[-2:], v.theme) for v in result.verdicts] == [("90", "oui"), ("91", "non")]


def test_answers_kept_between_organisations_are_the_answers_computed_afresh() -> None:
    """A catalogue keeps each rule's answers per the facts the rule reads, and the verdicts' JSON
    per scheme and reasons: organisations sharing some facts (stage, need, date…) and not others
    get, from one catalogue, exactly what a catalogue compiled for each alone gives them."""
    from bench.eligibility import synthetic_catalogue, synthetic_profiles

    schemes = synthetic_catalogue(300, seed=7)
    shared = compile_schemes(schemes)
    profiles = synthetic_profiles(30, seed=7)
    for profile in [*profiles, *profiles[:10]]:  # the first ten twice: all from what is kept
        kept = match(profile, shared)
        fresh = match(profile, compile_schemes(schemes))
        assert kept.to_dict() == fresh.to_dict()
        assert kept.undecided() == fresh.undecided()
        assert kept.counts() == fresh.counts()
    assert len(shared.answers) < 10 * len(profiles)  # facts shared: fewer answers than rules read
