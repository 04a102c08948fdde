"""Site lists: the bundled real list, CSV and GeoJSON variants, and bad records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leviers.coverage.sites import BUNDLED_DATE, bundled_sites, read_sites
from leviers.errors import InputRefused


def test_bundled_list_is_the_real_2019_list() -> None:
    sites = bundled_sites()
    assert len(sites.sites) == 1512
    assert sites.rejected == []
    assert sites.date == BUNDLED_DATE == "2019-06-13"
    assert "CGET" in (sites.attribution or "")
    first = sites.sites[0]
    assert (first.id, first.nom, first.lon, first.lat) == ("1", "ADE Coworking", -1.505602, 47.245935)


def test_real_geojson_and_csv_agree(real_data: Path) -> None:
    folder = real_data / "tiers-lieux"
    from_csv = read_sites(folder / "cget_tiers_lieux_2019_nouvelle_aquitaine.csv")
    from_geojson = read_sites(folder / "cget_tiers_lieux_2019_nouvelle_aquitaine.geojson")
    assert len(from_csv.sites) == len(from_geojson.sites) == 225
    assert [(s.id, s.lon, s.lat) for s in from_csv.sites] == [
        (s.id, s.lon, s.lat) for s in from_geojson.sites
    ]
    assert from_geojson.sites[0].nom == "Weecolab"


def test_semicolon_decimal_comma_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "ressourceries.csv"
    path.write_bytes(
        "Identifiant;Dénomination;Latitude;Longitude\n"
        "R1;Ressourcerie de Guéret;46,1714;1,8714\n"
        "R2;Recyclerie sans adresse;;\n"
        "R3;Lambert;6520000;540000\n".encode("cp1252")
    )
    sites = read_sites(path)
    assert [(s.id, s.nom, s.lon, s.lat) for s in sites.sites] == [
        ("R1", "Ressourcerie de Guéret", 1.8714, 46.1714)
    ]
    causes = {r.record: r.cause for r in sites.rejected}
    assert causes[3] == "coordonnées manquantes"
    assert "Lambert 93" in causes[4]
    assert sites.rejected[0].nom == "Recyclerie sans adresse"


def test_geo_point_2d_column(tmp_path: Path) -> None:
    path = tmp_path / "france_services.csv"
    path.write_text('nom,geo_point_2d\n"France services Ussel","45.5481, 2.3097"\n', encoding="utf-8")
    (site,) = read_sites(path).sites
    assert (site.lon, site.lat) == (2.3097, 45.5481)


def test_geojson_bad_features_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "sites.geojson"
    features = [
        {
            "type": "Feature",
            "properties": {"nom": "A"},
            "geometry": {"type": "Point", "coordinates": [0.34, 46.58]},
        },
        {"type": "Feature", "properties": {"nom": "B"}, "geometry": None},
        {
            "type": "Feature",
            "properties": {"nom": "C"},
            "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        },
        {
            "type": "Feature",
            "properties": {"nom": "D"},
            "geometry": {"type": "Point", "coordinates": [200, 46]},
        },
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    sites = read_sites(path)
    assert [s.nom for s in sites.sites] == ["A"]
    assert [(r.record, r.nom) for r in sites.rejected] == [(2, "B"), (3, "C"), (4, "D")]
    assert sites.rejected[1].cause == "géométrie LineString : un point est attendu"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("sites.csv", "nom,adresse\nA,1 rue X\n", "aucune colonne de coordonnées"),
        ("sites.csv", "nom,lat,lon\nA,,\n", "aucun site avec des coordonnées utilisables"),
        ("sites.csv", "", "fichier vide"),
        ("sites.xlsx", "x", "format non reconnu"),
        ("sites.geojson", "{not json", "JSON invalide"),
        ("sites.geojson", '{"type": "Feature"}', "FeatureCollection"),
        (
            "sites.geojson",
            '{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}}, "features": []}',
            "EPSG::2154",
        ),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputRefused, match=message) as info:
        read_sites(path)
    assert str(path) in info.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputRefused, match="introuvable"):
        read_sites(tmp_path / "absent.csv")
