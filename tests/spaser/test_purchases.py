"""The buyer's own purchases in the SPASER report (leviers.spaser.purchases): the shares of all
spending beside the DECP figures, objectives measured on them, and the boundary — the dashboard's
page never shows them, the open data only with --publier-achats.

The warehouse is the hand-computed one (tests/indicators/conftest.py, build_hand: Bordeaux 2024,
figures explained in tests/spaser/test_report.py) with the suppliers of tests/purchases/test_shares.py
added to SIRENE and the SIAE list; Bordeaux's purchases are those fourteen hand-made (synthetic)
lines, so the ESS, SIAE, EA/ESAT and SME figures are the ones computed by hand there (the local
ones differ: the buyer is now in département 33)."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from frictionless import Resource, Schema, validate
from typer.testing import CliRunner

from leviers.cli.app import app as cli
from leviers.errors import LeviersError
from leviers.ess.reference import ensure_reference
from leviers.indicators import compute
from leviers.purchases.shares import Shares
from leviers.purchases.store import LocalStore
from leviers.spaser import build_report, load_objectives
from leviers.spaser import purchases as own
from leviers.spaser.opendata import columns, rows
from leviers.spaser.opendata import schema as published_schema
from leviers.warehouse import open_warehouse
from tests.purchases.test_shares import LINES, UNITS
from tests.spaser.test_report import objective
from tests.web.conftest import make_app

BORDEAUX = "213300635"
# Amounts and supplier names of the purchase lines: none may reach a public answer.
PRIVATE_MARKERS = (
    "Chantier Un",
    "ESAT Deux",
    "28 000",
    "25 500",
    "Vos achats",
    "dépense réelle",
    "achats_ess",
)
runner = CliRunner()


@pytest.fixture(scope="module")
def warehouse(hand_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spaser-achats") / "leviers.duckdb"
    shutil.copy(hand_path, path)
    con = open_warehouse(path)
    ensure_reference(con)
    for siren, (cj, flag, category) in UNITS.items():
        con.execute(
            "INSERT INTO legal_units (siren, categorie_juridique, economie_sociale_solidaire, categorie_entreprise, "
            "first_ingestion_id, ingestion_id) VALUES (?, ?, ?, ?, 0, 0)",
            [siren, cj, flag, category],
        )
    con.execute(
        "INSERT INTO ess_list_entries VALUES ('siae', '100000001', NULL, 'ACI', 'Chantier Un', 0, 0), "
        "('siae', '100000002', NULL, 'ESAT', 'ESAT Deux', 0, 1)"
    )
    con.close()
    file = path.parent / "mandats.csv"
    file.write_text(
        "SIRET fournisseur;Fournisseur;Code postal fournisseur;Montant TTC;Date mandat;Service\n"
        + "".join(
            f"{siren + '00010' if siren else ''};{name};{cp};{amount};10/0{1 + i % 9}/2024;{service}\n"
            for i, (siren, name, cp, amount, service) in enumerate(LINES)
        ),
        encoding="utf-8",
    )
    with LocalStore.beside(path) as store:
        assert store.ingest([file], acheteur=BORDEAUX)[0].reports[0].loaded == 14
    return path


@pytest.fixture
def con(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_warehouse(warehouse, read_only=True)
    yield connection
    connection.close()


def _achat(report: object, indicator: str) -> dict:
    return next(i for i in report.achats["indicateurs"] if i["indicateur"] == indicator)  # type: ignore[attr-defined]


def _purchases(
    con: duckdb.DuckDBPyConnection, warehouse: Path, year: int = 2024
) -> tuple[Shares | None, str]:
    """The buyer's shares as the report command reads them (compared with the DECP by the report)."""
    return own.load(con, warehouse, BORDEAUX, year, decp=False)


def test_shares_of_all_spending_beside_the_decp_figures(
    con: duckdb.DuckDBPyConnection, warehouse: Path
) -> None:
    report = build_report(con, BORDEAUX, 2024, [], _purchases(con, warehouse))
    achats = report.achats
    assert achats is not None
    assert (achats["disponible"], achats["lignes"], achats["montant"], achats["base_montant"]) == (
        True,
        14,
        28000.0,
        "ttc",
    )
    ess = _achat(report, "achats_ess")
    # By hand (tests/purchases/test_shares.py): 4 ESS of 10 known suppliers, 3 unknown; 4 000 of 25 500 € known.
    assert (ess["numerateur"], ess["denominateur"], ess["inconnus"]) == (4, 10, 3)
    assert ess["valeur_nombre"] == pytest.approx(0.4)
    assert ess["valeur_montant"] == pytest.approx(4000 / 25500)
    assert (ess["montant_inconnu"], ess["suffisant_nombre"], ess["axe"]) == (2500.0, True, "social")
    # Beside it, the engine's ESS share of Bordeaux's 2024 contracts (one definition: ess_suppliers).
    engine = {
        r["indicator"]: r
        for r in compute(
            con, by="unite_legale", siren=BORDEAUX, year=2024, indicators=["ess_suppliers"]
        ).to_pylist()
    }
    assert ess["decp_indicateur"] == "ess_suppliers"
    assert ess["decp_valeur_nombre"] == engine["ess_suppliers"]["value_count"]
    assert achats["decp_marches"] == 3  # C1, C2, C3
    # The shares compared on their own (`leviers achats parts`, the upload's answer: the engine on a
    # copy of the buyer's rows) and by the report (from its rows): the same figures.
    alone = own.section(*own.load(con, warehouse, BORDEAUX, 2024))
    assert {k: v for k, v in alone.items() if k != "indicateurs"} == {
        k: v for k, v in achats.items() if k not in ("indicateurs", "objectifs")
    }
    assert alone["indicateurs"] == [
        {k: v for k, v in i.items() if k in alone["indicateurs"][0]} for i in achats["indicateurs"]
    ]
    pme, siae = _achat(report, "achats_pme"), _achat(report, "achats_siae")
    assert (pme["numerateur"], pme["denominateur"], pme["montant_numerateur"]) == (8, 10, 11500.0)
    assert (siae["numerateur"], siae["denominateur"], siae["decp_indicateur"]) == (1, 12, None)
    # The open-data axes are unchanged by the purchases.
    assert report.to_json()["axes"] == build_report(con, BORDEAUX, 2024).to_json()["axes"]


def test_objectives_measured_on_the_purchases(
    con: duckdb.DuckDBPyConnection, warehouse: Path, tmp_path: Path
) -> None:
    file = tmp_path / "objectifs.yaml"
    file.write_text(
        "objectifs:\n"
        "  - {indicateur: achats_ess, cible: 30 %}\n"
        "  - {indicateur: achats_pme, cible: 50 %, base: montant}\n",
        encoding="utf-8",
    )
    goals = load_objectives(file)
    assert [(g.axe, g.part) for g in goals] == [("social", True), ("economique", True)]
    report = build_report(con, BORDEAUX, 2024, goals, _purchases(con, warehouse))
    (ess_goal,) = _achat(report, "achats_ess")["objectifs"]
    assert (ess_goal["statut"], ess_goal["ecart"]) == ("atteint", pytest.approx(0.4 - 0.3))
    (pme_goal,) = _achat(report, "achats_pme")["objectifs"]
    assert (pme_goal["statut"], pme_goal["valeur"]) == ("non_atteint", pytest.approx(11500 / 25500))
    assert report.summary()["atteint"] == 1
    assert report.summary()["non_atteint"] == 1
    # Without purchases for the year, the objective is unknown and the section says why.
    empty = build_report(con, BORDEAUX, 2026, goals, _purchases(con, warehouse, 2026))
    assert empty.achats is not None
    assert empty.achats["disponible"] is False
    assert "aucun achat de 2026" in empty.achats["raison"]
    assert _achat(empty, "achats_ess")["objectifs"][0]["statut"] == "inconnu"


def test_objective_on_an_unknown_purchase_indicator_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "objectifs.csv"
    file.write_text("indicateur;cible\nachats_inconnu;10 %\n", encoding="utf-8")
    with pytest.raises(Exception, match="achats_ess"):
        load_objectives(file)


def test_open_data_has_no_private_figure_unless_published(
    con: duckdb.DuckDBPyConnection, warehouse: Path, tmp_path: Path
) -> None:
    goal = objective("achats_ess", 0.3)
    report = build_report(con, BORDEAUX, 2024, [goal], _purchases(con, warehouse))
    public = rows(report)
    assert all(r["source"] != "achats_de_l_acheteur" for r in public)
    assert not any(str(r["indicateur"]).startswith("achats_") for r in public)
    assert rows(build_report(con, BORDEAUX, 2024, [goal])) == public
    published = rows(report, publish_purchases=True)
    mine = [r for r in published if r["source"] == "achats_de_l_acheteur"]
    whole = [r for r in mine if r["dimension"] == "ensemble"]
    assert [r["indicateur"] for r in whole] == list(own.INDICATORS)
    assert mine[: len(whole)] == whole
    ess = whole[0]
    assert (ess["numerateur"], ess["denominateur"], ess["inconnus"], ess["objectif_statut"]) == (
        4,
        10,
        3,
        "atteint",
    )
    # Then one row per buying entity and criterion (the file has no category column), without
    # objective: Parcs' ESS share is 2 of 2 known suppliers, 3 500 of 3 500 € (computed by hand in
    # test_shares_by_buying_entity_computed_by_hand).
    groups = [r for r in mine if r["dimension"] == "entite"]
    assert len(groups) == 3 * len(own.INDICATORS)
    assert {r["groupe"] for r in groups} == {"Routes", "Parcs", "Culture"}
    assert all(r["objectif_cible"] is None for r in groups)
    parcs = next(r for r in groups if (r["groupe"], r["indicateur"]) == ("Parcs", "achats_ess"))
    assert (parcs["numerateur"], parcs["denominateur"], parcs["montant_numerateur"]) == (2, 2, 3500.0)
    assert all(r["dimension"] is None and r["groupe"] is None for r in published if r not in mine)
    path = tmp_path / "indicateurs.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=columns())
        writer.writeheader()
        writer.writerows(published)
    result = validate(
        Resource(path=path.name, basepath=str(tmp_path), schema=Schema.from_descriptor(published_schema()))
    )
    assert result.valid, result.flatten(["rowNumber", "fieldName", "type", "note"])


def test_command_shows_them_and_publishes_them_only_when_asked(warehouse: Path, tmp_path: Path) -> None:
    base = ["spaser", "rapport", "--siren", BORDEAUX, "--annee", "2024", "--db", str(warehouse)]
    screen = runner.invoke(cli, base)
    assert screen.exit_code == 0, screen.output
    assert "Données ouvertes et dépense réelle" in screen.output
    assert "40,0" in screen.output  # ESS share of all spending, by supplier
    html = tmp_path / "rapport.html"
    assert runner.invoke(cli, [*base, "--html", str(html)]).exit_code == 0
    page = html.read_text(encoding="utf-8")
    assert "ce qui a vraiment été dépensé" in page
    assert "Données privées de l'acheteur" in page
    assert "4 sur 10 connus" in page
    public = runner.invoke(cli, [*base, "--format", "csv"])
    assert public.exit_code == 0, public.output
    assert "achats_" not in public.stdout
    published = runner.invoke(cli, [*base, "--format", "csv", "--publier-achats"])
    found = [
        r for r in csv.DictReader(io.StringIO(published.stdout)) if r["source"] == "achats_de_l_acheteur"
    ]
    assert len([r for r in found if r["dimension"] == "ensemble"]) == len(own.INDICATORS)
    assert {r["groupe"] for r in found if r["dimension"] == "entite"} == {"Routes", "Parcs", "Culture"}
    without = runner.invoke(cli, [*base, "--sans-achats"])
    assert "dépense réelle" not in without.output
    refused = runner.invoke(cli, [*base[:-4], "--annee", "2026", "--db", str(warehouse), "--publier-achats"])
    # LeviersError: the entry point prints it in one French line and exits 1 (leviers.cli.app).
    assert isinstance(refused.exception, LeviersError)
    assert "pas de parts à publier" in str(refused.exception)


def test_the_public_spaser_page_never_shows_them(warehouse: Path) -> None:
    application = make_app(warehouse, warehouse.parent / "cache")
    try:
        with TestClient(application) as client:
            for path in (
                f"/collectivites/{BORDEAUX}/spaser?annee=2024",
                f"/api/v1/collectivites/{BORDEAUX}/spaser?annee=2024",
                f"/collectivites/{BORDEAUX}/spaser/indicateurs.csv?annee=2024",
            ):
                answer = client.get(path)
                assert answer.status_code == 200, path
                for marker in PRIVATE_MARKERS:
                    assert marker not in answer.text, (path, marker)
            body = client.get(f"/api/v1/collectivites/{BORDEAUX}/spaser?annee=2024").json()
            assert body.get("achats") is None
    finally:
        application.state.store.close()


def test_shares_by_buying_entity_computed_by_hand(con: duckdb.DuckDBPyConnection, warehouse: Path) -> None:
    section = own.section(*own.load(con, warehouse, BORDEAUX, 2024))
    # The file has a « Service » column (buying entity), no category column: no category groups.
    assert [d["dimension"] for d in section["par_groupe"]] == ["entite"]
    groups = {g["groupe"]: g for g in section["par_groupe"][0]["groupes"]}
    assert list(groups) == ["Routes", "Parcs", "Culture"]  # by amount, largest first
    parts = {name: {p["critere"]: p for p in g["parts"]} for name, g in groups.items()}
    # Parcs: Chantier Un (ACI, association) 1 000 + 500 €, ESAT Deux (association) 2 000 €.
    assert (groups["Parcs"]["lignes"], groups["Parcs"]["fournisseurs"], groups["Parcs"]["montant"]) == (
        3,
        2,
        3500.0,
    )
    ess = parts["Parcs"]["ess"]
    assert (ess["numerateur"], ess["denominateur"], ess["inconnus"]) == (2, 2, 0)
    assert (ess["montant_numerateur"], ess["montant_denominateur"]) == (3500.0, 3500.0)
    siae, ea = parts["Parcs"]["siae"], parts["Parcs"]["ea_esat"]
    assert (siae["numerateur"], siae["denominateur"], siae["montant_numerateur"]) == (1, 2, 1500.0)
    assert (ea["numerateur"], ea["denominateur"], ea["montant_numerateur"]) == (1, 2, 2000.0)
    # Two known suppliers: under the base rule (10 known), no share is quoted as sufficient.
    assert (ess["suffisant_nombre"], ess["suffisant_montant"]) == (False, False)
    # Culture: Asso Trois 300 €, Asso Quatre 200 €: ESS both, neither SIAE nor EA/ESAT.
    culture = parts["Culture"]
    assert (culture["ess"]["numerateur"], culture["ess"]["montant_numerateur"]) == (2, 500.0)
    assert (culture["siae"]["numerateur"], culture["siae"]["denominateur"]) == (0, 2)
    # Routes: 9 suppliers, 24 000 €; 6 in SIRENE, none ESS; Onze, Douze, Treize unknown (2 500 €).
    routes = parts["Routes"]
    assert (groups["Routes"]["lignes"], groups["Routes"]["montant"]) == (9, 24000.0)
    r_ess = routes["ess"]
    assert (r_ess["numerateur"], r_ess["denominateur"], r_ess["inconnus"]) == (0, 6, 3)
    assert (r_ess["montant_numerateur"], r_ess["montant_denominateur"], r_ess["montant_inconnu"]) == (
        0.0,
        21500.0,
        2500.0,
    )
    # PME: Cinq, Six, Sept, Huit (7 500 €) of the 6 with a category (Neuf ETI, Dix GE).
    r_pme = routes["pme"]
    assert (r_pme["numerateur"], r_pme["denominateur"], r_pme["montant_numerateur"]) == (4, 6, 7500.0)
    # The groups add up to the whole: lines, amounts, known and unknown suppliers.
    assert sum(g["lignes"] for g in groups.values()) == section["lignes"] == 14
    assert sum(g["montant"] for g in groups.values()) == section["montant"] == 28000.0
    overall = _achat(build_report(con, BORDEAUX, 2024, [], _purchases(con, warehouse)), "achats_ess")
    assert sum(p["ess"]["inconnus"] for p in parts.values()) == overall["inconnus"] == 3


def test_shares_by_entity_in_the_report_html_and_the_command(
    con: duckdb.DuckDBPyConnection, warehouse: Path
) -> None:
    from leviers.reports.spaser import html as report_html

    report = build_report(con, BORDEAUX, 2024, [], _purchases(con, warehouse))
    assert report.to_json()["achats"]["par_groupe"][0]["groupes"][1]["groupe"] == "Parcs"
    page = report_html(report).replace("\u202f", " ").replace("\xa0", " ")
    assert "Parts de toute la dépense 2024 par entité acheteuse" in page
    assert "Parcs — 3 lignes, 2 fournisseurs, 3 500 € TTC" in page
    assert "1 500 € sur 3 500 € connus" in page  # Parcs' SIAE share by amount
    assert "0 € sur 21 500 € connus, 2 500 € inconnus" in page  # Routes' ESS share by amount
    from io import BytesIO

    from pypdf import PdfReader

    from leviers.reports.pdf import pdf_bytes

    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf_bytes(report_html(report)))).pages)
    text = text.replace("\u202f", " ").replace("\xa0", " ")
    assert "par entité acheteuse" in text
    assert "Parcs — 3 lignes, 2 fournisseurs" in text
    result = runner.invoke(
        cli, ["spaser", "rapport", "--siren", BORDEAUX, "--annee", "2024", "--db", str(warehouse)]
    )
    assert result.exit_code == 0, result.output
    assert "Par entité acheteuse" in result.output
    assert "Parcs" in result.output


def test_the_pdf_marks_each_decp_share_on_its_own_base(
    con: duckdb.DuckDBPyConnection, warehouse: Path
) -> None:
    """The DECP column marks the share by amount by its amount's base (it followed the count's)."""
    from leviers.reports.spaser import html as report_html

    report = build_report(con, BORDEAUX, 2024, [], _purchases(con, warehouse))
    ess = _achat(report, "achats_ess")
    ess.update(
        decp_valeur_nombre=0.5,
        decp_suffisant_nombre=True,
        decp_valeur_montant=0.25,
        decp_suffisant_montant=False,
    )
    page = report_html(report).replace("\u202f", " ").replace("\xa0", " ")
    assert '50,0 % en nombre<br><span class="base">25,0 % en montant — base insuffisante</span>' in page
    ess.update(decp_suffisant_nombre=False, decp_suffisant_montant=True)
    page = report_html(report).replace("\u202f", " ").replace("\xa0", " ")
    assert (
        '50,0 % en nombre<br><span class="base">base insuffisante</span><br>'
        '<span class="base">25,0 % en montant</span>'
    ) in page
