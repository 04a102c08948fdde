"""`leviers ingest` of dispositif-aide files (CSV, JSON): the schema's real examples, then broken and
repeated schemes written by hand from them. Counts reconcile: read = loaded + quarantined + duplicates."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from leviers.errors import InputRefused
from tests.sirene.helpers import counts, ingest, query

EXAMPLES = "aides/schema-dispositif-aide"
EXAMPLE_ID = "65d5b6c7-102c-4440-ac3b-768f708edc0a"
OTHER_ID = "0b6f1f9e-3c35-4d55-9b6a-2f1d2c3e4f50"


def rows(real_data: Path, name: str = "dispositif-aide__exemple.csv") -> list[dict[str, str]]:
    with (real_data / EXAMPLES / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, records: list[dict[str, str]], delimiter: str = ",") -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(records[0]), delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_the_schemas_examples_load(real_data: Path, db_path: Path) -> None:
    reports = ingest(
        db_path,
        real_data / EXAMPLES / "dispositif-aide__exemple.csv",
        real_data / EXAMPLES / "exemple-complet.csv",
    )
    # The complete example is the same scheme (same id, same date): a duplicate.
    assert [(r.format, counts(r)) for r in reports] == [
        ("dispositif-aide-csv", (1, 1, 0, 0)),
        ("dispositif-aide-csv", (1, 0, 0, 1)),
    ]
    (row,) = query(
        db_path,
        "SELECT id, titre, cibles, eligibilite_geographique, eligibilite_geographique_exclusions, "
        "strftime(date_mise_a_jour AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M'), origine, source, licence "
        "FROM aides_dispositifs",
    )
    assert row == (
        EXAMPLE_ID,
        "Accélérateur décarbonation",
        "professionnels|associations",
        "PAYS-99100",
        "REG-84|DEP-01|COM-83141",
        "2025-10-15 15:00",
        "dispositif-aide",
        str(real_data / EXAMPLES / "dispositif-aide__exemple.csv"),
        None,  # the file states no licence: unknown, not invented
    )


def test_the_professionnels_fields_are_kept(real_data: Path, db_path: Path) -> None:
    (report,) = ingest(db_path, real_data / EXAMPLES / "exemple-complet.csv")
    assert counts(report) == (1, 1, 0, 0)
    (fields,) = query(db_path, "SELECT champs_professionnels FROM aides_dispositifs")
    pro = json.loads(fields[0])
    assert pro["eligibilite_effectif_maximal"] == "249"
    assert pro["ciblage_naf"] == "A|B|C|55|56.1|74.10|10.11Z"
    assert pro["eligibilite_categorie_taille_entreprise"] == "MIC|PME|ETI|GE"


def test_bad_schemes_go_to_quarantine_with_their_reason(
    real_data: Path, db_path: Path, tmp_path: Path
) -> None:
    good = rows(real_data)[0]
    records = [
        good,
        {**good, "id": OTHER_ID, "cibles": "entreprises"},
        {**good, "id": "pas-un-uuid", "titre": ""},
        {**good, "description": "Autre texte"},  # the first scheme's id, another content
        good,  # repeated as is: a duplicate
    ]
    path = write_csv(tmp_path / "catalogue.csv", records, delimiter=";")
    (report,) = ingest(db_path, path)
    assert (report.format, counts(report)) == ("dispositif-aide-csv", (5, 1, 3, 1))
    assert query(db_path, "SELECT record_index, record_id, field FROM quarantine ORDER BY 1, 3") == [
        (1, OTHER_ID, "cibles"),
        (2, "pas-un-uuid", "id"),
        (2, "pas-un-uuid", "titre"),
        (3, EXAMPLE_ID, "id"),
    ]
    (reason,) = query(db_path, "SELECT reason FROM quarantine WHERE record_index = 3")[0]
    assert reason == (
        f"identifiant « {EXAMPLE_ID} » déjà utilisé par l'enregistrement 1 du fichier pour un autre contenu "
        "(le schéma veut des identifiants uniques)"
    )


def test_a_later_version_replaces_the_scheme_and_the_same_file_changes_nothing(
    real_data: Path, db_path: Path, tmp_path: Path
) -> None:
    first = real_data / EXAMPLES / "dispositif-aide__exemple.csv"
    later = {
        **rows(real_data)[0],
        "titre": "Accélérateur décarbonation 2026",
        "date_mise_a_jour": "2026-01-05T09:00:00Z",
    }
    older = {**rows(real_data)[0], "titre": "Ancien titre", "date_mise_a_jour": "2024-01-01T00:00:00Z"}
    reports = ingest(
        db_path,
        first,
        write_csv(tmp_path / "v2.csv", [later]),
        write_csv(tmp_path / "v0.csv", [older]),
        first,
    )
    assert [(counts(r), r.status) for r in reports] == [
        ((1, 1, 0, 0), "charge"),
        ((1, 1, 0, 0), "charge"),
        ((1, 0, 0, 1), "charge"),
        ((1, 0, 0, 1), "deja_charge"),
    ]
    assert query(db_path, "SELECT titre FROM aides_dispositifs") == [("Accélérateur décarbonation 2026",)]


def test_json_arrays_objects_and_inline_rows(real_data: Path, db_path: Path, tmp_path: Path) -> None:
    good = rows(real_data)[0]
    as_objects = tmp_path / "dispositifs.json"
    as_objects.write_text(
        json.dumps({"dispositifs": [{**good, "cibles": ["associations", "professionnels"]}, "texte"]}),
        encoding="utf-8",
    )
    inline = tmp_path / "inline.json"
    other = {**good, "id": OTHER_ID}
    inline.write_text(json.dumps([list(other), list(other.values())]), encoding="utf-8")
    reports = ingest(db_path, as_objects, inline)
    assert [(r.format, counts(r)) for r in reports] == [
        ("dispositif-aide-json", (2, 1, 1, 0)),
        ("dispositif-aide-json", (1, 1, 0, 0)),
    ]
    assert query(db_path, "SELECT cibles FROM aides_dispositifs ORDER BY id") == [
        ("professionnels|associations",),  # the inline row, as written
        ("associations|professionnels",),  # the JSON list joined with pipes
    ]
    assert query(db_path, "SELECT reason FROM quarantine") == [("élément qui n'est pas un objet JSON",)]


def test_a_row_with_missing_cells_is_quarantined(real_data: Path, db_path: Path, tmp_path: Path) -> None:
    text = (real_data / EXAMPLES / "dispositif-aide__exemple.csv").read_text(encoding="utf-8")
    path = tmp_path / "coupe.csv"
    path.write_text(text + f"{OTHER_ID},Titre seul\n", encoding="utf-8")
    (report,) = ingest(db_path, path)
    assert counts(report) == (2, 1, 1, 0)
    (reason,) = query(db_path, "SELECT reason FROM quarantine")[0]
    # The example's scheme takes lines 2 to 7 (its eligibility holds five line breaks).
    assert reason == "ligne 8 : 2 cellules pour 15 colonnes d'en-tête"


def test_a_json_that_is_not_a_list_is_refused_with_its_name(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "faux.json"
    path.write_text(
        json.dumps(
            {"id": EXAMPLE_ID, "titre": "x", "cibles": "associations", "eligibilite_geographique": "REG-75"}
        )
    )
    with pytest.raises(InputRefused) as refused:
        ingest(db_path, path)
    assert str(refused.value) == (
        f"{path} : fichier refusé — tableau de dispositifs attendu (ou un objet avec « dispositifs », « data »)"
    )
