"""The one-call API used by the faces: plain, JSON-serialisable results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leviers.coverage.study import run_study
from leviers.errors import InputRefused


def test_demo_study_is_serialisable_and_dated() -> None:
    study = run_study("75", new_sites=2, target_share=0.85)
    data = json.loads(json.dumps(study.to_dict(), allow_nan=False))
    assert data["sites"]["date"] == "2019-06-13"
    assert data["sites"]["attribution"].startswith("CGET/ANCT")
    assert data["temps"]["estimation"] is True
    assert "INSEE" in data["sources"]["population"]
    assert data["nouveaux_sites"]["resolution"]["optimum_prouve"] is True
    assert len(data["nouveaux_sites"]["sites_proposes"]) == 2
    assert data["cible"]["resultat"]["part_population_couverte_apres"] >= 0.85
    assert len(data["communes"]) == 4293


def test_infeasible_target_is_plain_json(tmp_path: Path) -> None:
    candidates = tmp_path / "un_seul.csv"
    candidates.write_text("nom,lat,lon\nTulle,45.2671,1.7707\n", encoding="utf-8")
    study = run_study("75", new_sites=0, target_share=1.0, candidates=candidates)
    data = json.loads(json.dumps(study.to_dict(), allow_nan=False))
    assert data["nouveaux_sites"] is None
    assert data["cible"]["resolution"]["realisable"] is False
    assert data["cible"]["resolution"]["objectif"] is None


def test_unreadable_pbf_is_refused_before_any_work(tmp_path: Path) -> None:
    pbf = tmp_path / "region.osm.pbf"
    pbf.write_bytes(b"pas un pbf")
    with pytest.raises(InputRefused, match="OSMHeader"):
        run_study("75", pbf=pbf)


def test_extract_that_does_not_cover_the_region_is_refused(real_data: Path) -> None:
    # The real Saint-Barthélemy extract is a valid .pbf, but no commune of Nouvelle-Aquitaine is near its roads.
    with pytest.raises(InputRefused, match="ne couvre pas la région") as info:
        run_study("75", pbf=real_data / "osm" / "saint_barthelemy.osm.pbf", new_sites=0)
    assert "saint_barthelemy.osm.pbf" in info.value.message
