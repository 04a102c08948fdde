"""Public pages kept rendered (leviers.web.kept_pages): the collectivité page is rendered once per
request shape and served again as long as the version it was kept under holds; errors, traced and
incomplete pages are never kept; the bound in bytes holds. The hosted side (the store's public
version moving with publications and needs) is tested in tests/hosted/test_published_link.py."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from leviers.web import buyer_page, kept_pages
from leviers.web.kept_pages import KeptPages

BUYER = "200039949"  # the MINEF 2022 extract's buyer (tests/web/test_collectivite.py)


def test_kept_by_key_and_version() -> None:
    pages = KeptPages(max_bytes=1000)
    key = ("/p", (), False)
    pages.keep(key, 1, (b"a" * 10, ()))
    assert pages.get(key, 1) == (b"a" * 10, ())
    assert pages.get(key, 2) is None  # another version: rendered again
    pages.keep(key, 2, (b"b" * 20, (("vary", "HX-Request"),)))
    assert (pages.get(key, 2), pages.bytes, len(pages)) == ((b"b" * 20, (("vary", "HX-Request"),)), 20, 1)
    assert pages.get(key, None) == pages.get(key, 2)  # None: whichever version is kept


def test_least_recently_used_goes_first_within_the_bound() -> None:
    pages = KeptPages(max_bytes=800)
    for i in range(8):
        pages.keep((f"/{i}", (), False), 0, (bytes(100), ()))
    assert pages.get(("/0", (), False), 0) is not None  # used: now the most recent
    pages.keep(("/8", (), False), 0, (bytes(100), ()))
    assert pages.bytes == 800
    assert pages.get(("/1", (), False), 0) is None  # the least recently used went
    assert pages.get(("/0", (), False), 0) is not None
    pages.keep(("/big", (), False), 0, (bytes(101), ()))  # more than an eighth of the bound: not kept
    assert pages.get(("/big", (), False), 0) is None


@pytest.fixture
def renders(small: TestClient, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sirens of the collectivité pages actually rendered (each rendering reads its rows)."""
    small.app.state.kept_pages.clear()  # type: ignore[attr-defined]
    seen: list[str] = []
    read = buyer_page.read

    def counted(con: Any, siren: str, **kwargs: Any) -> Any:
        seen.append(siren)
        return read(con, siren, **kwargs)

    monkeypatch.setattr(buyer_page, "read", counted)
    return seen


def test_the_collectivite_page_is_rendered_once(small: TestClient, renders: list[str]) -> None:
    first = small.get(f"/collectivites/{BUYER}")
    again = small.get(f"/collectivites/{BUYER}")
    assert first.status_code == again.status_code == 200
    assert again.text == first.text
    assert again.headers["vary"] == first.headers["vary"]
    assert again.headers["content-type"] == first.headers["content-type"] == "text/html; charset=utf-8"
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
    assert renders == [BUYER]
    # Another year, or the same parameters in another order: its own page, then kept too.
    small.get(f"/collectivites/{BUYER}?annee=2024&x=1")
    small.get(f"/collectivites/{BUYER}?x=1&annee=2024")
    assert renders == [BUYER, BUYER]
    # The JSON twin is computed as before (it is not kept).
    assert small.get(f"/api/v1/collectivites/{BUYER}").status_code == 200
    assert len(renders) == 3


def test_htmx_traced_and_refused_pages_are_not_mixed_up(small: TestClient, renders: list[str]) -> None:
    small.get(f"/collectivites/{BUYER}")
    small.get(f"/collectivites/{BUYER}", headers={"HX-Request": "true"})  # its own key
    assert len(renders) == 2
    for _ in range(2):  # a traced page shows this request's queries: never kept
        assert small.get(f"/collectivites/{BUYER}?_trace=1").status_code == 200
    assert len(renders) == 4
    for _ in range(2):
        assert small.get("/collectivites/999999999").status_code == 404
    assert len(small.app.state.kept_pages) == 2  # type: ignore[attr-defined]


def test_an_incomplete_page_is_not_kept(small: TestClient, renders: list[str]) -> None:
    def incomplete(request: Any) -> tuple[()]:
        request.state.incomplete = True  # as Signin.optional_read marks it when the store is slow
        return ()

    small.app.state.public_version = incomplete  # type: ignore[attr-defined]
    try:
        small.get(f"/collectivites/{BUYER}")
        small.get(f"/collectivites/{BUYER}")
    finally:
        small.app.state.public_version = kept_pages.local_version  # type: ignore[attr-defined]
    assert len(renders) == 2
    assert len(small.app.state.kept_pages) == 0  # type: ignore[attr-defined]


def test_the_kept_page_is_served_while_the_version_is_unknown(small: TestClient, renders: list[str]) -> None:
    first = small.get(f"/collectivites/{BUYER}")
    small.app.state.public_version = lambda request: None  # type: ignore[attr-defined]  # store down
    try:
        assert small.get(f"/collectivites/{BUYER}").text == first.text  # kept, complete as of then
        small.get(f"/collectivites/{BUYER}?annee=2024")  # never kept: rendered, and not kept
        small.get(f"/collectivites/{BUYER}?annee=2024")
    finally:
        small.app.state.public_version = kept_pages.local_version  # type: ignore[attr-defined]
    assert len(renders) == 3
    assert len(small.app.state.kept_pages) == 1  # type: ignore[attr-defined]
