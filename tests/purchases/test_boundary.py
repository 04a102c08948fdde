"""The private/public boundary: purchase records loaded into the private store never appear in a
public page, an API answer or an export, nor in the web serving copy."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from leviers.purchases.store import LocalStore, private_path
from tests.web.conftest import build_warehouse, make_app
from tests.web.test_head import _routes
from tests.web.test_routes import EXAMPLES, concrete

BUYER = "212600886"  # a buyer of the loaded DECP file: its public pages exist
SUPPLIER = "213300635"  # a supplier SIREN the route examples use
MARKERS = (
    "Fournisseur Témoin Privé",
    "987654,32",
    "987654.32",
    "987 654",
    "MARCHE-PRIVE-4711",
    "Objet confidentiel",
)


def test_no_purchase_record_reaches_a_public_route(tmp_path: Path, real_data: Path) -> None:
    warehouse = build_warehouse(
        tmp_path / "leviers.duckdb",
        [real_data / "decp" / "minef-decp-augmente" / "decp_augmente_2022_extrait.csv"],
    )
    purchases = tmp_path / "achats.csv"
    purchases.write_text(
        "SIRET fournisseur;Fournisseur;Montant TTC;Date mandat;N° marché;Objet\n"
        f"{SUPPLIER}00012;Fournisseur Témoin Privé;987654,32;15/03/2022;MARCHE-PRIVE-4711;Objet confidentiel\n",
        encoding="utf-8",
    )
    with LocalStore.beside(warehouse) as store:
        outcome = store.ingest([purchases], acheteur=BUYER)[0]
        assert outcome.reports[0].loaded == 1
    cache = tmp_path / "cache"
    app = make_app(warehouse, cache)
    examples = {**EXAMPLES, "{cle}": "x"}
    checked = 0
    with TestClient(app) as client:
        paths = {concrete(r.path, examples) for r in _routes() if "GET" in r.methods}
        paths |= {f"/collectivites/{BUYER}", f"/api/v1/collectivites/{BUYER}", f"/titulaires/{SUPPLIER}"}
        for path in sorted(p for p in paths if "{" not in p):
            answer = client.get(path)
            body = answer.content.decode("utf-8", errors="replace")
            for marker in MARKERS:
                assert marker not in body, (path, marker)
            checked += 1
    assert checked >= 30
    # The serving copy is built from the warehouse alone: no purchase table, no purchase value.
    copies = list(cache.rglob("*.duckdb"))
    assert copies
    for copy in copies:
        data = copy.read_bytes()
        assert b"purchase_lines" not in data
        assert "Fournisseur Témoin Privé".encode() not in data
    assert private_path(warehouse).exists()
    assert private_path(warehouse).parent != cache
    assert b"purchase_lines" not in warehouse.read_bytes()
