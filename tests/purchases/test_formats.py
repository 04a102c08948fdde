"""Purchase files (hand-made fixtures, tests/fixtures/achats): recognition, quarantine with French
reasons, reconciled counts, idempotence, the private/public flag of `leviers ingest`."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from leviers.errors import InputRefused
from leviers.ingestion import ingest_file, registry
from leviers.ingestion.files import sample
from leviers.purchases.store import LocalStore, private_path
from leviers.warehouse import open_warehouse
from tests.conftest import FIXTURES

ACHATS = FIXTURES / "achats"
BUYER = "224400028"  # Département de Loire-Atlantique


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    s = LocalStore.beside(tmp_path / "leviers.duckdb")
    yield s
    s.close()


def _load(store: LocalStore, name: str, **options: str) -> tuple[int, int, int, int]:
    outcome = store.ingest(
        [ACHATS / name], acheteur=options.get("acheteur", BUYER), montant=options.get("montant")
    )[0]
    assert not outcome.errors, outcome.errors
    r = outcome.reports[0]
    assert r.records == r.loaded + r.quarantined + r.duplicates
    return r.records, r.loaded, r.quarantined, r.duplicates


def _reasons(store: LocalStore) -> list[str]:
    return [
        r[0]
        for r in store.con.execute(
            "SELECT reason FROM quarantine ORDER BY ingestion_id, record_index"
        ).fetchall()
    ]


def test_every_fixture_is_recognised_as_a_purchase_file() -> None:
    for name in ("mandats_ciril_2024.csv", "paiements_2024.csv", "commandes_2024.xlsx", "mandats_2024.ods"):
        fmt = registry.detect(sample(ACHATS / name))
        assert fmt is not None, name
        assert (fmt.dataset, fmt.private) == ("achats", True), name


def test_csv_cp1252_with_broken_rows(store: LocalStore) -> None:
    assert _load(store, "mandats_ciril_2024.csv") == (10, 5, 5, 0)
    assert _reasons(store) == [
        "ligne 7 : fournisseur : ni nom ni SIRET",
        "ligne 8 : montant TTC : « voir facture » n'est pas un montant lisible",
        "ligne 9 : date : « 31/02/2024 » n'est pas une date lisible (attendu JJ/MM/AAAA ou AAAA-MM-JJ)",
        "ligne 10 : ligne de total (« TOTAL ») : somme d'autres lignes, qui compterait leur montant deux fois",
        "ligne 11 : ligne de 11 cellules pour 10 colonnes : séparateur « ; » présent dans des valeurs non "
        "entourées de guillemets",
    ]
    rows = store.con.execute(
        "SELECT fournisseur_nom, fournisseur_siren, montant_ttc::VARCHAR, montant_ht, departement_code, date_type "
        "FROM purchase_lines ORDER BY record_index"
    ).fetchall()
    assert rows[0] == ("Élan Insertion", "404833048", "1200.00", None, "44", "mandat")
    assert rows[1][2] == "12345.67"  # dotted thousands, decimal comma
    assert rows[3] == ("Café Coopératif", None, "350.50", None, "44", "mandat")  # no SIRET: unknown status
    warning = store.con.execute("SELECT reason FROM record_warnings").fetchall()
    assert warning == [
        (
            "ligne 12 : identifiant du fournisseur « 1234 56 » : ni SIRET (14 chiffres) ni SIREN (9 chiffres) ; "
            "fournisseur chargé, statut inconnu",
        )
    ]


def test_same_file_twice_changes_nothing(store: LocalStore) -> None:
    _load(store, "mandats_ciril_2024.csv")
    before = store.con.execute("SELECT count(*) FROM purchase_lines").fetchone()
    assert _load(store, "mandats_ciril_2024.csv") == (10, 0, 5, 5)
    assert store.con.execute("SELECT count(*) FROM purchase_lines").fetchone() == before


def test_same_lines_in_another_file_are_duplicates(store: LocalStore, tmp_path: Path) -> None:
    _load(store, "mandats_ciril_2024.csv")
    copy = tmp_path / "copie.csv"
    copy.write_bytes((ACHATS / "mandats_ciril_2024.csv").read_bytes() + b"\r\n")
    outcome = store.ingest([copy], acheteur=BUYER)[0]
    assert (outcome.reports[0].loaded, outcome.reports[0].duplicates) == (0, 5)


def test_a_bare_amount_is_never_guessed(store: LocalStore) -> None:
    outcome = store.ingest([ACHATS / "paiements_2024.csv"], acheteur=BUYER)[0]
    assert outcome.reports == []
    message = outcome.errors[0].message
    assert "paiements_2024.csv" in message
    assert "« Montant » ne dit pas si le montant est HT ou TTC" in message
    assert "--montant ht ou --montant ttc" in message
    assert _load(store, "paiements_2024.csv", montant="ht") == (4, 3, 1, 0)
    assert _reasons(store) == [
        "ligne 5 : acheteur : « pas un siret » n'est ni un SIRET ni un SIREN (précisez --acheteur SIREN)"
    ]
    assert store.con.execute(
        "SELECT sum(montant_ht)::VARCHAR, count(montant_ttc) FROM purchase_lines"
    ).fetchone() == (
        "4250.50",
        0,
    )


def test_no_buyer_refused_with_its_reason(store: LocalStore) -> None:
    outcome = store.ingest([ACHATS / "mandats_ciril_2024.csv"])[0]
    assert "aucune colonne ne désigne l'acheteur" in outcome.errors[0].message
    assert store.con.execute("SELECT count(*) FROM ingestions").fetchone() == (0,)


def test_xlsx_sheets_numbers_and_dates(store: LocalStore) -> None:
    outcome = store.ingest([ACHATS / "commandes_2024.xlsx"], acheteur=BUYER)[0]
    report = outcome.reports[0]
    assert (report.records, report.loaded, report.quarantined) == (5, 3, 2)
    assert report.notes == [
        "feuilles lues : « Commandes 2024 » ; non lue(s) (pas d'en-tête d'achats) : « Notice »"
    ]
    rows = store.con.execute(
        "SELECT fournisseur_siret, montant_ht::VARCHAR, date_achat::VARCHAR, date_type FROM purchase_lines ORDER BY record_index"
    ).fetchall()
    assert rows == [
        ("40483304800022", "1500.00", "2024-02-01", "commande"),
        ("07220086800072", "2000.25", "2024-02-15", "commande"),  # leading zero lost by the number cell
        ("55210055400013", "12.35", "2024-03-01", "commande"),  # 12.345 in a number cell is 12,345 €
    ]
    assert _reasons(store) == [
        "feuille « Commandes 2024 », ligne 7 : date : « pas une date » n'est pas une date lisible "
        "(attendu JJ/MM/AAAA ou AAAA-MM-JJ)",
        "feuille « Commandes 2024 », ligne 8 : montant absent",
    ]


def test_ods_dated_by_exercice(store: LocalStore) -> None:
    assert _load(store, "mandats_2024.ods") == (3, 2, 1, 0)
    assert store.con.execute(
        "SELECT fournisseur_siren, annee, date_type, compte, entite FROM purchase_lines ORDER BY record_index"
    ).fetchall() == [
        ("404833048", 2024, "mandat", "011-6068", "Principal"),
        (None, 2024, None, "011-6232", "Principal"),
    ]
    assert _reasons(store) == [
        "feuille « Mandats », ligne 4 : ni date ni exercice : l'année de l'achat est inconnue"
    ]


def test_malformed_file_refused_naming_it(store: LocalStore, tmp_path: Path) -> None:
    broken = tmp_path / "achats.xlsx"
    broken.write_bytes((ACHATS / "commandes_2024.xlsx").read_bytes()[:2000])
    outcome = store.ingest([broken], acheteur=BUYER)[0]
    assert outcome.errors
    assert str(broken) in outcome.errors[0].message


def test_warehouse_refuses_purchase_files(tmp_path: Path) -> None:
    con = open_warehouse(tmp_path / "leviers.duckdb")
    with pytest.raises(InputRefused, match="relancez avec --prive"):
        ingest_file(con, ACHATS / "mandats_ciril_2024.csv")
    assert con.execute("SELECT count(*) FROM ingestions").fetchone() == (0,)
    con.close()
    assert not private_path(tmp_path / "leviers.duckdb").exists()


def test_private_store_refuses_open_data(store: LocalStore) -> None:
    decp = FIXTURES / "subventions" / "schema" / "exemple_valide-2.1.1.csv"
    outcome = store.ingest([decp])[0]
    assert outcome.errors
    assert "--prive ne charge que des fichiers d'achats" in outcome.errors[0].message


def test_private_store_is_not_a_warehouse(tmp_path: Path) -> None:
    path = tmp_path / "leviers.duckdb"
    open_warehouse(path).close()
    shutil.copy(path, private_path(path))
    with pytest.raises(Exception, match="n'est pas un espace privé"):
        LocalStore.beside(path, read_only=True)
    assert duckdb.connect(str(path), read_only=True).execute("SELECT 1").fetchone() == (1,)


def test_identical_lines_of_one_file_are_distinct_purchases(store: LocalStore, tmp_path: Path) -> None:
    line = "Papeterie;55210055400013;40,00;02/02/2024\n"
    file = tmp_path / "deux.csv"
    file.write_text("Fournisseur;SIRET fournisseur;Montant TTC;Date mandat\n" + line * 2, encoding="utf-8")
    outcome = store.ingest([file], acheteur=BUYER)[0]
    assert (outcome.reports[0].loaded, outcome.reports[0].duplicates) == (2, 0)
    longer = tmp_path / "trois.csv"
    longer.write_text("Fournisseur;SIRET fournisseur;Montant TTC;Date mandat\n" + line * 3, encoding="utf-8")
    again = store.ingest([longer], acheteur=BUYER)[0].reports[0]
    assert (again.loaded, again.duplicates) == (1, 2)  # the third identical line is new


def test_same_line_on_two_sheets_is_one_purchase(store: LocalStore, tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "deux_feuilles.xlsx"
    book = xlsxwriter.Workbook(str(path))
    for sheet in ("2024", "Toutes années"):
        ws = book.add_worksheet(sheet)
        for col, value in enumerate(["Fournisseur", "SIRET fournisseur", "Montant TTC", "Date mandat"]):
            ws.write(0, col, value)
        for col, value in enumerate(["Papeterie", "55210055400013", "40,00", "2024-02-02"]):
            ws.write_string(1, col, value)
    book.close()
    report = store.ingest([path], acheteur=BUYER)[0].reports[0]
    assert (report.records, report.loaded, report.duplicates) == (2, 1, 1)
