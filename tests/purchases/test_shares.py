"""Shares on all spending, hand-computed (see the table in each test)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from leviers.ess.reference import ensure_reference
from leviers.purchases.shares import compute_shares
from leviers.purchases.store import GROUPS_SCHEMA, LocalStore
from leviers.warehouse import open_warehouse

BUYER = "224400028"  # Département de la Loire-Atlantique: département 44, région 52

# supplier SIREN → (legal category, INSEE ESS flag, category of enterprise); absent = not in SIRENE.
UNITS = {
    "100000001": ("9220", None, "PME"),  # association → ESS; ACI (insertion)
    "100000002": ("9220", None, "PME"),  # association → ESS; ESAT (disability)
    "100000003": ("9220", None, "PME"),
    "100000004": ("9220", None, "PME"),
    "100000005": ("5710", "N", "PME"),  # SAS, INSEE flag N → non ESS
    "100000006": ("5710", "N", "PME"),
    "100000007": ("5710", "N", "PME"),
    "100000008": ("5710", "N", "PME"),
    "100000009": ("5710", "N", "ETI"),
    "100000010": ("5710", "N", "GE"),
}
# supplier, name, postal code, amount TTC, service
LINES = [
    ("100000001", "Chantier Un", "44000", "1000,00", "Parcs"),
    ("100000001", "Chantier Un", "44000", "500,00", "Parcs"),
    ("100000002", "ESAT Deux", "44100", "2000,00", "Parcs"),
    ("100000003", "Asso Trois", "85000", "300,00", "Culture"),
    ("100000004", "Asso Quatre", "75001", "200,00", "Culture"),
    ("100000005", "SAS Cinq", "44200", "5000,00", "Routes"),
    ("100000006", "SAS Six", "49000", "1000,00", "Routes"),
    ("100000007", "SAS Sept", "75002", "1000,00", "Routes"),
    ("100000008", "SAS Huit", "", "500,00", "Routes"),
    ("100000009", "SAS Neuf", "44300", "4000,00", "Routes"),
    ("100000010", "SA Dix", "69001", "10000,00", "Routes"),
    ("100000011", "Onze SARL", "44400", "800,00", "Routes"),  # not in SIRENE: unknown
    ("100000012", "Douze SARL", "", "700,00", "Routes"),  # not in SIRENE, no postal code
    ("", "Treize sans SIRET", "44000", "1000,00", "Routes"),  # no SIREN: unknown but local known
]


@pytest.fixture
def shares(tmp_path: Path):  # type: ignore[no-untyped-def]
    warehouse = tmp_path / "leviers.duckdb"
    con = open_warehouse(warehouse)
    ensure_reference(con)  # the readings of legal categories and list values (as a SIRENE load does)
    for siren, (cj, flag, category) in UNITS.items():
        con.execute(
            "INSERT INTO legal_units (siren, categorie_juridique, economie_sociale_solidaire, categorie_entreprise, "
            "first_ingestion_id, ingestion_id) VALUES (?, ?, ?, ?, 0, 0)",
            [siren, cj, flag, category],
        )
    con.execute(
        "INSERT INTO ess_list_entries VALUES ('siae', '100000001', NULL, 'ACI', 'Chantier Un', 0, 0), "
        "('siae', '100000002', NULL, 'ESAT', 'ESAT Deux', 0, 1), ('siae', '300000009', NULL, 'EI', 'Autre', 0, 2)"
    )
    con.close()
    file = tmp_path / "mandats.csv"
    file.write_text(
        "SIRET fournisseur;Fournisseur;Code postal fournisseur;Montant TTC;Date mandat;Service\n"
        + "".join(
            f"{siren + '00010' if siren else ''};{name};{cp};{amount};10/0{1 + i % 9}/2024;{service}\n"
            for i, (siren, name, cp, amount, service) in enumerate(LINES)
        ),
        encoding="utf-8",
    )
    with LocalStore.beside(warehouse) as store:
        assert store.ingest([file], acheteur=BUYER)[0].reports[0].loaded == 14
    con = open_warehouse(warehouse, read_only=True)
    with LocalStore.beside(warehouse, read_only=True) as store:
        result = compute_shares(con, store, BUYER, 2024)
    con.close()
    return result


def _part(result, critere: str, dimension: str = "ensemble", groupe: str = "Ensemble"):  # type: ignore[no-untyped-def]
    return next(
        p for p in result.parts if p.critere == critere and p.dimension == dimension and p.groupe == groupe
    )


def test_totals_and_basis(shares) -> None:  # type: ignore[no-untyped-def]
    assert (shares.lignes, shares.montant, shares.base_montant) == (14, 28000.0, "ttc")


def test_ess_unknown_apart(shares) -> None:  # type: ignore[no-untyped-def]
    ess = _part(shares, "ess")
    # ESS: 4 associations (1500 + 2000 + 300 + 200 = 4000 €); known: 10 suppliers in SIRENE
    # (25 500 €); unknown: Onze, Douze, Treize (2 500 €) — never counted as « non ESS ».
    assert (ess.fournisseurs_oui, ess.fournisseurs_connus, ess.fournisseurs_inconnus) == (4, 10, 3)
    assert (ess.montant_oui, ess.montant_connu, ess.montant_inconnu) == (4000.0, 25500.0, 2500.0)
    assert ess.part_nombre == pytest.approx(0.4)
    assert ess.part_montant == pytest.approx(4000 / 25500)
    # 10 known ≥ 10 and 10/13 ≥ 50 %; by amount 11 known lines, 25 500 of 28 000 €.
    assert (ess.suffisant_nombre, ess.suffisant_montant) == (True, True)


def test_insertion_disability_sme(shares) -> None:  # type: ignore[no-untyped-def]
    siae, ea, pme = _part(shares, "siae"), _part(shares, "ea_esat"), _part(shares, "pme")
    # The SIAE list is loaded: every supplier with a SIREN is known (12), Treize is unknown.
    assert (siae.fournisseurs_oui, siae.fournisseurs_connus, siae.montant_oui, siae.montant_connu) == (
        1,
        12,
        1500.0,
        27000.0,
    )
    assert (ea.fournisseurs_oui, ea.fournisseurs_connus, ea.montant_oui) == (1, 12, 2000.0)
    # PME: 8 of the 10 units with a category (ETI Neuf, GE Dix are not); 11 500 of 25 500 €.
    assert (pme.fournisseurs_oui, pme.fournisseurs_connus, pme.montant_oui, pme.montant_connu) == (
        8,
        10,
        11500.0,
        25500.0,
    )


def test_local_suppliers(shares) -> None:  # type: ignore[no-untyped-def]
    dep, reg = _part(shares, "local_departement"), _part(shares, "local_region")
    # Postal code known for 11 suppliers (Huit, Douze have none): 26 800 €.
    # Département 44: Un, Deux, Cinq, Neuf, Onze, Treize = 1500 + 2000 + 5000 + 4000 + 800 + 1000.
    assert (dep.fournisseurs_oui, dep.fournisseurs_connus, dep.montant_oui, dep.montant_connu) == (
        6,
        11,
        14300.0,
        26800.0,
    )
    # Région 52 (44, 49, 85): plus Trois (85) and Six (49).
    assert (reg.fournisseurs_oui, reg.montant_oui) == (8, 15600.0)


def test_small_group_is_not_quoted(shares) -> None:  # type: ignore[no-untyped-def]
    parcs = _part(shares, "ess", "entite", "Parcs")
    assert (parcs.fournisseurs_oui, parcs.fournisseurs_connus, parcs.part_nombre) == (2, 2, 1.0)
    # 2 known < 10: « échantillon insuffisant », by number and by amount.
    assert (parcs.suffisant_nombre, parcs.suffisant_montant) == (False, False)


def test_compared_with_decp(shares) -> None:  # type: ignore[no-untyped-def]
    assert shares.decp_marches is None
    assert shares.notes == ["aucun marché publié (DECP) pour cet acheteur et cette année"]


def test_decp_figures_of_the_same_buyer_and_year(tmp_path: Path, real_data: Path) -> None:
    from tests.web.conftest import build_warehouse

    # The real DECP extract: buyer 212600886 notified one contract of 146 796 € HT in 2024.
    warehouse = build_warehouse(
        tmp_path / "leviers.duckdb",
        [real_data / "decp" / "minef-decp-augmente" / "decp_augmente_2022_extrait.csv"],
    )
    file = tmp_path / "mandats.csv"
    file.write_text(
        "Fournisseur;SIRET fournisseur;Montant HT;Date mandat\nSAS Exemple;55210055400013;1 000,00;15/03/2024\n",
        encoding="utf-8",
    )
    with LocalStore.beside(warehouse) as store:
        store.ingest([file], acheteur="212600886")
    con = open_warehouse(warehouse, read_only=True)
    with LocalStore.beside(warehouse, read_only=True) as store:
        result = compute_shares(con, store, "212600886", 2024)
    con.close()
    assert (result.decp_marches, result.decp_montant, result.montant, result.base_montant) == (
        1,
        146796.0,
        1000.0,
        "ht",
    )
    ess = _part(result, "ess")
    # No SIRENE loaded: the DECP ESS share is unknown too, and not quoted.
    assert (ess.decp_part_nombre, ess.decp_suffisant_nombre) == (None, False)
    assert _part(result, "siae").decp_suffisant_nombre is None  # no DECP indicator: shown « — »


def test_a_supplier_counts_once_per_case_and_a_line_of_no_supplier_is_no_supplier(tmp_path: Path) -> None:
    """Hand-computed, for the département criterion (buyer in 44):

    | line | supplier | postal code | € | same département |
    |---|---|---|---|---|
    | 1 | Un (SIREN) | 44000 | 100 | yes |
    | 2 | Un | 75001 | 50 | no |
    | 3 | Un | — | 10 | unknown |
    | 4 | — (identifier « ABC », no name) | 44000 | 20 | yes |
    | 5 | Deux (name only) | — | 30 | unknown |

    Un is one supplier, « yes » (one line is), known and unknown (a line of each); line 4 has no
    supplier: its amount counts, it is no supplier. Yes 1, known 1, unknown 2 (Un, Deux); amounts
    yes 120, known 170, unknown 40; lines known with an amount 3; 2 suppliers, 5 lines."""
    warehouse = tmp_path / "leviers.duckdb"
    con = open_warehouse(warehouse)
    ensure_reference(con)
    con.close()
    file = tmp_path / "mandats.csv"
    file.write_text(
        "SIRET fournisseur;Fournisseur;Code postal fournisseur;Montant TTC;Date mandat\n"
        "10000000100010;Un;44000;100,00;10/01/2024\n"
        "10000000100010;Un;75001;50,00;11/01/2024\n"
        "10000000100010;Un;;10,00;12/01/2024\n"
        "ABC;;44000;20,00;13/01/2024\n"
        ";Deux;;30,00;14/01/2024\n",
        encoding="utf-8",
    )
    with LocalStore.beside(warehouse) as store:
        assert store.ingest([file], acheteur=BUYER)[0].reports[0].loaded == 5
    with (
        open_warehouse(warehouse, read_only=True) as con,
        LocalStore.beside(warehouse, read_only=True) as store,
    ):
        result = compute_shares(con, store, BUYER, 2024)
    dep = _part(result, "local_departement")
    assert (dep.lignes, dep.fournisseurs) == (5, 2)
    assert (dep.fournisseurs_oui, dep.fournisseurs_connus, dep.fournisseurs_inconnus) == (1, 1, 2)
    assert (dep.montant_oui, dep.montant_connu, dep.montant_inconnu, dep.lignes_connues) == (
        120.0,
        170.0,
        40.0,
        3,
    )


def test_the_store_sums_the_lines_per_supplier_place_and_group(tmp_path: Path) -> None:
    """What the shares read of the store (`line_groups`), by hand:

    | line | SIREN | name | postal code | HT | TTC | service |
    |---|---|---|---|---|---|---|
    | 1 | 100000001 | Un | 44000 | 100 | 120 | Parcs |
    | 2 | 100000001 | Un SAS | 44100 | 50 | — | Parcs |
    | 3 | 100000001 | Un | 75001 | 10 | 12 | Parcs |
    | 4 | — | Deux | 44000 | 20 | 24 | Routes |
    | 5 | — | Deux | 44000 | 30 | 36 | Routes |

    Lines 1 and 2: one supplier (its SIREN; the name, spelt two ways, is dropped), one département,
    one service: 2 lines, 150 € HT of 2 lines, 120 € TTC of 1. Line 3 elsewhere. Deux has no SIREN:
    known by its name, 2 lines, 50 € HT, 60 € TTC."""
    file = tmp_path / "mandats.csv"
    file.write_text(
        "SIRET fournisseur;Fournisseur;Code postal fournisseur;Montant HT;Montant TTC;Date mandat;Service\n"
        "10000000100010;Un;44000;100,00;120,00;10/01/2024;Parcs\n"
        "10000000100010;Un SAS;44100;50,00;;11/01/2024;Parcs\n"
        "10000000100010;Un;75001;10,00;12,00;12/01/2024;Parcs\n"
        ";Deux;44000;20,00;24,00;13/01/2024;Routes\n"
        ";Deux;44000;30,00;36,00;14/01/2024;Routes\n",
        encoding="utf-8",
    )
    with LocalStore(tmp_path / "leviers.prive.duckdb") as store:
        assert store.ingest([file], acheteur=BUYER)[0].reports[0].loaded == 5
        groups = store.line_groups(BUYER, 2024)
    assert groups.schema == GROUPS_SCHEMA
    rows = sorted((tuple(r.values()) for r in groups.to_pylist()), key=lambda r: (r[0] or "~", r[2] or ""))
    assert rows == [
        ("100000001", None, "44", None, "Parcs", 2, Decimal("150.00"), 2, Decimal("120.00"), 1),
        ("100000001", None, "75", None, "Parcs", 1, Decimal("10.00"), 1, Decimal("12.00"), 1),
        (None, "Deux", "44", None, "Routes", 2, Decimal("50.00"), 2, Decimal("60.00"), 2),
    ]
