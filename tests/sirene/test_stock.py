"""Loading StockUniteLegale: real extracts, the default scope, types, quarantine, refusals, idempotence."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from leviers.errors import InputRefused
from leviers.ingestion import ingest_file
from leviers.sirene.synth import write_synthetic_stock
from leviers.warehouse import open_warehouse
from tests.sirene.helpers import counts, ingest, query, unit, write_csv, write_stock

FLAG = "ess/ess-numerique-database/04_ess_flag_insee.csv"
CATEGORIES = "ess/ess-numerique-database/02_ess_numerique_cate_juridique.csv"
PES = "decp/format-2019/data.gouv.fr_pes_2019-04-05.json"
EMP = "decp/format-2019/e-marchespublics_2019-04-04.json"


def raw_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def decp_sirens(path: Path) -> set[str]:
    """SIRENs of buyers and suppliers in a format-2019 DECP file, read directly from the JSON."""
    document = json.loads(path.read_text(encoding="utf-8"))
    found = set()
    for contract in document["marches"]:
        ids = [str(contract.get("acheteur", {}).get("id", ""))]
        ids += [str(t.get("id", "")) for t in contract.get("titulaires") or []]
        found |= {
            i.replace(" ", "")[:9]
            for i in ids
            if len(i.replace(" ", "")) == 14 and i.replace(" ", "").isdigit()
        }
    return found


def test_real_extract_loaded_whole_with_values_as_published(real_data: Path, db_path: Path) -> None:
    path = real_data / FLAG
    raw = raw_rows(path)
    (report,) = ingest(db_path, path, tout=True)
    assert report.format == "sirene-unites-legales-csv"
    assert counts(report) == (len(raw), len(raw), 0, 0) == (3375, 3375, 0, 0)
    stored = {
        r[0]: r[1:]
        for r in query(
            db_path,
            "SELECT siren, denomination, categorie_juridique, economie_sociale_solidaire, activite_principale, "
            "tranche_effectifs, categorie_entreprise FROM legal_units",
        )
    }
    assert len(stored) == len(raw)
    for row in raw:
        assert stored[row["siren"]] == (
            row["denominationUniteLegale"] or row["nomUniteLegale"],
            row["categorieJuridiqueUniteLegale"],
            row["economieSocialeSolidaireUniteLegale"],
            row["activitePrincipaleUniteLegale"],
            row["trancheEffectifsUniteLegale"],
            None,  # the extract has no categorieEntreprise column: unknown, not « PME »
        )
    assert query(db_path, "SELECT scope, rows_in_file, rows_in_scope, scope_sirens FROM sirene_loads") == [
        ("tout", 3375, 3375, None)
    ]


def test_applying_the_same_stock_again_changes_nothing(real_data: Path, db_path: Path) -> None:
    path = real_data / FLAG
    ingest(db_path, path, tout=True)
    before = query(db_path, "SELECT * FROM legal_units ORDER BY siren")
    (again,) = ingest(db_path, path, tout=True)
    assert again.status == "charge"  # a stock is applied again (the warehouse may have gained SIRENs)…
    assert counts(again) == (3375, 0, 0, 3375)  # … and what it already holds is a duplicate
    assert query(db_path, "SELECT * FROM legal_units ORDER BY siren") == before


def test_default_scope_keeps_the_sirens_of_the_warehouse(real_data: Path, db_path: Path) -> None:
    stock = real_data / FLAG
    flagged = {r["siren"] for r in raw_rows(stock)}
    emp, pes = decp_sirens(real_data / EMP), decp_sirens(real_data / PES)
    ingest(db_path, real_data / EMP)
    (first,) = ingest(db_path, stock)
    assert counts(first) == (len(flagged & emp), len(flagged & emp), 0, 0)
    assert first.records == 1
    (scope,) = query(db_path, "SELECT scope, rows_in_file, rows_in_scope FROM sirene_loads")
    assert scope == ("entrepot", 3375, 1)
    ((scope_size,),) = query(db_path, "SELECT scope_sirens FROM sirene_loads")
    (warehouse_sirens,) = query(
        db_path,
        "SELECT count(DISTINCT s) FROM (SELECT acheteur_siren AS s FROM contracts "
        "UNION SELECT titulaire_siren FROM contract_suppliers WHERE titulaire_siren IS NOT NULL)",
    )
    assert scope_size == warehouse_sirens[0]
    assert first.notes == [
        f"lignes gardées : 1 sur 3\u202f375, celles des {scope_size} SIREN présents dans l'entrepôt "
        "(--tout pour tout garder)"
    ]
    # New contracts bring new suppliers: the same stock file is applied again for them.
    ingest(db_path, real_data / PES)
    (second,) = ingest(db_path, stock)
    known = flagged & (emp | pes)
    assert counts(second) == (len(known), len(known - emp), 0, len(flagged & emp))
    assert {r[0] for r in query(db_path, "SELECT siren FROM legal_units")} == known


def test_default_scope_on_an_empty_warehouse_is_refused(real_data: Path, db_path: Path) -> None:
    con = open_warehouse(db_path)
    try:
        with pytest.raises(InputRefused) as caught:
            ingest_file(con, real_data / FLAG)
    finally:
        con.close()
    assert "04_ess_flag_insee.csv" in caught.value.message
    assert "aucun SIREN" in caught.value.cause
    assert "--tout" in caught.value.cause
    assert query(db_path, "SELECT count(*) FROM ingestions") == [(0,)]
    assert query(db_path, "SELECT count(*) FROM legal_units") == [(0,)]


def test_extract_without_the_ess_flag_column(real_data: Path, db_path: Path) -> None:
    path = real_data / CATEGORIES
    raw = raw_rows(path)
    (report,) = ingest(db_path, path, tout=True)
    assert counts(report) == (1590, 1590, 0, 0)
    assert query(db_path, "SELECT count(*) FROM legal_units WHERE economie_sociale_solidaire IS NULL") == [
        (len(raw),)
    ]


def test_parquet_with_the_published_types(tmp_path: Path, db_path: Path) -> None:
    # INSEE's Parquet types categorieJuridiqueUniteLegale and the years as integers, dates as DATE.
    table = pa.table(
        {
            "siren": pa.array(["005420120", "300000004"]),
            "denominationUniteLegale": pa.array(["COOP DES ALPES", None]),
            "nomUniteLegale": pa.array([None, "MARTIN"]),
            "prenomUsuelUniteLegale": pa.array([None, "LÉA"]),
            "categorieJuridiqueUniteLegale": pa.array([5458, 1000], pa.int64()),
            "categorieEntreprise": pa.array(["PME", None]),
            "anneeCategorieEntreprise": pa.array([2022, None], pa.int64()),
            "economieSocialeSolidaireUniteLegale": pa.array(["O", "N"]),
            "etatAdministratifUniteLegale": pa.array(["A", "C"]),
            "dateCreationUniteLegale": pa.array([pa.scalar(19000, pa.date32()).as_py(), None], pa.date32()),
            "dateDernierTraitementUniteLegale": pa.array([None, None], pa.timestamp("us")),
            "identifiantAssociationUniteLegale": pa.array([None, None], pa.string()),
        }
    )
    path = tmp_path / "StockUniteLegale_utf8.parquet"
    pq.write_table(table, path)
    (report,) = ingest(db_path, path, tout=True)
    assert report.format == "sirene-unites-legales-parquet"
    assert counts(report) == (2, 2, 0, 0)
    rows = query(
        db_path,
        "SELECT siren, denomination, categorie_juridique, categorie_entreprise, annee_categorie_entreprise, "
        "etat_administratif, date_creation::VARCHAR FROM legal_units ORDER BY siren",
    )
    assert rows == [
        ("005420120", "COOP DES ALPES", "5458", "PME", 2022, "A", "2022-01-08"),
        ("300000004", "LÉA MARTIN", "1000", None, None, "C", None),
    ]


def test_parquet_with_integer_sirens_gets_its_leading_zeros_back(tmp_path: Path, db_path: Path) -> None:
    table = pa.table(
        {
            "siren": pa.array([5420120, 300000004], pa.int64()),
            "categorieJuridiqueUniteLegale": pa.array([9220, 5710], pa.int64()),
            "economieSocialeSolidaireUniteLegale": pa.array(["O", "N"]),
        }
    )
    path = tmp_path / "extrait.parquet"
    pq.write_table(table, path)
    ingest(db_path, path, tout=True)
    assert query(db_path, "SELECT siren FROM legal_units ORDER BY siren") == [("005420120",), ("300000004",)]


def test_invalid_values_go_to_quarantine(tmp_path: Path, db_path: Path) -> None:
    rows = [
        unit("100000001", "9220", "O"),  # fine
        unit("12345", "9220", "O"),  # SIREN of 5 digits
        unit("100000003", "92X0", "O"),  # legal category not 4 digits
        unit("100000004", "5710", "Oui"),  # ESS flag neither O nor N
        unit("100000005", "5710", "N", categorieEntreprise="TPE"),  # unknown size category
        unit("100000006", "5710", "N", etatAdministratifUniteLegale="F"),  # F is for establishments
        unit("100000007", "5710", "N", dateCreationUniteLegale="2020-13-45"),  # no such date
        unit("100000001", "9220", "O"),  # same SIREN, same values: duplicate
        unit("100000001", "9230", "O"),  # same SIREN, other values: refused
    ]
    path = write_stock(tmp_path / "extrait.csv", rows)
    (report,) = ingest(db_path, path, tout=True)
    assert counts(report) == (9, 1, 7, 1)
    reasons = {
        (index, field): reason
        for index, field, reason in query(db_path, "SELECT record_index, field, reason FROM quarantine")
    }
    assert reasons[(1, "siren")] == "SIREN invalide « 12345 » : 9 chiffres attendus"
    assert "« 92X0 »" in reasons[(2, "categorieJuridiqueUniteLegale")]
    assert "« OUI »" in reasons[(3, "economieSocialeSolidaireUniteLegale")]
    assert "« TPE »" in reasons[(4, "categorieEntreprise")]
    assert "« F »" in reasons[(5, "etatAdministratifUniteLegale")]
    assert "« 2020-13-45 »" in reasons[(6, "dateCreationUniteLegale")]
    assert reasons[(8, "siren")] == (
        "SIREN déjà présent plus haut dans le fichier (enregistrement n° 1) avec d'autres valeurs"
    )
    (raw,) = query(db_path, "SELECT raw FROM quarantine WHERE record_index = 1")
    assert json.loads(raw[0])["siren"] == "12345"
    assert query(db_path, "SELECT siren, categorie_juridique FROM legal_units") == [("100000001", "9220")]


def test_an_older_stock_never_overwrites_a_newer_one(tmp_path: Path, db_path: Path) -> None:
    newer = write_stock(
        tmp_path / "mars.csv",
        [
            unit(
                "100000001",
                "5710",
                "N",
                "NOUVEAU NOM",
                dateDernierTraitementUniteLegale="2024-03-01T10:00:00",
            )
        ],
    )
    older = write_stock(
        tmp_path / "janvier.csv",
        [
            unit(
                "100000001", "5710", "N", "ANCIEN NOM", dateDernierTraitementUniteLegale="2024-01-01T10:00:00"
            )
        ],
    )
    latest = write_stock(
        tmp_path / "avril.csv",
        [
            unit(
                "100000001",
                "5710",
                "O",
                "NOM D'AVRIL",
                dateDernierTraitementUniteLegale="2024-04-01T10:00:00",
            )
        ],
    )
    (first,) = ingest(db_path, newer, tout=True)
    (second,) = ingest(db_path, older, tout=True)
    assert counts(second) == (1, 0, 0, 1)
    assert query(db_path, "SELECT denomination FROM legal_units") == [("NOUVEAU NOM",)]
    (third,) = ingest(db_path, latest, tout=True)
    assert counts(third) == (1, 1, 0, 0)
    assert query(
        db_path,
        "SELECT denomination, economie_sociale_solidaire, first_ingestion_id, ingestion_id FROM legal_units",
    ) == [("NOM D'AVRIL", "O", first.ingestion_id, third.ingestion_id)]


def refusal(db: Path, path: Path) -> str:
    con = open_warehouse(db)
    try:
        with pytest.raises(InputRefused) as caught:
            ingest_file(con, path, tout=True)
    finally:
        con.close()
    assert path.name in caught.value.message
    return caught.value.cause


def test_malformed_files_are_refused_clearly(tmp_path: Path, db_path: Path) -> None:
    short_row = tmp_path / "ligne_courte.csv"
    short_row.write_text(
        "siren,categorieJuridiqueUniteLegale,denominationUniteLegale\n"
        '100000001,9220,"ASSO, LES AMIS"\n100000002,9220\n',
        encoding="utf-8",
    )
    cause = refusal(db_path, short_row)
    assert "ligne mal formée (2 colonnes au lieu de 3)" in cause
    assert "100000002,9220" in cause

    no_category = write_csv(
        tmp_path / "sans_categorie.csv",
        ["siren", "denominationUniteLegale", "economieSocialeSolidaireUniteLegale"],
        [["100000001", "ASSO", "O"]],
    )
    assert refusal(db_path, no_category) == "colonnes obligatoires absentes : categorieJuridiqueUniteLegale"

    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"siren": ["100000001"], "categorieJuridiqueUniteLegale": [9220]}), good)
    truncated = tmp_path / "StockUniteLegale_utf8.parquet"
    truncated.write_bytes(good.read_bytes()[:-40])
    assert "fichier Parquet illisible" in refusal(db_path, truncated)

    establishments = write_csv(
        tmp_path / "etablissements.csv",
        ["siren", "nic", "siret", "categorieJuridiqueUniteLegale", "denominationUniteLegale"],
        [["100000001", "00012", "10000000100012", "9220", "ASSO"]],
    )
    assert "format non reconnu" in refusal(db_path, establishments)
    assert query(db_path, "SELECT count(*) FROM legal_units") == [(0,)]
    assert query(db_path, "SELECT count(*) FROM ingestions") == [(0,)]


def test_zip_of_the_csv_as_insee_publishes_it(tmp_path: Path, db_path: Path) -> None:
    csv_path = write_stock(tmp_path / "StockUniteLegale_utf8.csv", [unit("100000001", "9220", "O")])
    archive = tmp_path / "StockUniteLegale_utf8.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(csv_path, "StockUniteLegale_utf8.csv")
    (report,) = ingest(db_path, archive, tout=True)
    assert report.path.endswith("StockUniteLegale_utf8.zip!StockUniteLegale_utf8.csv")
    assert counts(report) == (1, 1, 0, 0)


def test_synthetic_stock_is_marked_synthetic(tmp_path: Path, db_path: Path) -> None:
    path = write_synthetic_stock(tmp_path / "synthetique.parquet", 5_000, seed=3)
    (report,) = ingest(db_path, path, tout=True)
    assert report.synthetic
    assert counts(report) == (5000, 5000, 0, 0)
    assert query(db_path, "SELECT bool_and(synthetic), count(*) FROM legal_units") == [(True, 5000)]
    assert query(db_path, "SELECT synthetic FROM ingestions") == [(True,)]
