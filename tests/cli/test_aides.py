"""`leviers aides chercher|dispositif|exporter` over the shipped regulation and a loaded catalogue,
with expectations read by hand from src/leviers/data/aides/reglements/nouvelle-aquitaine-ess.yaml."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from leviers.cli.app import app
from tests.sirene.helpers import ingest

runner = CliRunner()
EXAMPLE = "aides/schema-dispositif-aide/dispositif-aide__exemple.csv"


def run(*args: str) -> tuple[int, str, BaseException | None]:
    result = runner.invoke(app, ["aides", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.exception


def test_stage_difficulty_finds_the_schemes_for_organisations_in_difficulty(db_path: Path) -> None:
    # The development aid is open « at any stage of life » (its fiche), difficulty included.
    code, out, _ = run("chercher", "--etape", "difficulte", "--db", str(db_path), "-f", "json")
    assert code == 0
    assert [s["code"] for s in json.loads(out)] == [
        "developpement",
        "conseil",
        "difficulte",
        "soutien-conjoncturel",
    ]


def test_filters_combine(db_path: Path) -> None:
    code, out, _ = run(
        "chercher",
        "--etape",
        "creation",
        "--beneficiaire",
        "siae",
        "--territoire",
        "33",
        "--db",
        str(db_path),
        "-f",
        "csv",
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["code"] for r in rows] == [
        "creation-activites",
        "demarrage-utilite-sociale",
        "developpement",  # « tout stade de vie »; the crowdfunding top-up states no stage
    ]
    assert rows[0]["taux"] == "non précisé par les sources"
    code, out, _ = run(
        "chercher", "--theme", "emploi_insertion", "--etape", "difficulte", "--db", str(db_path), "--json"
    )
    assert [s["code"] for s in json.loads(out)] == ["difficulte", "soutien-conjoncturel"]


def test_nothing_found_exits_1_with_what_each_filter_finds(db_path: Path) -> None:
    code, _, error = run("chercher", "--etape", "difficulte", "--territoire", "DEP-75", "--db", str(db_path))
    assert code == 1
    assert str(error) == (
        "aucun dispositif pour --etape difficulte --territoire DEP-75 : --etape difficulte seul : "
        "4 dispositifs ; --territoire DEP-75 seul : 0 dispositif ; territoires couverts par le "
        "catalogue : REG-75."
    )


def test_one_scheme_with_its_figures_and_sources(db_path: Path) -> None:
    code, out, _ = run("dispositif", "ami-tiers-lieux", "--db", str(db_path), "--json")
    assert code == 0
    (scheme,) = json.loads(out)
    assert scheme["id"] == "804c3a87-6ca5-58cf-b4ee-299d0dcf4bc0"
    assert scheme["chiffres"]["plafond"]["valeur"] == 50000
    assert scheme["chiffres"]["plafond"]["source"].startswith("AMI Tiers-Lieux 2025-2028 de la Région")
    assert scheme["date_cloture"] == "2028-09-01T00:00:00Z"
    code, out, _ = run("dispositif", "804c3a87-6ca5-58cf-b4ee-299d0dcf4bc0", "--db", str(db_path))
    assert code == 0
    text = " ".join(out.split())
    assert "50 000 € HT (pour un projet de 2 ans)" in text
    assert "non précisée par la source" not in text  # the regulation states its licence
    code, _, error = run("dispositif", "tiers", "--db", str(db_path))
    assert code == 1
    assert "dispositifs proches : ami-tiers-lieux (AMI Tiers-Lieux 2025-2028)" in str(error)


def test_the_warehouse_catalogue_is_searched_and_exported(
    real_data: Path, db_path: Path, tmp_path: Path
) -> None:
    ingest(db_path, real_data / EXAMPLE)
    # The schema's example scheme covers France (PAYS-99100) but excludes DEP-01.
    code, out, _ = run(
        "chercher", "--territoire", "DEP-33", "--beneficiaire", "association", "--db", str(db_path), "--json"
    )
    assert "Accélérateur décarbonation" in [s["titre"] for s in json.loads(out)]
    code, out, _ = run(
        "chercher", "--territoire", "DEP-01", "--beneficiaire", "association", "--db", str(db_path), "--json"
    )
    assert code == 1
    sortie = tmp_path / "catalogue.json"
    code, out, _ = run("exporter", "-o", str(sortie), "--db", str(db_path))
    assert code == 0, out
    written = json.loads(sortie.read_text(encoding="utf-8"))
    assert len(written) == 18  # 17 shipped schemes and the example
    assert "18 dispositifs écrits" in " ".join(out.split())


def test_an_export_read_back_lists_each_scheme_once(db_path: Path, tmp_path: Path) -> None:
    sortie = tmp_path / "catalogue.csv"
    assert run("exporter", "-o", str(sortie), "--db", str(db_path))[0] == 0
    ingest(db_path, sortie)
    code, out, _ = run("chercher", "--etape", "difficulte", "--db", str(db_path), "--json")
    assert code == 0
    assert [s["origine"] for s in json.loads(out)] == ["reglement:nouvelle-aquitaine-ess"] * 4
    assert run("exporter", "-o", str(tmp_path / "encore.csv"), "--db", str(db_path))[0] == 0
    assert (tmp_path / "encore.csv").read_text(encoding="utf-8") == sortie.read_text(encoding="utf-8")


# --- leviers aides eligibilite ----------------------------------------------------------------------


def _eligibility_warehouse(tmp_path: Path, db_path: Path) -> str:
    """A warehouse with one association (synthetic SIRENE unit); its SIREN."""
    from tests.aides.test_profile import ASSO, UNITS
    from tests.sirene.helpers import write_stock

    ingest(db_path, write_stock(tmp_path / "extrait_sirene.csv", UNITS[:1]), tout=True)
    return ASSO


def test_eligibility_of_a_siren_with_declared_stage_and_commune(tmp_path: Path, db_path: Path) -> None:
    siren = _eligibility_warehouse(tmp_path, db_path)
    code, out, _ = run(
        "eligibilite", "--siren", siren, "--etape", "difficulte", "--besoin", "conseil", "--commune", "87085",
        "--date", "2026-12-06", "--db", str(db_path), "--json",
    )  # fmt: skip
    assert code == 0
    answer = json.loads(out)
    assert answer["profil"]["denomination"] == "ASSOCIATION DE TEST"
    eligible = [d["code"] for d in answer["dispositifs"] if d["statut"] == "eligible"]
    assert eligible == ["conseil", "difficulte"]
    first = answer["dispositifs"][0]
    assert {r["regle"]: r["resultat"] for r in first["raisons"]} == {
        "beneficiaires": "oui", "etape": "oui", "besoin": "oui", "territoire": "oui"
    }  # fmt: skip
    assert all(r["source"] for r in first["raisons"])
    assert first["explication"][0].startswith("Éligible à « Aide au conseil et à l'expertise »")


def test_eligibility_as_csv_and_as_a_table(tmp_path: Path, db_path: Path) -> None:
    siren = _eligibility_warehouse(tmp_path, db_path)
    sortie = tmp_path / "eligibilite.csv"
    code, _, _ = run("eligibilite", "--siren", siren, "--etape", "creation", "--commune", "33063",
                     "--db", str(db_path), "-f", "csv", "-o", str(sortie))  # fmt: skip
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(sortie.read_text(encoding="utf-8"))))
    assert len(rows) == 17
    assert rows[0]["statut"] == "eligible"
    assert rows[-1]["statut"] == "non_eligible"
    code, out, _ = run("eligibilite", "--siren", siren, "--etape", "creation", "--commune", "33063",
                       "--db", str(db_path))  # fmt: skip
    assert code == 0
    assert "ASSOCIATION DE TEST" in out
    assert "éligible(s)" in out
    assert "Étape de vie" in out


def test_an_unknown_siren_is_said_and_declared_facts_still_answer(tmp_path: Path, db_path: Path) -> None:
    from tests.aides.test_profile import UNKNOWN

    _eligibility_warehouse(tmp_path, db_path)
    code, _, error = run("eligibilite", "--siren", UNKNOWN, "--db", str(db_path))
    assert code == 1
    assert str(error).startswith(f"SIREN {UNKNOWN} inconnu de l'entrepôt")
    assert "--forme-juridique" in str(error)
    code, out, _ = run("eligibilite", "--siren", UNKNOWN, "--forme-juridique", "9220", "--commune", "33063",
                       "--db", str(db_path), "--json")  # fmt: skip
    assert code == 0
    assert json.loads(out)["profil"]["faits"]["categorie_juridique"]["source"] == "déclaré par la structure"


def test_eligibility_refuses_bad_values_with_the_expected_ones(db_path: Path) -> None:
    for args, hint in (
        (["--siren", "123456789"], "n'est pas un SIREN valide"),
        (["--commune", "99999"], "n'est pas un code de commune du COG"),
        (["--theme", "sport"], "n'est pas un domaine du kit"),
        (["--forme-juridique", "0000"], "n'est pas une catégorie juridique de l'INSEE"),
        (["--statut", "startup"], "n'est pas un type de structure"),
        (["--date", "06/12/2026"], "n'est pas une date AAAA-MM-JJ"),
    ):
        result = runner.invoke(
            app, ["aides", "eligibilite", *args, "--db", str(db_path)], env={"COLUMNS": "200"}
        )
        assert result.exit_code == 1, args
        assert hint in result.output, (args, result.output)


def test_one_scheme_shows_the_money_paid_through_it(tmp_path: Path) -> None:
    """The warehouse of tests/aides/test_links.py (figures computed by hand there)."""
    from tests.aides.test_links import AMI, write_warehouse

    write_warehouse(tmp_path).close()
    db = str(tmp_path / "w.duckdb")
    code, out, _ = run("dispositif", "ami-tiers-lieux", "--db", db, "--json")
    assert code == 0
    (scheme,) = json.loads(out)
    money = scheme["argent"]
    assert scheme["id"] == AMI
    assert money["total"] == {"lignes": 4, "montant": 31000.0, "montant_connu": 3, "montants_ecartes": 0}
    by_year = {r["annee"]: r for r in money["par_annee_territoire"]}
    assert by_year[2024]["ess"]["montant"] == 10000.0
    assert by_year[2024]["non_ess"]["montant"] == 20000.0
    assert by_year[2025]["inconnu"] == {
        "lignes": 1,
        "montant": None,
        "montant_connu": 0,
        "montants_ecartes": 0,
    }
    code, out, _ = run("dispositif", "ami-tiers-lieux", "--db", db)
    assert code == 0
    text = " ".join(out.split())
    assert "Argent accordé (subventions rattachées) : 31 000 € · 4 lignes (dont 1 sans montant)" in text
    assert "20 000 € · 1 ligne" in text
    code, out, _ = run("dispositif", "ptce", "--db", db)
    assert "aucune subvention chargée n'est rattachée à ce dispositif" in " ".join(out.split())
