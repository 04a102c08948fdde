"""Safe by default: headers, strict CSP, size and rate limits, errors without stack traces."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from leviers.web.security import CONTENT_SECURITY_POLICY, TokenBuckets
from tests.web.conftest import make_app


def test_security_headers_on_pages_api_and_errors(small: TestClient) -> None:
    for path in ("/", "/api/v1/accueil", "/nope", "/static/css/leviers.css"):
        headers = small.get(path).headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        assert "server" not in headers


def test_csp_allows_no_inline_code() -> None:
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY


def test_templates_hold_no_inline_script_or_style() -> None:
    templates = Path(__file__).resolve().parents[2] / "src" / "leviers" / "web" / "templates"
    for template in templates.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert " style=" not in text, template
        assert "<style" not in text, template
        assert " onclick=" not in text, template
        assert " onload=" not in text, template
        for chunk in text.split("<script")[1:]:
            head = chunk.split(">", 1)[0]
            # Only external files, or JSON data blocks (never executed).
            assert " src=" in head or 'type="application/json"' in head, (template, head)


def test_large_bodies_and_long_queries_are_refused(small: TestClient) -> None:
    response = small.post("/api/v1/accueil", content=b"x" * (65 * 1024))
    assert response.status_code == 413
    assert "octets" in response.json()["erreur"]["message"]
    long_query = "objet=" + "a" * 5000
    page = small.get(f"/contrats?{long_query}")
    assert page.status_code == 414
    assert "Adresse trop longue" in page.text


def test_rate_limit(small_warehouse: Path, tmp_path: Path) -> None:
    # One token a minute: the bucket does not refill while four requests run on a loaded machine.
    app = make_app(small_warehouse, tmp_path, rate_limit_per_minute=1, rate_limit_burst=3)
    client = TestClient(app, raise_server_exceptions=False)
    statuses = [client.get("/api/v1/accueil").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert "Trop de requêtes" in refused.text
    # Static files do not count.
    assert client.get("/static/css/leviers.css").status_code == 200
    app.state.store.close()


def test_token_bucket_refills() -> None:
    buckets = TokenBuckets(per_minute=60, burst=2)
    assert buckets.take("a", now=0.0) == 0
    assert buckets.take("a", now=0.0) == 0
    assert buckets.take("a", now=0.0) == pytest.approx(1.0)
    assert buckets.take("a", now=1.0) == 0  # one token back after a second
    assert buckets.take("b", now=1.0) == 0  # clients are counted apart


def test_method_not_allowed_is_french(small: TestClient) -> None:
    response = small.post("/api/v1/accueil")
    assert response.status_code == 405
    assert response.json()["erreur"]["titre"] == "Méthode non autorisée"


def test_internal_errors_show_no_trace(small_warehouse: Path, tmp_path: Path) -> None:
    app = make_app(small_warehouse, tmp_path)

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret detail")

    @app.get("/boom")
    def boom_page() -> None:
        raise RuntimeError("secret detail")

    client = TestClient(app, raise_server_exceptions=False)
    api = client.get("/api/v1/boom")
    assert api.status_code == 500
    assert "secret" not in api.text
    assert "Traceback" not in api.text
    assert api.json()["erreur"]["titre"] == "Erreur interne"
    page = client.get("/boom")
    assert page.status_code == 500
    assert "secret" not in page.text
    assert "Traceback" not in page.text
    assert "Erreur interne" in page.text
    app.state.store.close()
