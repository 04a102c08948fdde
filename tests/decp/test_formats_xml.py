"""XML formats: the official example, and a format 2019 XML written from the real PES JSON."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree

from tests.decp.helpers import load, query


def test_official_2024_xml(real_data: Path, db_path: Path) -> None:
    (report,) = load(db_path, real_data / "decp/schemas/exemples-officiels-fictifs/Marche_v2.xml")
    assert report.format == "decp-xml-2024"
    # Two <marche> elements publish the same contract (same buyer, id, date, amount, CPV).
    assert (report.records, report.loaded, report.quarantined, report.duplicates) == (2, 1, 0, 1)
    assert query(
        db_path,
        "SELECT marche_innovant, attribution_avance, sous_traitance_declaree, has_social, has_environmental, "
        "montant, cpv FROM contracts",
    ) == [(True, True, True, True, True, 575000.0, "45000000")]
    assert query(db_path, "SELECT count(*) FROM subcontracting_acts") == [(1,)]


def _to_xml_2019(records: list[dict[str, object]]) -> bytes:
    """The format 2019 XML of records (as marches.xsd 1.5 lays them out)."""
    root = etree.Element("marches")

    def add(parent: etree._Element, key: str, value: object) -> None:
        if key in ("_type", "source", "uid"):
            return
        if isinstance(value, list):
            container = etree.SubElement(parent, key)
            child = {"titulaires": "titulaire", "modifications": "modification"}[key]
            for item in value:
                element = etree.SubElement(container, child)
                for k, v in item.items():  # type: ignore[attr-defined]
                    add(element, k, v)
        elif isinstance(value, dict):
            element = etree.SubElement(parent, key)
            for k, v in value.items():
                add(element, k, v)
        else:
            etree.SubElement(parent, key).text = str(value)

    for record in records:
        element = etree.SubElement(root, "marche")
        for key, value in record.items():
            add(element, key, value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_2019_xml_matches_2019_json(real_data: Path, tmp_path: Path) -> None:
    source = real_data / "decp/format-2019/data.gouv.fr_pes_2019-04-05.json"
    records = json.loads(source.read_text(encoding="utf-8"))["marches"]
    xml_path = tmp_path / "pes.xml"
    xml_path.write_bytes(_to_xml_2019(records))
    (xml_report,) = load(tmp_path / "xml.duckdb", xml_path)
    (json_report,) = load(tmp_path / "json.duckdb", source)
    assert xml_report.format == "decp-xml-2019"
    assert (xml_report.records, xml_report.loaded, xml_report.duplicates) == (
        json_report.records,
        json_report.loaded,
        json_report.duplicates,
    )
    columns = "contract_key, montant, current_montant, cpv, date_notification, procedure, nature, lieu_code"
    assert query(tmp_path / "xml.duckdb", f"SELECT {columns} FROM contracts ORDER BY 1") == query(
        tmp_path / "json.duckdb", f"SELECT {columns} FROM contracts ORDER BY 1"
    )
