"""Which SIRENs a default SIRENE load keeps: suppliers, buyers, sub-contractors, subsidies, units."""

from __future__ import annotations

from pathlib import Path

from leviers.sirene.scope import scope_sql
from leviers.warehouse import open_warehouse
from tests.flows.helpers import add_subsidy, ensure_subsidies_table


def test_scope_collects_every_siren_the_warehouse_names(db_path: Path) -> None:
    con = open_warehouse(db_path)
    try:
        con.execute(
            "INSERT INTO contracts (contract_key, acheteur_id, acheteur_siren, id, schema_version, source_format, "
            "first_ingestion_id) VALUES ('k', '21740056300011', '217400563', '1', '1.5', 't', 0)"
        )
        con.execute(
            "INSERT INTO contract_suppliers VALUES ('k', 0, 1, '41219765800016', 'SIRET', '412197658', NULL), "
            "('k', 0, 2, 'FR12345678901', 'TVA', NULL, NULL)"
        )
        con.execute(
            "INSERT INTO subcontracting_acts (contract_key, acte_id, sous_traitant_id, sous_traitant_type_identifiant) "
            "VALUES ('k', 'a1', '52000000100015', 'SIRET'), ('k', 'a2', 'DE123456789', 'TVA')"
        )
        con.execute(
            "INSERT INTO concessions (concession_key, autorite_concedante_id, autorite_concedante_siren, id, "
            "schema_version, source_format, first_ingestion_id) VALUES ('c', '20004697700019', '200046977', 'c1', '2.0', 't', 0)"
        )
        con.execute(
            "INSERT INTO concession_holders VALUES ('c', 1, '33333333300012', 'SIRET', '333333333', NULL)"
        )
        con.execute(
            "INSERT INTO legal_units (siren, first_ingestion_id, ingestion_id) VALUES ('444444444', 0, 0)"
        )
        con.execute(
            "INSERT INTO ess_list_entries VALUES ('siae', '555555555', NULL, 'ACI', 'LISTE SEULE', 0, 0)"
        )
        ensure_subsidies_table(con)
        add_subsidy(con, "s1", attribuant="229800012", beneficiaire="666666666", annee=2023, montant=1000.0)
        add_subsidy(con, "s2", attribuant="229800012", beneficiaire=None, annee=2023, montant=1000.0)
        found = {r[0] for r in con.execute(scope_sql(con)).fetchall()}
    finally:
        con.close()
    assert found == {
        "217400563",  # buyer
        "412197658",  # supplier (the VAT-identified one has no SIREN)
        "520000001",  # sub-contractor
        "200046977",  # concession authority
        "333333333",  # concession holder
        "444444444",  # legal unit already loaded
        "229800012",  # subsidy grantor
        "666666666",  # subsidy beneficiary
    }  # the list-only SIREN 555555555 is not in scope
