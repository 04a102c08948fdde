"""Tabular formats: the ministry's export (MQ/CDL/INX, Python lists) and the consolidated file."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from tests.decp.helpers import load, query

MINEF_2022 = "decp/minef-decp-augmente/decp_augmente_2022_extrait.csv"
MINEF_2019 = "decp/minef-decp-augmente/decp_augmente_2019_extrait.csv"
CONSOLIDATED = "decp/consolide-tabulaire/decp_2024S2_travaux_cpv4521.csv"


def _rows(path: Path, delimiter: str = ";") -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def test_minef_2024_export(real_data: Path, db_path: Path) -> None:
    rows = _rows(real_data / MINEF_2022)
    (report,) = load(db_path, real_data / MINEF_2022)
    assert report.format == "decp-minef-2024"
    zero_offers = [i for i, r in enumerate(rows) if r["offresRecues"] == "0"]
    assert zero_offers == [5, 7]  # below the schema's minimum of 1: quarantined with the reason
    assert (report.records, report.loaded, report.quarantined, report.duplicates) == (9, 7, 2, 0)
    assert query(db_path, "SELECT record_index, field FROM quarantine ORDER BY 1") == [
        (5, "offresRecues"),
        (7, "offresRecues"),
    ]
    # INX tags are removed, the value kept; MQ is unknown, not false.
    assert query(db_path, "SELECT count(*) FROM contracts WHERE id = '202424 3 001'") == [(1,)]
    row = query(
        db_path,
        "SELECT has_social, social_clause, has_environmental, env_clause, env_criterion, marche_innovant "
        "FROM contracts WHERE acheteur_id = ? AND id = ?",
        [rows[3]["acheteur.id"], rows[3]["id"]],
    )
    assert rows[3]["considerationsSociales"] == "['Clause sociale']"
    assert rows[3]["marcheInnovant"] == "MQ" or row[0][5] is not None
    assert row[0][:5] == (True, True, True, True, True)
    expected_no = sum(
        1
        for i, r in enumerate(rows)
        if i not in zero_offers and r["considerationsSociales"] == "['Pas de considération sociale']"
    )
    assert query(db_path, "SELECT count(*) FROM contracts WHERE has_social = false") == [(expected_no,)]
    innovant_mq = sum(1 for i, r in enumerate(rows) if i not in zero_offers and r["marcheInnovant"] == "MQ")
    assert query(db_path, "SELECT count(*) FROM contracts WHERE marche_innovant IS NULL") == [(innovant_mq,)]


def test_minef_2019_export(real_data: Path, db_path: Path) -> None:
    rows = _rows(real_data / MINEF_2019)
    (report,) = load(db_path, real_data / MINEF_2019)
    assert report.format == "decp-minef-2019"
    assert (report.records, report.loaded, report.quarantined) == (9, 9, 0)
    # Upper-case labels of the export are mapped to the official ones.
    assert rows[0]["nature"] == "MARCHE"
    assert rows[0]["lieuExecution.typeCode"] == "CODE DEPARTEMENT"
    assert query(
        db_path, "SELECT nature, lieu_type_code, lieu_nom FROM contracts WHERE id = ?", [rows[0]["id"]]
    ) == [("Marché", "Code département", "Corrèze")]
    assert query(
        db_path, "SELECT titulaire_nom FROM contract_suppliers WHERE titulaire_id = '75750063200034'"
    ) == [("Avenir Electrique de Limoges",)]


def test_consolidated_extract(real_data: Path, db_path: Path) -> None:
    rows = _rows(real_data / CONSOLIDATED, ",")
    (report,) = load(db_path, real_data / CONSOLIDATED)
    assert report.format == "decp-consolide-csv"
    assert report.records == len(rows) == 8957
    assert report.reconciles()
    # Without modification_id, each uid's dates are successive states (see tabular.py); same-date
    # rows that disagree are conflicts. Hand computation from the raw rows:
    states: dict[str, dict[str, set[tuple[str, str, str]]]] = defaultdict(lambda: defaultdict(set))
    for r in rows:
        states[r["uid"]][r["dateNotification"]].add((r["montant"], r["codeCPV"], r["dureeMois"]))
    assert len(states) == 5180
    uid = "22830001800113202220190390"
    dates = sorted(states[uid])
    initial_amount = float(next(iter(states[uid][dates[0]]))[0])
    last_amount = float(next(iter(states[uid][dates[-1]]))[0])
    assert query(
        db_path,
        "SELECT date_notification, montant, current_montant, modification_count FROM contracts "
        "WHERE contract_key = '22830001800113|202220190390'",
    ) == [(date.fromisoformat(dates[0]), initial_amount, last_amount, len(dates) - 1)]
    # A SIRET with a leading zero, as published, stays a 14-character text.
    assert any(r["titulaire_id"].startswith("0") for r in rows)
    assert query(
        db_path, "SELECT count(*) FROM contract_suppliers WHERE titulaire_id = '02682004300086'"
    ) == [(1,)]


def test_consolidated_integer_identifiers_get_their_zeros_back(real_data: Path, tmp_path: Path) -> None:
    # Upstream types acheteur_id, titulaire_id and lieuExecution_code as integers: a real row
    # (PROCIBA, SIRET 02682004300086) written as such loses its leading zero.
    rows = _rows(real_data / CONSOLIDATED, ",")
    row = next(r for r in rows if r["titulaire_id"] == "02682004300086")
    row = {**row, "titulaire_id": str(int(row["titulaire_id"])), "lieuExecution_code": "5000",
           "lieuExecution_typeCode": "Code postal"}  # fmt: skip
    path = tmp_path / "one_row.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    (report,) = load(tmp_path / "w.duckdb", path)
    assert (report.records, report.loaded) == (1, 1)
    assert query(tmp_path / "w.duckdb", "SELECT titulaire_id, titulaire_siren FROM contract_suppliers") == [
        ("02682004300086", "026820043")
    ]
    assert query(tmp_path / "w.duckdb", "SELECT lieu_code FROM contracts") == [("05000",)]


def test_consolidated_parquet_equals_csv(real_data: Path, tmp_path: Path) -> None:
    table = pacsv.read_csv(
        real_data / CONSOLIDATED,
        convert_options=pacsv.ConvertOptions(
            column_types={"acheteur_id": pa.int64(), "titulaire_id": pa.string()}
        ),
    )
    parquet = tmp_path / "decp.parquet"
    pq.write_table(table, parquet)
    (from_parquet,) = load(tmp_path / "p.duckdb", parquet)
    (from_csv,) = load(tmp_path / "c.duckdb", real_data / CONSOLIDATED)
    assert from_parquet.format == "decp-consolide-parquet"
    assert (from_parquet.records, from_parquet.loaded, from_parquet.quarantined) == (
        from_csv.records,
        from_csv.loaded,
        from_csv.quarantined,
    )
    sql = "SELECT contract_key, montant, current_montant, cpv FROM contracts ORDER BY 1"
    assert query(tmp_path / "p.duckdb", sql) == query(tmp_path / "c.duckdb", sql)
