"""The explorer carries each contract's amount check: a badge on suspect and aberrant amounts, totals
that leave aberrant amounts out (as the indicators do), and the class in every export."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from fastapi.testclient import TestClient


def test_rows_carry_their_amount_class_and_reason(client: TestClient) -> None:
    body = client.get("/api/v1/contrats?classe_montant=aberrant&tri=montant").json()
    assert body["total"]["contrats"] > 0
    for row in body["contrats"]:
        assert row["montant_classe"] == "aberrant"
        assert row["montant_motif"]  # e.g. « 6,0 écarts médians au-dessus des 810 marchés comparables »
    html = client.get("/contrats?classe_montant=aberrant&tri=montant").text
    assert '<span class="badge badge-aberrant"' in html
    assert "aberrant, écarté" in html


def test_totals_leave_aberrant_amounts_out(client: TestClient) -> None:
    every = client.get("/api/v1/contrats").json()["total"]
    aberrant = client.get("/api/v1/contrats?classe_montant=aberrant").json()["total"]
    kept = [client.get(f"/api/v1/contrats?classe_montant={c}").json()["total"] for c in ("normal", "suspect")]
    assert every["montants_ecartes"] == aberrant["contrats"] > 0
    assert aberrant["montant"] is None  # nothing left to sum
    assert every["montant"] == pytest.approx(sum(t["montant"] for t in kept))
    html = client.get("/contrats").text
    assert f"{aberrant['contrats']} montants aberrants</a> écartés de la somme" in html


def test_one_buyer_totals_agree_with_the_selection_totals(client: TestClient) -> None:
    # One buyer's totals come from the page's count query: the same rule.
    row = client.get("/api/v1/contrats?classe_montant=aberrant").json()["contrats"][0]
    siren = row["acheteur_siren"]
    mine = client.get(f"/api/v1/contrats?acheteur={siren}").json()["total"]
    assert mine["montants_ecartes"] >= 1
    normal = client.get(f"/api/v1/contrats?acheteur={siren}&classe_montant=normal").json()["total"]
    suspect = client.get(f"/api/v1/contrats?acheteur={siren}&classe_montant=suspect").json()["total"]
    assert mine["montant"] == pytest.approx((normal["montant"] or 0) + (suspect["montant"] or 0))


def test_exports_write_the_amount_class(client: TestClient) -> None:
    response = client.get("/api/v1/contrats.csv?classe_montant=aberrant&format=machine")
    assert response.status_code == 200
    table = pd.read_csv(io.BytesIO(response.content), dtype=str)
    assert set(table["montant_classe"]) == {"aberrant"}
    assert table["montant_motif"].notna().all()
