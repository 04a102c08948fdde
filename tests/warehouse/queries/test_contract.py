"""A contract's keys in addresses and a supplier's SIREN from its published identifier
(leviers.warehouse.queries.contract)."""

from __future__ import annotations

import re

import duckdb

from leviers.warehouse.queries.contract import contract_key, key_hash, supplier_siren, url_key

AIGLUN = "21040001600015|2018231301"  # record 305 of the e-marchespublics file of 2019-04-04


def test_url_keys_round_trip_any_identifier() -> None:
    for key in (AIGLUN, "24290069400173|20242024-12-2*", "21250366800015|2025-L3-Rénov", "1|a/b?c=d&e#f"):
        cle = url_key(key)
        assert re.fullmatch(r"[A-Za-z0-9_-]+", cle)
        assert contract_key(cle) == key
    assert contract_key("not-a-key") is None  # decodes to bytes without « | »
    assert contract_key(url_key(AIGLUN) + "A") is None  # a control character: not a key


def test_key_hash_is_duckdb_md5_number_lower() -> None:
    con = duckdb.connect()
    for key in (AIGLUN, "24290069400173|20242024-12-2*é"):
        assert con.execute("SELECT md5_number_lower(?)", [key]).fetchone()[0] == key_hash(key)  # type: ignore[index]


def test_supplier_siren_of_published_ids() -> None:
    assert supplier_siren("34063663800033") == "340636638"
    assert supplier_siren("340 636 638") == "340636638"
    assert supplier_siren("FR12345678901") is None
