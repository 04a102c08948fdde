"""ESS flows on real files: the Loire-Atlantique subsidies to associations (2008-2018) and the real
SIAE list (its excerpt in tests/fixtures keeps every SIAE among these beneficiaries, so the figures are
those of the whole list). Expected figures are recomputed here from the raw CSV and JSON."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from leviers.flows import ess_flows
from leviers.warehouse import open_warehouse
from tests.sirene.helpers import ingest

SUBSIDIES = "subventions/pays-de-la-loire-2019/224400028_subventions-aux-associations-du-departement-de-loire-atlantique.csv"
SIAE = "ess/lemarche/01_siaes_extrait.json"  # every SIAE among these beneficiaries (tests/fixtures)
GRANTOR = "224400028"


@pytest.mark.slow
def test_subsidies_to_listed_siae(real_data: Path, db_path: Path) -> None:
    siae = {
        item["fields"]["siret"][:9] for item in json.loads((real_data / SIAE).read_text(encoding="utf-8"))
    }
    lines, total, ess, ess_lines, unknown_amounts = Counter(), Counter(), Counter(), Counter(), Counter()
    set_aside: Counter[int] = Counter()
    with (real_data / SUBSIDIES).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            beneficiary = row["Identification du bénéficiaire"].strip()
            if not beneficiary and not row["Nom du bénéficiaire"].strip():
                continue  # a line without beneficiary (the file's total line) is no attribution
            year = int(row["Date de la convention de subvention"][:4])
            lines[year] += 1
            listed = beneficiary[:9] in siae
            ess_lines[year] += listed
            if not row["Montant total de la subvention"]:
                unknown_amounts[year] += 1
                continue
            amount = float(row["Montant total de la subvention"]) * float(
                row["Pourcentage du montant total de la subvention attribuée au bénéficiaire"] or 1
            )
            if amount <= 1:  # a nil or 1 € line is set aside (60_amounts.sql: remplissage_bas)
                set_aside[year] += 1
                continue
            total[year] += amount
            ess[year] += amount if listed else 0
    ingest(db_path, real_data / SUBSIDIES, real_data / SIAE)
    con = open_warehouse(db_path, read_only=True)
    try:
        report = ess_flows(con, siren=GRANTOR)
    finally:
        con.close()
    assert sorted(f.annee for f in report.flows) == sorted(lines) == list(range(2008, 2019))
    for flow in report.flows:
        s = flow.subventions
        assert s is not None
        year = flow.annee
        assert (s.nombre, s.ess, s.montant_inconnu_nombre, s.montants_ecartes) == (
            lines[year],
            ess_lines[year],
            unknown_amounts[year],
            set_aside[year],
        )
        assert s.montant == pytest.approx(total[year], abs=0.01)
        assert s.ess_montant == pytest.approx(ess[year], abs=0.01)
        # Without SIRENE, every beneficiary outside the list is unknown, never « non ESS »: known = ESS.
        assert s.connu_montant == pytest.approx(ess[year], abs=0.01)
        assert s.inconnu_montant == pytest.approx(total[year] - ess[year], abs=0.01)
        # A tiny known part is not a figure to quote.
        assert not s.suffisant_montant
        assert flow.marches is None
        assert flow.argent is None
        assert flow.nom == "Département de la Loire-Atlantique"
    assert report.flows[0].canaux == ["subventions"]
