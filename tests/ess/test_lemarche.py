"""The Marché de l'inclusion's list: the real SIAE list classifies its members as ESS."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from leviers.errors import InputRefused
from leviers.ingestion import ingest_file
from leviers.warehouse import open_warehouse
from tests.ess import inclusion
from tests.sirene.helpers import counts, ingest, query, status_of, unit, write_stock

SIAE = "ess/lemarche/01_siaes.json"  # the whole list (3 853 SIAE, 3 MB): ../shared/data only
SIAE_EXTRAIT = "ess/lemarche/01_siaes_extrait.json"  # 139 of them, byte for byte (tests/fixtures)


@pytest.mark.shared
def test_real_siae_list_classifies_its_members_as_ess(shared_data: Path, db_path: Path) -> None:
    document = json.loads((shared_data / SIAE).read_text(encoding="utf-8"))
    sirets = [item["fields"]["siret"] for item in document]
    kinds = Counter(item["fields"]["kind"] for item in document)
    (report,) = ingest(db_path, shared_data / SIAE)
    assert report.format == "ess-marche-inclusion-json"
    distinct = {(s, item["fields"]["kind"]) for s, item in zip(sirets, document, strict=True)}
    assert counts(report) == (len(document), len(distinct), 0, len(document) - len(distinct))
    assert counts(report) == (3853, 3853, 0, 0)
    assert dict(query(db_path, "SELECT value, count(*) FROM ess_list_entries GROUP BY value")) == dict(kinds)
    statuses = status_of(db_path)
    members = {s[:9] for s in sirets}
    assert len(members) == 3490
    assert set(statuses) == members
    assert {s["status"] for s in statuses.values()} == {"ESS"}
    assert {s["rule"] for s in statuses.values()} == {"liste_siae"}
    (again,) = ingest(db_path, shared_data / SIAE)
    assert again.status == "deja_charge"


def test_siae_list_with_sirene_public_carriers(real_data: Path, tmp_path: Path, db_path: Path) -> None:
    """With SIRENE, a CCAS or a commune carrying an insertion workshop is not itself ESS."""
    document = json.loads((real_data / SIAE_EXTRAIT).read_text(encoding="utf-8"))
    aci = next(item["fields"] for item in document if item["fields"]["kind"] == "ACI")
    ei = next(item["fields"] for item in document if item["fields"]["kind"] == "EI")
    stock = write_stock(
        tmp_path / "extrait.csv",
        [unit(aci["siret"][:9], "7361", "N", "CCAS"), unit(ei["siret"][:9], "5499", "N", ei["name"])],
    )
    ingest(db_path, real_data / SIAE_EXTRAIT, stock, tout=True)
    statuses = status_of(db_path)
    assert (statuses[aci["siret"][:9]]["status"], statuses[aci["siret"][:9]]["rule"]) == (
        "non ESS",
        "hors_champ",
    )
    assert (statuses[ei["siret"][:9]]["status"], statuses[ei["siret"][:9]]["rule"]) == ("ESS", "liste_siae")


def test_api_shape_and_bad_entries(tmp_path: Path, db_path: Path) -> None:
    path = tmp_path / "siae_api.json"
    path.write_text(
        json.dumps(
            {
                "count": 6,
                "results": [
                    {"siret": "80746931700018", "kind": "EI", "name": "BALUCHON"},
                    {"siret": "807 469 317 00026", "kind": "ei", "name": "BALUCHON 2"},  # spaces, lower case
                    {"siret": "80746931700018", "kind": "EI", "name": "BALUCHON"},  # same establishment again
                    {"siret": "8074693170", "kind": "ACI", "name": "SIRET TRONQUÉ"},
                    {"siret": "44229377500031", "kind": "XYZ", "name": "TYPE INCONNU"},
                    {"siret": "44229377500031", "name": "SANS TYPE"},
                ],
            }
        ),
        encoding="utf-8",
    )
    (report,) = ingest(db_path, path)
    assert counts(report) == (6, 2, 3, 1)
    reasons = dict(query(db_path, "SELECT record_index, reason FROM quarantine"))
    assert (
        reasons[3]
        == "identifiant invalide « 8074693170 » : SIREN (9 chiffres) ou SIRET (14 chiffres) attendu"
    )
    assert reasons[4].startswith("valeur inconnue « XYZ » pour cette liste (attendu : EI, ETTI, AI, ACI")
    assert reasons[5].startswith("valeur absente")
    assert query(db_path, "SELECT siret FROM ess_list_entries ORDER BY siret") == [
        ("80746931700018",),
        ("80746931700026",),
    ]


def test_fixture_with_other_models(tmp_path: Path, db_path: Path) -> None:
    path = tmp_path / "fixture.json"
    path.write_text(
        json.dumps(
            [
                {
                    "model": "siaes.siae",
                    "pk": 1,
                    "fields": {"siret": "80746931700018", "kind": "EI", "name": "A"},
                },
                {"model": "networks.network", "pk": 1, "fields": {"name": "UNEA"}},
            ]
        ),
        encoding="utf-8",
    )
    (report,) = ingest(db_path, path)
    assert counts(report) == (2, 1, 1, 0)
    assert query(db_path, "SELECT reason FROM quarantine") == [
        ("objet « networks.network » : pas une structure (siaes.siae)",)
    ]


def test_malformed_json_is_refused(real_data: Path, tmp_path: Path, db_path: Path) -> None:
    path = tmp_path / "siae_tronque.json"
    path.write_bytes((real_data / SIAE_EXTRAIT).read_bytes()[:50_000])
    con = open_warehouse(db_path)
    try:
        with pytest.raises(InputRefused) as caught:
            ingest_file(con, path)
    finally:
        con.close()
    assert "siae_tronque.json" in caught.value.message
    assert caught.value.cause.startswith("JSON illisible")
    assert query(db_path, "SELECT count(*) FROM ess_list_entries") == [(0,)]


def _inclusion_counts(real_data: Path) -> tuple[int, dict[str, int]]:
    members = inclusion.real_members(real_data)
    return len(members), dict(Counter(m["reseaux_porteurs"][0].upper() for m in members))


def test_data_inclusion_parquet(real_data: Path, tmp_path: Path, db_path: Path) -> None:
    """data·inclusion's structures (Plateforme de l'inclusion, data.gouv.fr): members by their
    `reseaux_porteurs`, the other structures counted apart."""
    rows = inclusion.structures(real_data)
    path = inclusion.write_parquet(tmp_path / "structures-inclusion.parquet", rows)
    members, kinds = _inclusion_counts(real_data)
    (report,) = ingest(db_path, path)
    assert report.format == "ess-marche-inclusion-json"
    assert counts(report) == (members, members, 0, 0)
    assert report.notes == [
        "3 structures d'autres types (ni SIAE, ni EA, ni ESAT : CCAS, missions locales…) hors de la liste, "
        "non comptées"
    ]
    assert dict(query(db_path, "SELECT value, count(*) FROM ess_list_entries GROUP BY value")) == kinds
    statuses = status_of(db_path)
    assert {(s["status"], s["rule"]) for s in statuses.values()} == {("ESS", "liste_siae")}
    first = rows[0]
    assert query(db_path, "SELECT nom FROM ess_list_entries WHERE siret = ?", [first["siret"]]) == [
        (first["nom"],)
    ]


def test_data_inclusion_json_and_schema_v0(real_data: Path, tmp_path: Path, db_path: Path) -> None:
    members = inclusion.real_members(real_data, per_kind=1)
    v1 = [
        *members,
        {
            "id": "test--two",
            "source": "dora",
            "nom": "[TEST] EI et ETTI",
            "siret": members[0]["siret"],
            "reseaux_porteurs": ["ei", "etti", "ei"],
        },
        {
            "id": "test--nosiret",
            "source": "dora",
            "nom": "[TEST] ACI sans SIRET",
            "siret": None,
            "reseaux_porteurs": ["aci"],
        },
        *inclusion.OTHERS,
    ]
    path = tmp_path / "structures-inclusion.json"
    path.write_text(json.dumps(v1), encoding="utf-8")
    (report,) = ingest(db_path, path)
    # Each member's kinds once (EI and ETTI: two rows); the ACI without SIRET is quarantined.
    assert counts(report) == (len(members) + 3, len(members) + 1, 1, 1)
    assert report.notes[0].startswith("3 structures d'autres types")
    # Schema v0: a `typologie` code instead of `reseaux_porteurs`.
    v0 = [
        {"id": "x", "siret": members[0]["siret"], "nom": "A", "typologie": "ESAT"},
        {"id": "y", "siret": None, "typologie": "CCAS"},
    ]
    old = tmp_path / "structures-v0.json"
    old.write_text(json.dumps(v0), encoding="utf-8")
    (again,) = ingest(db_path, old)
    assert counts(again) == (1, 1, 0, 0)
    assert query(db_path, "SELECT count(*) FROM ess_list_entries WHERE value = 'ESAT'") == [(1,)]


def test_truncated_parquet_is_refused(real_data: Path, tmp_path: Path, db_path: Path) -> None:
    path = inclusion.write_parquet(tmp_path / "structures.parquet", inclusion.structures(real_data))
    cut = tmp_path / "structures-inclusion.parquet"  # the name `leviers download ess` gives it
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    con = open_warehouse(db_path)
    try:
        with pytest.raises(InputRefused) as caught:
            ingest_file(con, cut)
    finally:
        con.close()
    assert caught.value.cause.startswith("fichier Parquet illisible (tronqué ou corrompu")
    assert "leviers download ess --liste inclusion" in caught.value.cause
    assert query(db_path, "SELECT count(*) FROM ess_list_entries") == [(0,)]
