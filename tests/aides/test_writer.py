"""Writing dispositif-aide files: valid (Frictionless) or nothing written, and read back unchanged."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from leviers.aides.regulation import shipped
from leviers.aides.writer import SchemaViolation, write
from tests.sirene.helpers import counts, ingest, query

EXAMPLES = "aides/schema-dispositif-aide"


def example(real_data: Path, name: str) -> dict[str, str]:
    with (real_data / EXAMPLES / name).open(encoding="utf-8", newline="") as handle:
        return next(csv.DictReader(handle))


def test_the_examples_written_back_are_the_same_scheme(real_data: Path, tmp_path: Path) -> None:
    base = example(real_data, "dispositif-aide__exemple.csv")
    path = tmp_path / "catalogue.csv"
    assert write([base], path) == 1
    # Same columns in the schema's order, same cells: the example itself (line ends aside).
    original = (real_data / EXAMPLES / "dispositif-aide__exemple.csv").read_text(encoding="utf-8")
    assert path.read_text(encoding="utf-8") == original.replace("\r\n", "\n").rstrip("\n") + "\n"
    complete = example(real_data, "exemple-complet.csv")
    write([complete], tmp_path / "complet.json")
    (written,) = json.loads((tmp_path / "complet.json").read_text(encoding="utf-8"))
    assert list(written)[:3] == ["id", "titre", "promesse"]  # the professionnels schema's order
    assert written["ciblage_naf"] == "A|B|C|55|56.1|74.10|10.11Z"
    assert written["eligibilite_effectif_maximal"] == "249"


def test_an_invalid_scheme_writes_nothing(real_data: Path, tmp_path: Path) -> None:
    bad = {**example(real_data, "dispositif-aide__exemple.csv"), "cibles": "entreprises"}
    path = tmp_path / "catalogue.csv"
    with pytest.raises(SchemaViolation) as refused:
        write([bad], path)
    message = str(refused.value)
    assert message.startswith("1 écart(s) au schéma dispositif-aide : rien n'est écrit.\n")
    assert "dispositif 1 (65d5b6c7-102c-4440-ac3b-768f708edc0a), champ cibles : constraint-error" in message
    assert list(tmp_path.iterdir()) == []


def test_the_shipped_regulation_round_trips_through_ingest(tmp_path: Path, db_path: Path) -> None:
    schemes = [s for regulation in shipped() for s in regulation.schemes]
    path = tmp_path / "reglements.csv"
    write([s.values for s in schemes], path)
    (report,) = ingest(db_path, path)
    assert counts(report) == (len(schemes), len(schemes), 0, 0)
    stored = dict(query(db_path, "SELECT id, titre FROM aides_dispositifs"))
    assert stored == {s.id: s.titre for s in schemes}
