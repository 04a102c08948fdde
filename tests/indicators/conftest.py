"""Small warehouses for the indicator tests: rows inserted directly into the warehouse tables.

The fixture `hand` holds the contracts whose expected figures are computed by hand in
test_engine.py (its docstring lists them). Buyers are real collectivités of the shipped reference
(Bordeaux) and a public body absent from it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from leviers.warehouse import open_warehouse

BORDEAUX = "21330063500017"  # commune de Bordeaux (SIREN 213300635), Gironde (33), Nouvelle-Aquitaine (75)
BORDEAUX_2 = "21330063500025"  # another establishment of the same legal unit
STATE = "13002526500013"  # a public body that is not a collectivité (SIREN 130025265)
S1, S2, S3 = "80000000100012", "80000000200012", "80000000300012"  # suppliers' SIRETs

CONTRACT_DEFAULTS: dict[str, Any] = {
    "schema_version": "2.0",
    "source_format": "test",
    "nature": "Marché",
    "procedure": "Procédure adaptée",
    "synthetic": False,
    "first_ingestion_id": 0,
}
SOCIAL = {
    "Clause sociale": "social_clause",
    "Critère social": "social_criterion",
    "Marché réservé": "social_reserved",
}
ENVIRONMENTAL = {"Clause environnementale": "env_clause", "Critère environnemental": "env_criterion"}


def _considerations(prefix: str, values: list[str] | None, kinds: dict[str, str], v2: bool) -> dict[str, Any]:
    """The warehouse's derived flags for a published list (None = field absent), as ingestion sets them."""
    has = f"has_{'social' if prefix == 'social' else 'environmental'}"
    unknown = f"{prefix}_unknown"
    out: dict[str, Any] = {has: None, unknown: None, **dict.fromkeys(kinds.values())}
    if not v2:
        out[unknown] = "format 2019"
    elif values is None:
        out[unknown] = "absent"
    elif values in (["NC"], ["MQ"]):
        out[unknown] = values[0]
    else:
        out[has] = any(v in kinds for v in values)
        out.update({column: label in values for label, column in kinds.items()})
    return out


def add_contract(
    con: duckdb.DuckDBPyConnection,
    buyer: str,
    ident: str,
    notified: str,
    montant: float | None,
    cpv: str,
    *,
    social: list[str] | None = None,
    environmental: list[str] | None = None,
    suppliers: tuple[str, ...] = (),
    **fields: Any,
) -> None:
    row = {**CONTRACT_DEFAULTS, **fields}
    v2 = row["schema_version"] == "2.0"
    row.update(
        contract_key=f"{buyer}|{ident}",
        acheteur_id=buyer,
        acheteur_siren=buyer[:9],
        id=ident,
        date_notification=datetime.date.fromisoformat(notified),
        montant=montant,
        current_montant=row.get("current_montant", montant),
        cpv=cpv,
        considerations_sociales=social if v2 else None,
        considerations_environnementales=environmental if v2 else None,
        **_considerations("social", social, SOCIAL, v2),
        **_considerations("env", environmental, ENVIRONMENTAL, v2),
    )
    columns = ", ".join(row)
    con.execute(
        f"INSERT INTO contracts ({columns}) VALUES ({', '.join('?' for _ in row)})", list(row.values())
    )
    for position, supplier in enumerate(suppliers, start=1):
        siret = supplier.isdigit() and len(supplier) == 14
        con.execute(
            "INSERT INTO contract_suppliers (contract_key, modification_id, position, titulaire_id, "
            "titulaire_type_identifiant, titulaire_siren) VALUES (?, 0, ?, ?, ?, ?)",
            [
                row["contract_key"],
                position,
                supplier,
                "SIRET" if siret else "TVA",
                supplier[:9] if siret else None,
            ],
        )


def add_concession(
    con: duckdb.DuckDBPyConnection,
    authority: str,
    ident: str,
    signed: str,
    value: float | None,
    **fields: Any,
) -> None:
    row = {
        "schema_version": "2.0",
        "source_format": "test",
        "nature": "Délégation de service public",
        "synthetic": False,
        "first_ingestion_id": 0,
        **fields,
    }
    row.update(
        concession_key=f"{authority}|{ident}",
        autorite_concedante_id=authority,
        autorite_concedante_siren=authority[:9],
        id=ident,
        date_signature=datetime.date.fromisoformat(signed),
        valeur_globale=value,
        current_valeur_globale=row.get("current_valeur_globale", value),
    )
    con.execute(
        f"INSERT INTO concessions ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
        list(row.values()),
    )


def add_subsidy(
    con: duckdb.DuckDBPyConnection,
    key: str,
    grantor: str,
    year: int,
    amount: float | None,
    *,
    beneficiary: str | None = None,
    rna: str | None = None,
) -> None:
    """One subsidy attribution line of `grantor` (a SIRET) to a beneficiary SIRET and/or RNA number."""
    con.execute(
        "INSERT INTO subsidies BY NAME SELECT ? AS subsidy_key, ? AS id_attribuant, ? AS attribuant_siren, "
        "? AS annee, ? AS montant, ? AS montant_beneficiaire, 1.0 AS pourcentage_subvention, "
        "? AS id_beneficiaire, ? AS beneficiaire_siren, ? AS rna_beneficiaire, "
        "'2.1.1' AS schema_version, true AS schema_conform, 'test' AS source_format, 0 AS first_ingestion_id",
        [
            f"{grantor[:9]}|{key}",
            grantor,
            grantor[:9],
            year,
            amount,
            amount,
            beneficiary,
            beneficiary[:9] if beneficiary else None,
            rna,
        ],
    )


def add_sirene(con: duckdb.DuckDBPyConnection, units: dict[str, tuple[str | None, str | None]]) -> None:
    """SIRENE legal units of suppliers: SIREN → (categorie_entreprise, INSEE ESS flag O / N / None).
    The warehouse's ess_status view reads the flag (no legal category given: it decides alone)."""
    for siren, (category, ess) in units.items():
        con.execute(
            "INSERT INTO legal_units BY NAME SELECT ? AS siren, ? AS denomination, ? AS categorie_entreprise, "
            "? AS economie_sociale_solidaire, 0 AS first_ingestion_id, 0 AS ingestion_id",
            [siren, f"Entreprise {siren}", category, ess],
        )


def build_hand(con: duckdb.DuckDBPyConnection) -> None:
    """The hand-computed fixture (see test_engine.py for every expected figure)."""
    pas_soc, pas_env = ["Pas de considération sociale"], ["Pas de considération environnementale"]
    add_contract(
        con, BORDEAUX, "C1", "2024-03-01", 100_000, "45000000",
        social=["Clause sociale"], environmental=["Clause environnementale", "Critère environnemental"],
        marche_innovant=False, offres_recues=3, attribution_avance=True, sous_traitance_declaree=False,
        current_montant=120_000, modification_count=1, suppliers=(S1,),
    )  # fmt: skip
    add_contract(
        con, BORDEAUX, "C2", "2024-04-01", 200_000, "30000000",
        procedure="Appel d'offres ouvert", social=["Critère social", "Marché réservé"], environmental=pas_env,
        marche_innovant=True, offres_recues=1, attribution_avance=False, sous_traitance_declaree=True,
        suppliers=(S1, S2, S3),
    )  # fmt: skip
    add_contract(
        con, BORDEAUX, "C3", "2024-05-01", 300_000, "71000000",
        procedure="Marché passé sans publicité ni mise en concurrence préalable", social=pas_soc,
        environmental=["NC"], offres_recues=1, suppliers=(S2,),
    )  # fmt: skip
    add_contract(
        con, STATE, "C4", "2024-06-01", 400_000, "45000000",
        social=["MQ"], environmental=["Clause environnementale"], marche_innovant=False,
        attribution_avance=False, sous_traitance_declaree=False, suppliers=("FR12345678901",),
    )  # fmt: skip
    add_contract(
        con, STATE, "C5", "2024-07-01", None, "50000000",
        procedure="Appel d'offres ouvert", social=["Clause sociale"], environmental=None,
        marche_innovant=False, offres_recues=2, attribution_avance=True, sous_traitance_declaree=False,
        suppliers=(S2,),
    )  # fmt: skip
    add_contract(
        con, BORDEAUX_2, "C6", "2025-02-01", 500_000, "72000000",
        social=pas_soc, environmental=["Critère environnemental"], offres_recues=4, suppliers=(S1,),
    )  # fmt: skip
    add_contract(
        con, BORDEAUX, "C7", "2023-09-01", 600_000, "45000000", schema_version="1.5", suppliers=(S1,),
    )  # fmt: skip
    add_contract(
        con, STATE, "C8", "2026-09-01", 6_000_000, "45000000",
        social=pas_soc, environmental=["Clause environnementale"], suppliers=(S2,),
    )  # fmt: skip
    add_contract(
        con, STATE, "C9", "2026-09-15", 100_000, "30000000",
        social=["Clause sociale"], environmental=pas_env, suppliers=(S2,),
    )  # fmt: skip
    add_contract(
        con, BORDEAUX, "C10", "2026-08-20", 1_000_000, "30000000",
        social=pas_soc, environmental=pas_env, suppliers=(S1,),
    )  # fmt: skip
    # A placeholder amount: aberrant, set aside.
    add_contract(
        con, BORDEAUX, "C11", "2022-05-01", 99_999_999, "30000000",
        social=pas_soc, environmental=pas_env, suppliers=(S1,),
    )  # fmt: skip
    add_concession(con, BORDEAUX, "K1", "2024-02-01", 1_000_000, has_social=True, social_reserved=True)
    add_concession(con, STATE, "K2", "2024-03-01", 2_000_000, has_social=False, social_reserved=False)
    add_concession(
        con, BORDEAUX, "K3", "2019-03-01", None, schema_version="1.5", social_unknown="format 2019"
    )
    add_subsidy(con, "V1", BORDEAUX, 2024, 10_000, beneficiary=S1)
    add_subsidy(con, "V2", BORDEAUX, 2024, 20_000, beneficiary=S3)
    add_subsidy(con, "V3", BORDEAUX, 2024, 5_000, rna="W332000001")  # an association: ESS by law
    add_subsidy(con, "V4", BORDEAUX, 2024, 40_000, beneficiary=S2)
    add_subsidy(con, "V5", BORDEAUX, 2024, 1_000, beneficiary="99999999900011")  # absent from SIRENE
    add_subsidy(con, "V6", BORDEAUX, 2024, 999_999_999, beneficiary=S1)  # placeholder: set aside
    add_subsidy(con, "V7", BORDEAUX, 2025, 0, beneficiary=S3)  # nothing granted: set aside
    add_subsidy(con, "V8", STATE, 2024, 3_000, beneficiary=S1)


@pytest.fixture
def warehouse(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An empty warehouse (schema and shipped reference loaded)."""
    con = open_warehouse(db_path)
    try:
        yield con
    finally:
        con.close()


def _sirene(con: duckdb.DuckDBPyConnection) -> None:
    # S1: PME, ESS (flag O); S2: GE, ESS unknown (no flag); S3: category unknown, non ESS (flag N).
    add_sirene(con, {S1[:9]: ("PME", "O"), S2[:9]: ("GE", None), S3[:9]: (None, "N")})


@pytest.fixture(scope="session")
def hand_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The hand fixture built once per session, without and with SIRENE/ESS tables."""
    folder = tmp_path_factory.mktemp("hand")
    paths = {"plain": folder / "hand.duckdb", "sirene": folder / "hand_sirene.duckdb"}
    for name, path in paths.items():
        con = open_warehouse(path)
        build_hand(con)
        if name == "sirene":
            _sirene(con)
        con.close()
    return paths


@pytest.fixture
def hand(hand_paths: dict[str, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    """The hand-computed fixture, without SIRENE or ESS tables (read-only)."""
    con = open_warehouse(hand_paths["plain"], read_only=True)
    yield con
    con.close()


@pytest.fixture
def hand_sirene(hand_paths: dict[str, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    """The hand fixture with SIRENE categories and ESS statuses of the suppliers (read-only)."""
    con = open_warehouse(hand_paths["sirene"], read_only=True)
    yield con
    con.close()
