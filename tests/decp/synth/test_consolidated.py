"""The consolidated outputs: decp-processing's 58 columns, one row per contract × titulaire × state."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq

from leviers.decp.synth import Options, generate_decp


def test_columns_are_those_of_schema_base(tmp_path: Path, real_data: Path) -> None:
    fields = json.loads(
        (real_data / "decp" / "schemas" / "consolide-tabulaire" / "schema_base.json").read_text(
            encoding="utf-8"
        )
    )["fields"]
    expected = [f["name"] for f in fields]
    assert len(expected) == 58
    parquet = tmp_path / "d.parquet"
    generate_decp(Options(contracts=300, seed=1), parquet, "consolide-parquet")
    assert pq.read_schema(parquet).names == expected
    csv_path = tmp_path / "d.csv"
    generate_decp(Options(contracts=300, seed=1), csv_path, "consolide-csv")
    with csv_path.open(encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == expected


def test_rows_match_the_json_contracts(tmp_path: Path) -> None:
    options = Options(contracts=1200, seed=21, nc_rate=0, invalid_rate=0)
    generate_decp(options, tmp_path / "d.json", "json2024")
    generate_decp(options, tmp_path / "d.parquet", "consolide-parquet")
    doc = json.loads((tmp_path / "d.json").read_bytes())
    rows = pq.read_table(tmp_path / "d.parquet").to_pylist()
    by_uid: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        by_uid.setdefault(str(row["uid"]), []).append(row)
    assert len(by_uid) == 1200
    for record in doc["marches"]["marche"]:
        uid = record["acheteur"]["id"] + record["id"]
        mods = [m["modification"] for m in record.get("modifications", [])]
        contract_rows = by_uid[uid]
        # One row per titulaire and per state (initial + each modification).
        assert len(contract_rows) == len(record["titulaires"]) * (1 + len(mods))
        current = [r for r in contract_rows if r["donneesActuelles"]]
        assert {r["modification_id"] for r in current} == {len(mods)}
        amounts = [record["montant"]] + [m["montant"] for m in mods if "montant" in m]
        assert {r["montant"] for r in current} == {amounts[-1]}
        initial = [r for r in contract_rows if r["modification_id"] == 0]
        assert sorted(str(r["titulaire_id"]) for r in initial) == sorted(
            t["titulaire"]["id"] for t in record["titulaires"]
        )
        social = record["considerationsSociales"]["considerationSociale"]
        expected = "Sans objet" if social == ["Pas de considération sociale"] else ", ".join(social)
        assert {r["considerationsSociales"] for r in contract_rows} == {expected}
        assert {r["objet"] for r in contract_rows} == {record["objet"]}
        assert {r["sourceDataset"] for r in contract_rows} == {"leviers-synthetique"}


def test_same_options_same_bytes(tmp_path: Path) -> None:
    for fmt, ext in (("consolide-csv", "csv"), ("consolide-parquet", "parquet")):
        digests = set()
        for run in range(2):
            path = tmp_path / f"run{run}.{ext}"
            generate_decp(Options(contracts=600, seed=8), path, fmt)
            digests.add(hashlib.sha256(path.read_bytes()).hexdigest())
        assert len(digests) == 1, fmt


def test_dirt_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    report = generate_decp(
        Options(contracts=2000, seed=5, nc_rate=0.05, invalid_rate=0.05), path, "consolide-csv"
    )
    with path.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["modification_id"] == "0"]
    first = {r["uid"]: r for r in rows}
    # decp-processing turns « NC » into null: empty considerations in the CSV.
    assert sum(r["considerationsSociales"] == "" for r in first.values()) == report.nc_records
    french_dates = sum("/" in r["dateNotification"] for r in first.values())
    assert french_dates == report.invalid_records["date de notification au format JJ/MM/AAAA"]
    short_sirets = {r["acheteur_id"] for r in first.values() if len(r["acheteur_id"]) == 13}
    assert len(short_sirets) > 0
