"""Every figure drawn from synthetic data says so, in the page and in the JSON."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import make_app


@pytest.fixture(scope="module")
def synthetic(synthetic_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = make_app(synthetic_warehouse, tmp_path_factory.mktemp("cache-synthetic"))
    yield TestClient(app, raise_server_exceptions=False)
    app.state.store.close()


def test_banner_on_every_page(synthetic: TestClient) -> None:
    for path in ("/", "/contrats", "/sources", "/collectivites/200039949"):
        html = synthetic.get(path).text
        assert "Données synthétiques." in html, path
        assert 'class="badge badge-synthetic">synthétique</span>' in html, path


def test_json_flags(synthetic: TestClient) -> None:
    assert synthetic.get("/api/v1/accueil").json()["synthetique"] is True
    contracts = synthetic.get("/api/v1/contrats").json()
    assert contracts["synthetique"] is True
    assert contracts["total"]["contrats_synthetiques"] == 7
    assert all(c["synthetique"] for c in contracts["contrats"])
    assert synthetic.get("/api/v1/collectivites/200039949").json()["synthetique"] is True
    assert synthetic.get("/api/v1/sources").json()["totaux"]["fichiers_synthetiques"] == 1


def test_real_data_is_not_flagged(small: TestClient) -> None:
    assert "Données synthétiques." not in small.get("/").text
    assert small.get("/api/v1/contrats").json()["synthetique"] is False
