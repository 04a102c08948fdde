"""The subsidies of a workspace's own subsidy files in the SPASER report (leviers.spaser.subsidies):
counts, amounts, the share to the ESS (unknown apart, quoted only on a sufficient base), the split
by ESS family, the open data beside them, and what a public snapshot keeps.

The warehouse is that of tests/spaser/test_purchases.py: the hand-computed one (build_hand) with the
suppliers of tests/purchases/test_shares.py in SIRENE (100000001-100000004 associations, so ESS;
100000001 an ACI and 100000002 an ESAT on the SIAE list; 100000005-100000010 companies flagged non
ESS). The subsidy file is tests/fixtures/subventions/espace_bordeaux_2024.csv (hand-made), granted
by Bordeaux. By hand, for 2024 (13 lines, 12 beneficiaries, 57 500 €):

| family (ess_families) | beneficiaries | lines | amount |
|---|---|---|---|
| association: Asso Trois, Asso Quatre, Amicale Onze (RNA number only: ESS by law) | 3 | 3 | 5 000 + 1 500 + 2 000 = 8 500 |
| siae: Chantier Un (ACI, two lines), ESAT Deux | 2 | 3 | 12 000 + 3 000 + 6 000 = 21 000 |
| hors_ess: SAS Cinq … SA Dix | 6 | 6 | 8 000 + 2 000 + 1 000 + 500 + 2 500 + 10 000 = 24 000 |
| inconnue: Douze SARL (SIREN not in SIRENE) | 1 | 1 | 4 000 |

ESS: 5 of 11 beneficiaries of known status (1 unknown): 45,5 %; 6 of 12 lines: 50 %; 29 500 of
53 500 € of known status (4 000 € unknown): 55,1 %. 11 known beneficiaries and 12 known lines are
at least the 10 of the base rule and at least half of all: every share may be quoted. Family parts
of the known amount: association 8 500 / 53 500 = 15,9 %, siae 39,3 %, hors ESS 44,9 %.
2023: one line (Asso Trois, 1 000 €): one known beneficiary, fewer than 10, « échantillon insuffisant ».

The open data of Bordeaux 2024 in this warehouse (subsidies V1-V6, tests/indicators/test_engine.py):
6 lines, 76 000 € (V6's placeholder amount set aside); S1, S2, S3 are not in this warehouse's SIRENE,
so only V3 (RNA number) is known: 1 ESS line of 1 known, 5 unknown; 5 000 of 5 000 € known, 71 000 €
unknown — too few known lines to quote the share.
"""

from __future__ import annotations

import html as html_module
import json
import shutil
import subprocess
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pypdf import PdfReader

from leviers.hosted.spaser import public_snapshot
from leviers.ingestion.load import ingest_paths
from leviers.reports.pdf import pdf_bytes
from leviers.reports.spaser import html
from leviers.spaser import build_report
from leviers.spaser import subsidies as own
from leviers.warehouse import open_warehouse
from tests.conftest import FIXTURES
from tests.spaser.conftest import hand_path  # noqa: F401
from tests.spaser.test_purchases import BORDEAUX, warehouse  # noqa: F401

FILE = FIXTURES / "subventions" / "espace_bordeaux_2024.csv"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"
NAMES = ("Chantier Un", "ESAT Deux", "Asso Trois", "Asso Quatre", "SAS Cinq", "Amicale Onze", "Douze SARL")


@pytest.fixture(scope="module")
def file_lines(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The file's lines as the hosted store keeps them: read by the same ingest, in a throwaway
    warehouse (leviers.hosted.subsidies.SubsidyStore does the same)."""
    con = open_warehouse(tmp_path_factory.mktemp("depot") / "depot.duckdb")
    try:
        outcome = ingest_paths(con, [FILE])[0]
        assert not outcome.errors, outcome.errors
        assert (outcome.reports[0].records, outcome.reports[0].loaded) == (14, 14)
        cur = con.execute(
            "SELECT annee, attribuant_siren, nom_beneficiaire, beneficiaire_siren, rna_beneficiaire, "
            "montant_beneficiaire FROM subsidies ORDER BY subsidy_key"
        )
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


@pytest.fixture
def con(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:  # noqa: F811
    connection = open_warehouse(warehouse, read_only=True)
    yield connection
    connection.close()


def _section(
    con: duckdb.DuckDBPyConnection, lines: list[dict[str, Any]], year: int, siren: str = BORDEAUX
) -> dict[str, Any]:
    years = sorted({r["annee"] for r in lines})
    return own.section(con, own.lines_table([r for r in lines if r["annee"] == year]), siren, year, years)


def _plain(text: str) -> str:
    return html_module.unescape(text).replace("\u202f", " ").replace("\xa0", " ")


def test_subsidies_of_the_year_hand_computed(
    con: duckdb.DuckDBPyConnection, file_lines: list[dict[str, Any]]
) -> None:
    s = _section(con, file_lines, 2024)
    assert (s["disponible"], s["annees"], s["lignes"], s["beneficiaires"]) == (True, [2023, 2024], 13, 12)
    assert (s["montant"], s["lignes_sans_montant"], s["lignes_autres_attribuants"]) == (57_500, 0, 0)
    e = s["ess"]
    assert (e["beneficiaires_ess"], e["beneficiaires_connus"], e["beneficiaires_inconnus"]) == (5, 11, 1)
    assert e["part_beneficiaires"] == pytest.approx(5 / 11)
    assert (e["lignes_ess"], e["lignes_connues"], e["lignes_inconnues"]) == (6, 12, 1)
    assert e["part_lignes"] == pytest.approx(0.5)
    assert (e["montant_ess"], e["montant_connu"], e["montant_inconnu"]) == (29_500, 53_500, 4_000)
    assert e["part_montant"] == pytest.approx(29_500 / 53_500)
    assert e["suffisant_beneficiaires"]
    assert e["suffisant_lignes"]
    assert e["suffisant_montant"]
    families = [(f["famille"], f["beneficiaires"], f["lignes"], f["montant"]) for f in s["familles"]]
    assert families == [
        ("association", 3, 3, 8_500),
        ("siae", 2, 3, 21_000),
        ("hors_ess", 6, 6, 24_000),
        ("inconnue", 1, 1, 4_000),
    ]
    parts = {f["famille"]: f["part_montant_connu"] for f in s["familles"]}
    assert parts["association"] == pytest.approx(8_500 / 53_500)
    assert parts["siae"] == pytest.approx(21_000 / 53_500)
    assert parts["inconnue"] is None  # unknown is apart, not a part of the known amount
    labels = {f["famille"]: f["libelle"] for f in s["familles"]}
    assert labels["siae"] == "Insertion et handicap (SIAE, EA, ESAT)"  # the warehouse's labels
    assert not any(name in json.dumps(s) for name in NAMES)  # figures only, even in the draft


def test_a_small_year_is_not_quoted(con: duckdb.DuckDBPyConnection, file_lines: list[dict[str, Any]]) -> None:
    s = _section(con, file_lines, 2023)
    e = s["ess"]
    assert (s["lignes"], s["montant"], e["beneficiaires_ess"], e["beneficiaires_connus"]) == (1, 1_000, 1, 1)
    # 100 % of one known beneficiary is not a figure: « échantillon insuffisant ».
    assert (e["part_beneficiaires"], e["part_lignes"], e["part_montant"]) == (None, None, None)
    assert not e["suffisant_beneficiaires"]
    assert [f["part_montant_connu"] for f in s["familles"]] == [None]


def test_a_year_without_file_says_so_with_the_years_there_are(
    con: duckdb.DuckDBPyConnection, file_lines: list[dict[str, Any]]
) -> None:
    s = _section(con, file_lines, 2022)
    assert s["disponible"] is False
    assert s["raison"] == (
        "aucune subvention de 2022 dans les fichiers de subventions de l'espace (années déposées : 2023, 2024)"
    )
    empty = own.section(con, own.lines_table([]), BORDEAUX, 2024, [])
    assert empty["raison"].endswith("(années déposées : aucune)")


def test_lines_of_another_grantor_are_left_aside(
    con: duckdb.DuckDBPyConnection, file_lines: list[dict[str, Any]]
) -> None:
    s = _section(con, file_lines, 2024, siren="130025265")
    assert s["disponible"] is False
    assert "les 13 lignes de 2024 des fichiers de l'espace nomment un autre attribuant" in s["raison"]
    mixed = [*file_lines, {**file_lines[0], "attribuant_siren": "130025265"}]
    found = _section(con, mixed, 2024)
    assert (found["lignes"], found["lignes_autres_attribuants"]) == (13, 1)
    assert found["notes"] == ["1 lignes de 2024 d'un autre attribuant, laissées de côté"]


def test_the_classification_is_the_warehouses(warehouse: Path, tmp_path: Path) -> None:  # noqa: F811
    """The workspace's lines get the status and family the view subsidy_beneficiary_status (read by
    the indicators) gives the same lines in the warehouse: one definition of the ESS."""
    path = tmp_path / "copie.duckdb"
    shutil.copy(warehouse, path)
    con = open_warehouse(path)
    try:
        assert ingest_paths(con, [FILE])[0].reports[0].loaded == 14
        cur = con.execute(
            "SELECT s.annee, s.attribuant_siren, s.nom_beneficiaire, s.beneficiaire_siren, s.rna_beneficiaire, "
            "s.montant_beneficiaire, b.status, b.famille_ess FROM subsidies AS s "
            "JOIN subsidy_beneficiary_status AS b USING (subsidy_key) ORDER BY subsidy_key"
        )
        rows = cur.fetchall()
        names = [d[0] for d in cur.description or []]
        lines = [dict(zip(names[:6], r[:6], strict=True)) for r in rows]
        found = own.classify(con, own.lines_table(lines))
    finally:
        con.close()
    assert len(rows) == 8 + 14  # the hand subsidies V1-V8 and the file's
    assert [(f["statut"], f["famille_ess"]) for f in found] == [(r[6], r[7]) for r in rows]
    assert {f["famille_ess"] for f in found} == {"association", "siae", "hors_ess", "inconnue"}


def test_the_report_puts_the_open_data_beside_and_publishes_figures_only(
    con: duckdb.DuckDBPyConnection, file_lines: list[dict[str, Any]]
) -> None:
    report = build_report(con, BORDEAUX, 2024, [], None, _section(con, file_lines, 2024))
    s = report.to_json()["subventions"]
    o = s["donnees_ouvertes"]
    assert (o["disponible"], o["lignes"], o["montant"], o["montants_ecartes"]) == (True, 6, 76_000, 1)
    assert (o["lignes_ess"], o["lignes_connues"], o["lignes_inconnues"]) == (1, 1, 5)
    assert (o["montant_ess"], o["montant_connu"], o["montant_inconnu"]) == (5_000, 5_000, 71_000)
    assert (o["part_lignes"], o["part_montant"], o["suffisant_lignes"]) == (None, None, False)
    # The HTML (and so the PDF) shows the section, the shares and the insufficient base.
    page = _plain(html(report))
    assert "Subventions attribuées (fichiers de l'espace)" in page
    assert "45,5 %" in page
    assert "55,1 %" in page
    assert "50,0 %" in page
    assert "29 500 € sur 53 500 € connus, 4 000 € inconnus" in page
    assert "Insertion et handicap (SIAE, EA, ESAT)" in page
    assert "échantillon insuffisant" in page  # the open data's share
    # Published: the figures and the comparison, never the split by family nor a beneficiary.
    snapshot = public_snapshot(report)["subventions"]
    assert "familles" not in snapshot
    assert snapshot["ess"] == s["ess"]
    assert snapshot["donnees_ouvertes"] == o
    text = json.dumps(snapshot, ensure_ascii=False)
    assert not any(name in text for name in NAMES)
    assert "Insertion et handicap" not in text
    # A year without file: said plainly in the report.
    missing = build_report(con, BORDEAUX, 2024, [], None, _section(con, file_lines, 2022))
    assert "années déposées : 2023, 2024" in _plain(html(missing))


def test_without_the_section_the_report_is_unchanged(con: duckdb.DuckDBPyConnection) -> None:
    report = build_report(con, BORDEAUX, 2024, [])
    assert "subventions" not in report.to_json()
    assert "fichiers de l'espace" not in html(report)


def test_the_pdf_shows_the_section(con: duckdb.DuckDBPyConnection, file_lines: list[dict[str, Any]]) -> None:
    report = build_report(con, BORDEAUX, 2024, [], None, _section(con, file_lines, 2024))
    data = pdf_bytes(html(report))
    pages = [_plain(page.extract_text()) for page in PdfReader(BytesIO(data)).pages]
    found = [i for i, text in enumerate(pages, start=1) if "Subventions attribuées (fichiers de" in text]
    assert found, "section absente du PDF"
    text = " ".join(pages[found[0] - 1 : found[0] + 1])
    for expected in ("45,5", "55,1", "29 500", "53 500", "Insertion et handicap", "échantillon insuffisant"):
        assert expected in text, expected
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pdf = ARTIFACTS / "spaser-subventions.pdf"
        pdf.write_bytes(data)
        first = str(found[0])
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "60",
                "-png",
                "-f",
                first,
                "-l",
                first,
                str(pdf),
                str(ARTIFACTS / "spaser-subventions"),
            ],
            check=True,
        )
