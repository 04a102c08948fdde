"""`leviers conseil …` on the command line."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from leviers.cli.app import app

runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, ["conseil", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_achat_json_as_in_the_issue() -> None:
    payload = json.loads(
        run(
            "achat",
            "--nature",
            "services",
            "--montant",
            "50000",
            "--date",
            "2026-04-15",
            "--acheteur",
            "collectivite",
            "--json",
        )
    )
    assert payload["procedure"] == "dispense"
    dispense = next(
        s for s in payload["seuils"] if s["parametre"] == "commande_publique.dispense.fournitures_services"
    )
    assert dispense["nom"] == "Seuil de dispense de procédure, fournitures et services"
    assert dispense["valeur"] == 60000
    assert "Décret n° 2025-1386" in dispense["reference"]
    assert payload["leviers"]
    assert payload["explication"]


def test_achat_human_output_is_french() -> None:
    output = run(
        "achat",
        "--nature",
        "services",
        "--montant",
        "50000",
        "--date",
        "2026-04-15",
        "--acheteur",
        "collectivite",
    )
    assert "Dispense de publicité et de mise en concurrence possible" in output
    assert "60 000 € HT" in output
    assert "Leviers d'achat responsable" in output
    assert "Explication" in output


def test_achat_with_trace_steps() -> None:
    output = run("achat", "--nature", "travaux", "--montant", "120000", "--date", "2026-04-15", "--etapes")
    assert "Étapes du calcul" in output
    assert "seuil_dispense" in output


def test_contrat() -> None:
    args = [
        "contrat", "--initiative", "organisme", "--contrepartie", "non", "--service-public-risque", "non",
        "--activite-economique", "oui", "--montant-annuel", "150000", "--aides-trois-ans", "450000", "--date", "2026-03-01",
    ]  # fmt: skip
    payload = json.loads(run(*args, "--json"))
    assert payload["mode"] == "mandat_sieg"
    assert payload["regime_aide_etat"] == "de_minimis_sieg"
    output = run(*args)
    assert "Subvention dans le cadre d'un mandat de SIEG" in output
    assert "levier.mandat_sieg" in output


def test_spaser() -> None:
    payload = json.loads(
        run("spaser", "--achats-annuels", "60000000", "--date", "2023-10-25", "--acheteur", "etat", "--json")
    )
    assert payload["obligation"] == "obligatoire"
    assert "SPASER obligatoire" in run(
        "spaser", "--achats-annuels", "60000000", "--date", "2023-10-25", "--acheteur", "etat"
    )


def test_competence() -> None:
    args = [
        "competence",
        "--collectivite",
        "departement",
        "--action",
        "aide_directe_entreprise",
        "--date",
        "2026-01-01",
    ]
    assert json.loads(run(*args, "--json"))["statut"] == "non_autorise"
    assert "Non autorisé" in run(*args)


def test_kit_search_and_sheet() -> None:
    output = run("kit", "velo")
    assert "mobilite.ateliers_velo" in output
    payload = json.loads(run("kit", "épicerie", "--json"))
    assert payload["resultats"][0]["id"] == "action_sociale_sante.epicerie_solidaire"
    listing = json.loads(run("kit", "--json"))
    assert len(listing["domaines"]) == 14
    sheet = json.loads(run("fiche", "levier.clause_sociale", "--json"))
    assert sheet["titre"] == "Clause sociale d'insertion"
    assert any(item["id"] == "emploi_insertion.clauses_sociales" for item in sheet["liees"])
    assert "Clause sociale d'insertion" in run("fiche", "levier.clause_sociale")
    assert "Kit municipal" in run("kit", "--niveau", "epci")


def test_choix() -> None:
    payload = json.loads(run("choix", "--json"))
    assert payload["acheteurs"][0] == {"code": "etat", "libelle": "État (autorité publique centrale)"}
    assert "services_sociaux" in run("choix")


def test_user_errors_are_one_french_line_and_exit_1() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "leviers", "conseil", "achat", "--nature", "logiciels", "--montant", "10"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "nature « logiciels » refusé — valeurs possibles" in result.stderr
    assert "Traceback" not in result.stderr
    unknown = subprocess.run(
        [sys.executable, "-m", "leviers", "conseil", "fiche", "levier.inconnu"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert unknown.returncode == 1
    assert "fiche « levier.inconnu » introuvable" in unknown.stderr
