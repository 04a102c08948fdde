"""ESS flows on a hand-built warehouse; every expected figure is computed by hand in the comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from leviers.flows import EssFlow, beneficiaries, ess_flows, families, suppliers
from leviers.warehouse import open_warehouse
from tests.flows.helpers import add_contract, add_subsidy, ensure_subsidies_table
from tests.sirene.helpers import ingest, unit, write_stock

A = "217500016"  # Ville de Paris (in the shipped collectivités reference): buyer and grantor
B = "229800012"  # another buyer, absent from SIRENE
E1, E2, E3 = "200000001", "300000004", "200000009"  # ESS: association, SAS flagged O, association with RNA
S1 = "200000003"  # ESS: SCOP
N1 = "400000001"  # non ESS: SAS flagged N
U1 = "500000001"  # unknown: SAS without flag
ABSENT = "999999999"  # not in SIRENE nor in any list: unknown


@pytest.fixture
def flows_db(tmp_path: Path, db_path: Path) -> Path:
    stock = write_stock(
        tmp_path / "extrait.csv",
        [
            unit(A, "7210", "N", "COMMUNE DE TEST"),
            unit(E1, "9220", "O", "ASSO"),
            unit(E2, "5710", "O", "SAS ESS"),
            unit(E3, "9220", "O", "ASSO RNA", identifiantAssociationUniteLegale="W691000001"),
            unit(S1, "5458", "O", "SCOP"),
            unit(N1, "5710", "N", "SAS"),
            unit(U1, "5710", "", "SAS SANS INDICATEUR"),
        ],
    )
    ingest(db_path, stock, tout=True)
    con = open_warehouse(db_path)
    try:
        add_contract(con, "c1", acheteur=A, date="2023-02-01", montant=100_000, titulaires=[E1])
        add_contract(con, "c2", acheteur=A, date="2023-03-01", montant=90_000, titulaires=[E2, N1, U1])
        add_contract(con, "c3", acheteur=A, date="2023-04-01", montant=50_000, titulaires=[N1])
        add_contract(con, "c4", acheteur=A, date="2023-05-01", montant=None, titulaires=[E1])
        add_contract(con, "c5", acheteur=A, date="2023-06-01", montant=60_000, titulaires=[None])
        add_contract(con, "c6", acheteur=A, date="2023-07-01", montant=40_000, titulaires=[])
        add_contract(con, "c7", acheteur=A, date="2024-01-15", montant=80_000, titulaires=[S1])
        add_contract(con, "c8", acheteur=A, date=None, montant=1_000_000, titulaires=[E1])
        add_contract(
            con, "c9", acheteur=B, date="2023-09-01", montant=10_000, titulaires=[E1], synthetic=True
        )
        ensure_subsidies_table(con)
        add_subsidy(con, "s1", attribuant=A, beneficiaire=E1, annee=2023, montant=20_000)
        add_subsidy(con, "s2", attribuant=A, beneficiaire=N1, annee=2023, montant=5_000)
        add_subsidy(con, "s3", attribuant=A, beneficiaire=None, rna="W751234567", annee=2023, montant=7_000)
        add_subsidy(con, "s4", attribuant=A, beneficiaire=ABSENT, annee=2023, montant=3_000)
        add_subsidy(con, "s5", attribuant=A, beneficiaire=E1, annee=2023, montant=None)
        add_subsidy(con, "s6", attribuant=A, beneficiaire=None, rna="W691000001", annee=2023, montant=4_000)
    finally:
        con.close()
    return db_path


def flows(db: Path, **kwargs: object) -> list[EssFlow]:
    con = open_warehouse(db, read_only=True)
    try:
        return ess_flows(con, **kwargs).flows  # type: ignore[arg-type]
    finally:
        con.close()


def test_procurement_channel(flows_db: Path) -> None:
    (a2023,) = [f for f in flows(flows_db) if (f.siren, f.annee) == (A, 2023)]
    m = a2023.marches
    assert m is not None
    # c1..c6 (c8 has no notification date); c4's amount is unknown.
    assert (m.nombre, m.montant_inconnu_nombre, m.montants_ecartes) == (6, 1, 0)
    assert m.montant == 340_000  # 100 000 + 90 000 + 50 000 + 60 000 + 40 000
    # Contracts shared between their initial suppliers (indicator ess_suppliers): c1 E1 and c4 E1 ESS,
    # c2 a third ESS (E2) and a third non ESS (N1), c3 N1 non ESS; c2's U1, c5 (VAT id), c6 (none) unknown.
    assert m.ess == pytest.approx(1 + 1 / 3 + 1)
    assert m.connus == pytest.approx(1 + 2 / 3 + 1 + 1)
    assert m.inconnus == pytest.approx(6 - (1 + 2 / 3 + 1 + 1))
    assert m.ess_montant == 130_000  # c1 100 000 + a third of c2
    assert m.connu_montant == 210_000  # + a third of c2 (N1) + c3
    assert m.inconnu_montant == 130_000  # a third of c2 (U1) + c5 60 000 + c6 40 000
    assert m.part_ess_montant == pytest.approx(130_000 / 210_000)
    assert m.part_inconnue_montant == pytest.approx(130_000 / 340_000)
    assert m.part_ess == pytest.approx((7 / 3) / (11 / 3))
    assert not m.suffisant  # 3,7 contracts known: too few to quote


def test_subsidy_channel(flows_db: Path) -> None:
    (a2023,) = [f for f in flows(flows_db) if (f.siren, f.annee) == (A, 2023)]
    s = a2023.subventions
    assert s is not None
    assert (s.nombre, s.montant_inconnu_nombre) == (6, 1)
    assert s.montant == 39_000  # 20 000 + 5 000 + 7 000 + 3 000 + 4 000 (s5 unknown)
    # ESS: s1, s3 (RNA only: declared association), s5, s6 (RNA → E3); non ESS: s2; unknown: s4.
    assert (s.ess, s.connus, s.inconnus) == (4, 5, 1)
    assert (s.ess_montant, s.connu_montant, s.inconnu_montant) == (31_000, 36_000, 3_000)
    assert s.part_ess_montant == pytest.approx(31_000 / 36_000)


def test_families_add_up_to_the_indicators(flows_db: Path) -> None:
    con = open_warehouse(flows_db, read_only=True)
    try:
        found = {f.famille_ess: f for f in families(con, A, 2023)}
        top = beneficiaries(con, A, 2023, limit=3)
        sellers = suppliers(con, A, 2023)
    finally:
        con.close()
    assert list(found) == ["association", "autre_ess", "hors_ess", "inconnue"]  # display order
    association = found["association"]
    assert (association.subventions_lignes, association.subventions_montant) == (4, 31_000)
    assert (association.marches_parts, association.marches_montant) == (2, 100_000)  # c1, c4 (no amount)
    assert found["autre_ess"].marches_montant == pytest.approx(30_000)  # E2: SAS with the ESS quality
    assert found["hors_ess"].marches_montant == pytest.approx(80_000)
    assert found["inconnue"].marches_montant == pytest.approx(130_000)
    assert found["inconnue"].marches_parts == pytest.approx(7 / 3)
    assert (found["hors_ess"].subventions_montant, found["inconnue"].subventions_montant) == (5_000, 3_000)
    ess = [f for key, f in found.items() if key not in ("hors_ess", "inconnue")]
    assert sum(f.subventions_montant for f in ess) == 31_000  # = subsidies_ess amount_numerator
    assert sum(f.marches_montant for f in ess) == pytest.approx(130_000)  # = ess_suppliers'
    assert [(b["identifiant"], b["montant"], b["statut_ess"]) for b in top] == [
        (E1, 20_000, "ESS"),
        ("W751234567", 7_000, "ESS"),
        (N1, 5_000, "non ESS"),
    ]
    assert sellers[0]["identifiant"] == E1
    assert sellers[0]["montant"] == 100_000


def test_money_to_the_ess_combines_the_channels(flows_db: Path) -> None:
    result = flows(flows_db)
    assert [(f.siren, f.annee) for f in result] == [(A, 2023), (A, 2024), (B, 2023)]  # by total, descending
    a2023, a2024, b2023 = result
    money = a2023.argent
    assert money is not None
    assert a2023.canaux == ["subventions", "marchés"]
    assert money.ess_montant == 161_000  # 31 000 + 130 000
    assert money.connu_montant == 246_000  # 36 000 + 210 000
    assert money.inconnu_montant == 133_000  # 3 000 + 130 000
    assert money.part_ess_montant == pytest.approx(161_000 / 246_000)
    # No subsidy file for 2024: the channel is unknown, not zero, and so is the sum.
    assert a2024.subventions is None
    assert a2024.argent is None
    assert a2024.canaux == ["marchés"]
    assert a2024.marches is not None
    assert (a2024.marches.montant, a2024.marches.ess_montant) == (80_000, 80_000)
    assert a2024.to_json()["argent_ess"] is None
    # Names: the collectivités reference first, then SIRENE, then the name the buyer published.
    assert a2023.nom == "Ville de Paris"
    assert b2023.nom == f"ACHETEUR {B}"
    assert (a2023.synthetic, b2023.synthetic) == (False, True)


def test_filters(flows_db: Path) -> None:
    assert [(f.siren, f.annee) for f in flows(flows_db, siren=B)] == [(B, 2023)]
    assert [(f.siren, f.annee) for f in flows(flows_db, annee=2024)] == [(A, 2024)]
    assert flows(flows_db, siren=B, annee=2024) == []


def test_without_subsidies_table(tmp_path: Path, db_path: Path) -> None:
    con = open_warehouse(db_path)
    try:
        add_contract(con, "c1", acheteur=A, date="2023-02-01", montant=100_000, titulaires=[ABSENT])
        has_table = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'subsidies'"
        ).fetchall()
        report = ess_flows(con)
    finally:
        con.close()
    (flow,) = report.flows
    assert flow.marches is not None
    assert flow.marches.inconnu_montant == 100_000
    assert flow.subventions is None
    assert report.sources["subventions"] is False
    assert report.sources["marches"] is True
    assert has_table in ([(0,)], [(1,)])
    payload = report.to_json()
    assert set(payload) == {"flux", "sources", "definitions", "regle_de_base", "avertissements"}
    assert "40 000 € HT" in " ".join(payload["avertissements"])
