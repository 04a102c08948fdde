"""The reference tables in the warehouse: loaded once per version, buyer view on contracts."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

from leviers.reference import reference_dir, reference_version
from leviers.reference.warehouse import ensure_reference_tables
from leviers.warehouse import open_warehouse


def test_loaded_once_per_version(db_path: Path) -> None:
    con = open_warehouse(db_path)
    version = con.execute("SELECT value FROM warehouse_meta WHERE key = 'reference_version'").fetchone()
    assert version == (reference_version(),)
    counts = dict(con.execute("SELECT type, count(*) FROM ref_collectivites GROUP BY type").fetchall())
    assert counts == {
        "commune": 34874,
        "epci": 1265,
        "departement": 93,
        "region": 14,
        "statut_particulier": 9,
    }
    assert ensure_reference_tables(con) is False  # same version: nothing to do
    con.execute("UPDATE warehouse_meta SET value = 'older' WHERE key = 'reference_version'")
    assert ensure_reference_tables(con) is True
    assert con.execute("SELECT count(*) FROM ref_collectivites").fetchone() == (36255,)
    con.close()


def test_reference_tables_content(db_path: Path) -> None:
    con = open_warehouse(db_path)
    row = con.execute(
        "SELECT nom, population, departements, competences, tranche_population, tranche_libelle "
        "FROM ref_collectivites WHERE siren = '200076958'"
    ).fetchone()
    # Corse: 2A + 2B communes' populations summed.
    pop_corse = con.execute(
        "SELECT sum(population) FROM ref_communes WHERE departement_code IN ('2A', '2B')"
    ).fetchone()
    assert row == (
        "Collectivité de Corse",
        pop_corse[0],  # type: ignore[index]
        ["2A", "2B"],
        ["departement", "region"],
        "region_0_999999",
        "moins de 1\u00a0000\u00a0000 habitants",
    )
    assert con.execute("SELECT code_insee FROM ref_communes WHERE code_insee = '05061'").fetchone() == (
        "05061",
    )
    assert con.execute(
        "SELECT siren, collectivite_siren FROM ref_departements WHERE code = '75'"
    ).fetchone() == (None, "217500016")
    con.close()


def test_buyer_view_maps_contracts_and_concessions(db_path: Path) -> None:
    con = open_warehouse(db_path)
    contracts = [
        ("21330063500017", "C1"),  # Bordeaux
        ("21330063500017", "C2"),
        ("22330001300016", "C3"),  # Département de la Gironde
        ("26330582800017", "C4"),  # a hospital: not a collectivité
    ]
    for siret, cid in contracts:
        con.execute(
            "INSERT INTO contracts (contract_key, acheteur_id, acheteur_siren, id, schema_version, "
            "source_format, first_ingestion_id) VALUES (?, ?, ?, ?, '2.0', 'test', 1)",
            [f"{siret}|{cid}", siret, siret[:9], cid],
        )
    con.execute(
        "INSERT INTO concessions (concession_key, autorite_concedante_id, autorite_concedante_siren, id, "
        "schema_version, source_format, first_ingestion_id) "
        "VALUES ('20005375900011|D1', '20005375900011', '200053759', 'D1', '2.0', 'test', 1)"
    )
    rows = con.execute(
        "SELECT acheteur_siren, contracts, concessions, collectivite_type, type_libelle, nom, tranche_population "
        "FROM buyer_collectivites ORDER BY acheteur_siren"
    ).fetchall()
    assert rows == [
        ("200053759", 0, 1, "region", "région", "Région Nouvelle-Aquitaine", "region_4000000_plus"),
        ("213300635", 2, 0, "commune", "commune", "Bordeaux", "commune_100000_plus"),
        (
            "223300013",
            1,
            0,
            "departement",
            "département",
            "Département de la Gironde",
            "departement_1000000_plus",
        ),
        ("263305828", 1, 0, "autre", "autre acheteur public", None, None),
    ]
    con.close()


def test_shipped_files_match_manifest() -> None:
    manifest = json.loads((reference_dir() / "manifest.json").read_text(encoding="utf-8"))
    for name, meta in manifest["files"].items():
        payload = (reference_dir() / name).read_bytes()
        assert hashlib.sha256(payload).hexdigest() == meta["sha256"], name
        text = gzip.decompress(payload) if name.endswith(".gz") else payload
        assert text.decode("utf-8").count("\n") == meta["rows"] + 1, name
