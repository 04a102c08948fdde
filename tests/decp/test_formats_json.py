"""JSON formats 2019 and 2024 on the real and official files: counts reconcile, values as published."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from tests.decp.helpers import load, query

PES = "decp/format-2019/data.gouv.fr_pes_2019-04-05.json"
EMP = "decp/format-2019/e-marchespublics_2019-04-04.json"
EXAMPLES = "decp/schemas/exemples-officiels-fictifs"


def _expected_2019_counts(path: Path) -> tuple[int, int, int, int]:
    """(records, loaded, conflicts, duplicates) computed from the raw file with the json module."""
    records = json.loads(path.read_text(encoding="utf-8"))["marches"]
    first: dict[tuple[str, str], tuple[str, float, str]] = {}
    loaded = conflicts = duplicates = 0
    for r in records:
        key = (r["acheteur"]["id"], r["id"])
        fingerprint = (r["dateNotification"][:10], float(r["montant"]), r["codeCPV"][:8])
        if key not in first:
            first[key] = fingerprint
            loaded += 1
        elif first[key] != fingerprint:
            conflicts += 1
        else:
            duplicates += 1
    return len(records), loaded, conflicts, duplicates


def test_pes_2019_counts_reconcile(real_data: Path, db_path: Path) -> None:
    (report,) = load(db_path, real_data / PES)
    assert report.format == "decp-json-2019"
    assert (report.records, report.loaded, report.quarantined, report.duplicates) == _expected_2019_counts(
        real_data / PES
    )
    assert report.records == 1148
    assert report.loaded == 1140
    assert report.duplicates == 8
    assert query(db_path, "SELECT count(*) FROM contracts") == [(1140,)]


def test_ids_reused_for_other_contracts_go_to_quarantine(real_data: Path, db_path: Path) -> None:
    # e-marchespublics reuses one id for several lots: 26 records are other contracts, not duplicates.
    (report,) = load(db_path, real_data / EMP)
    assert (report.records, report.loaded, report.quarantined, report.duplicates) == _expected_2019_counts(
        real_data / EMP
    )
    assert (report.quarantined, report.duplicates) == (26, 3)
    rows = query(
        db_path,
        "SELECT record_index, record_id, field, reason, raw FROM quarantine WHERE record_id = '2018113001'",
    )
    assert len(rows) == 1
    index, record_id, field, reason, raw = rows[0]
    assert field == "id"
    assert "déjà utilisé" in reason
    assert "851257" in reason
    assert json.loads(raw)["objet"].startswith("entretien, curage")  # the refused lot, as published
    raw_records = json.loads((real_data / EMP).read_text(encoding="utf-8"))["marches"]
    assert raw_records[index]["id"] == record_id


def test_pes_values_as_published(real_data: Path, db_path: Path) -> None:
    load(db_path, real_data / PES)
    row = query(
        db_path,
        """SELECT acheteur_id, acheteur_siren, acheteur_nom, cpv, montant, current_montant, date_notification,
                  date_publication, procedure, lieu_code, lieu_type_code, schema_version, has_social, social_unknown,
                  modification_count
           FROM contracts WHERE contract_key = '20006787400012|20191815201'""",
    )
    assert row == [
        (
            "20006787400012", "200067874", "CA HAGUENAU", "45261210", 50273.41, 57379.41,
            date(2019, 1, 15), date(2018, 10, 24), "Procédure adaptée", "67067", "Code commune", "1.5",
            None, "format 2019", 1,
        )
    ]  # fmt: skip
    assert query(
        db_path,
        "SELECT titulaire_id, titulaire_siren, titulaire_nom FROM contract_suppliers "
        "WHERE contract_key = '20006787400012|20191815201'",
    ) == [("48013265300027", "480132653", "BEYER COUVERTURE")]
    assert query(
        db_path,
        "SELECT modification_id, date_notification, montant, duree_mois, objet_modification LIKE 'BRUMATH%' "
        "FROM contract_modifications WHERE contract_key = '20006787400012|20191815201'",
    ) == [(1, date(2019, 2, 15), 57379.41, 3, True)]


def test_old_procedure_labels_are_mapped_and_kept(real_data: Path, db_path: Path) -> None:
    load(db_path, real_data / PES)
    raw = json.loads((real_data / PES).read_text(encoding="utf-8"))["marches"]
    old = sum(1 for r in raw if r["procedure"] == "Procédure concurrentielle avec négociation")
    assert old == 7
    assert query(
        db_path,
        "SELECT procedure, count(*) FROM contracts "
        "WHERE procedure_publiee = 'Procédure concurrentielle avec négociation' GROUP BY ALL",
    ) == [("Procédure avec négociation", old)]


def test_2024_json_with_concessions(real_data: Path, db_path: Path) -> None:
    (report,) = load(db_path, real_data / EXAMPLES / "marches_concessions_v2.json")
    assert report.format == "decp-json-2024"
    assert (report.records, report.loaded, report.quarantined, report.duplicates) == (4, 4, 0, 0)
    concessions = query(
        db_path,
        "SELECT concession_key, valeur_globale, current_valeur_globale, has_social, social_clause, "
        "has_environmental, env_criterion FROM concessions ORDER BY 1",
    )
    assert concessions[0] == ("12345678901234|0612202306122024", 10.3, 25.0, True, True, True, True)
    holders = query(db_path, "SELECT concessionnaire_id FROM concession_holders ORDER BY 1")
    assert ("38103128500491",) in holders
    assert ("38103128500574",) in holders


def test_2024_considerations_and_modifications(real_data: Path, db_path: Path) -> None:
    load(db_path, real_data / EXAMPLES / "marches_avec_modifications_v2.json")
    row = query(
        db_path,
        """SELECT considerations_sociales, has_social, social_clause, social_criterion, social_reserved,
                  has_environmental, env_clause, env_criterion, marche_innovant, offres_recues, techniques,
                  montant, current_montant, schema_version
           FROM contracts WHERE contract_key = '21750001630066|TEST2022'""",
    )
    assert row == [
        (
            ["Clause sociale", "Critère social"], True, True, True, False, True, True, False, True, 4,
            ["Concours", "Accord-cadre"], 575000.0, 123457.87, "2.0",
        )
    ]  # fmt: skip
    # The modification brought a new supplier.
    assert query(
        db_path,
        "SELECT modification_id, titulaire_id FROM contract_suppliers "
        "WHERE contract_key = '21750001630066|TEST2022' ORDER BY 1",
    ) == [(0, "55204599900869"), (1, "868768687576575")]


def test_same_contract_in_two_files_is_stored_once_with_both_sources(
    real_data: Path, db_path: Path, tmp_path: Path
) -> None:
    source = real_data / PES
    copy = tmp_path / "pes_compact.json"
    copy.write_text(json.dumps(json.loads(source.read_text(encoding="utf-8"))), encoding="utf-8")
    first, second = load(db_path, source, copy)
    assert second.sha256 != first.sha256
    assert (second.loaded, second.quarantined, second.duplicates) == (0, 0, 1148)
    assert query(db_path, "SELECT count(*) FROM contracts") == [(1140,)]
    assert query(
        db_path,
        "SELECT count(DISTINCT ingestion_id) FROM contract_sources WHERE contract_key = '20006787400012|20191815201'",
    ) == [(2,)]
