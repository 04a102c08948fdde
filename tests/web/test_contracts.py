"""Contracts explorer: filters, sorting, pagination, exports; HTML and JSON from the same view."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from leviers.warehouse.queries import contracts as q

# The 7 contracts of the MINEF 2022 extract (see test_home.py), by internal id → amount
# (the ingestion drops the « INX » quality tag in front of one id).
AMOUNTS = {
    "202404": 45155.0,
    "202424 3 001": 146796.0,
    "202424FO15-02": 400000.0,
    "24-1065297-2": 27364.0,
    "2024FCS05_1": 380000.0,
    "202410977": 829684.85,
    "202409LOT02PAY": 149155.02,
}


def ids(body: dict) -> list[str]:
    return [c["id"] for c in body["contrats"]]


def test_no_filter_lists_everything_by_date(small: TestClient) -> None:
    body = small.get("/api/v1/contrats").json()
    assert body["total"]["contrats"] == 7
    assert body["total"]["montant"] == pytest.approx(sum(AMOUNTS.values()))
    assert sorted(ids(body)) == sorted(AMOUNTS)
    dates = [c["date_notification"] for c in body["contrats"]]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("social=avec", ["24-1065297-2"]),
        ("social=clause", ["24-1065297-2"]),
        ("social=sans", sorted(set(AMOUNTS) - {"24-1065297-2"})),
        ("social=inconnue", []),
        ("environnement=critere", ["24-1065297-2"]),
        ("procedure=Appel d'offres ouvert", ["2024FCS05_1", "202424FO15-02"]),
        (
            "montant_min=100000&montant_max=400000",
            ["202409LOT02PAY", "2024FCS05_1", "202424FO15-02", "202424 3 001"],
        ),
        ("annee=2023", []),
        ("acheteur=200039949", ["24-1065297-2"]),
        ("acheteur=20003994900017", ["24-1065297-2"]),
        ("objet=zzzzzz", []),
    ],
)
def test_filters(small: TestClient, query: str, expected: list[str]) -> None:
    body = small.get(f"/api/v1/contrats?{query}").json()
    assert sorted(ids(body)) == sorted(expected)
    assert body["total"]["contrats"] == len(expected)


def test_amount_filter_total(small: TestClient) -> None:
    body = small.get("/api/v1/contrats?procedure=Appel d'offres ouvert").json()
    assert body["total"]["montant"] == pytest.approx(780000.0)


def test_sort_by_amount_and_pagination(small: TestClient) -> None:
    by_amount = sorted(AMOUNTS, key=AMOUNTS.__getitem__, reverse=True)
    first = small.get("/api/v1/contrats?tri=montant&par_page=10").json()
    assert ids(first) == by_amount
    ascending = small.get("/api/v1/contrats?tri=montant_asc").json()
    assert ids(ascending) == by_amount[::-1]
    # Pages of 10 over 7 contracts: one page; page 2 is empty but valid.
    assert first["pages"] == 1
    assert small.get("/api/v1/contrats?page=2").json()["contrats"] == []


def test_pages_do_not_overlap(client: TestClient) -> None:
    seen: list[str] = []
    for number in (1, 2, 3):
        body = client.get(f"/api/v1/contrats?annee=2024&tri=montant&par_page=10&page={number}").json()
        seen += [c["contract_key"] for c in body["contrats"]]
    assert len(seen) == len(set(seen)) == 30


def test_html_twin_shows_the_json_figures(small: TestClient) -> None:
    html = small.get("/contrats?social=avec").text
    assert "<strong>1</strong> contrat," in html
    assert "27\u202f364,00\u202f€" in html
    assert 'value="avec" selected' in html


def test_htmx_request_gets_only_the_results(small: TestClient) -> None:
    response = small.get("/contrats?social=avec", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert '<h2 id="resultats-titre">Résultats</h2>' in response.text
    assert "HX-Request" in response.headers["vary"]


def test_empty_form_fields_mean_no_filter(small: TestClient) -> None:
    body = small.get("/api/v1/contrats?annee=&acheteur=&social=&tri=date").json()
    assert body["total"]["contrats"] == 7


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("annee=deux-mille", "annee"),
        ("acheteur=12345", "acheteur"),
        ("cpv=45x", "cpv"),
        ("social=peut-etre", "social"),
        ("montant_min=-3", "montant_min"),
        ("par_page=100000", "par_page"),
        ("tri=hasard", "tri"),
    ],
)
def test_invalid_parameters_get_french_errors(small: TestClient, query: str, parameter: str) -> None:
    response = small.get(f"/api/v1/contrats?{query}")
    assert response.status_code in (400, 422)
    error = response.json()["erreur"]
    # Named in the message (filters) or in the details, the message naming the form's field.
    assert parameter in error["message"] or parameter in [d["parametre"] for d in error.get("details", [])]
    html = small.get(f"/contrats?{query}")
    if response.status_code == 400:  # a filter: the page shows the message with the form still filled
        assert html.status_code == 200
        assert "Filtres à corriger" in html.text
    else:
        assert html.status_code == response.status_code
    assert "Traceback" not in html.text
    # The page names the field as the form does (« Contrats par page »), or the parameter.
    names = [parameter] + [d["libelle"] for d in error.get("details", [])]
    assert any(name in html.text for name in names)


def test_min_above_max_is_explained(small: TestClient) -> None:
    response = small.get("/api/v1/contrats?montant_min=10&montant_max=5")
    assert response.status_code == 400
    assert "montant_min" in response.json()["erreur"]["message"]


def test_supplier_filter_by_siren_and_name(client: TestClient) -> None:
    some = client.get("/api/v1/contrats?annee=2024&par_page=10").json()["contrats"]
    with_supplier = next(
        c for c in some if c["titulaire_ids"] and c["titulaire_noms"] and c["titulaire_noms"][0]
    )
    siren = with_supplier["titulaire_ids"][0][:9]
    by_siren = client.get(f"/api/v1/contrats?titulaire={siren}&par_page=500").json()
    assert with_supplier["contract_key"] in [c["contract_key"] for c in by_siren["contrats"]]
    assert all(
        any(i.startswith(siren) for i in c["titulaire_ids"] or []) or c["titulaire_ids"] is None
        for c in by_siren["contrats"]
    )
    name = with_supplier["titulaire_noms"][0]
    by_name = client.get("/api/v1/contrats", params={"titulaire": name, "par_page": 500}).json()
    assert with_supplier["contract_key"] in [c["contract_key"] for c in by_name["contrats"]]


def test_totals_for_one_buyer_from_one_query_match_the_count(client: TestClient) -> None:
    siren = client.get("/api/v1/contrats?annee=2024&par_page=10").json()["contrats"][0]["acheteur_siren"]
    first = client.get(f"/api/v1/contrats?acheteur={siren}&par_page=10").json()
    beyond = client.get(f"/api/v1/contrats?acheteur={siren}&page=9999").json()  # totals from count()
    assert first["total"] == beyond["total"]
    assert beyond["contrats"] == []
    assert first["total"]["contrats"] >= len(first["contrats"]) > 0


@pytest.mark.parametrize(
    ("objet", "expected"),
    [
        ("dechet", ["24-1065297-2"]),  # the start of « déchèterie », accents ignored
        ("RÉAMÉNAGEMENT scolaire", ["202409LOT02PAY"]),
        ("construction", ["202424 3 001", "24-1065297-2"]),
        ("lot 2", ["202424FO15-02", "24-1065297-2"]),  # « 2 » is a whole word: not « 02 »
        ("ceint", ["202404"]),
        ("la", ["202404"]),  # a frequent word alone is still a filter
        ("de la ceinture", ["202404"]),  # frequent words beside others are dropped
        ("intu", []),  # inside a word: not a word start
        ("%", []),  # `%` and `_` are characters, not wildcards
        ("_", []),
        ("d&#8217;infra", ["2024FCS05_1"]),
    ],
)
def test_text_filter_on_objects(small: TestClient, objet: str, expected: list[str]) -> None:
    body = small.get("/api/v1/contrats", params={"objet": objet}).json()
    assert sorted(ids(body)) == sorted(expected)
    assert body["total"]["contrats"] == len(expected)


def test_supplier_name_filter_uses_word_starts(client: TestClient) -> None:
    some = client.get("/api/v1/contrats?annee=2024&par_page=50").json()["contrats"]
    named = next(c for c in some if c["titulaire_noms"] and c["titulaire_noms"][0])
    first_word = named["titulaire_noms"][0].split()[0]
    prefix = first_word[: max(3, len(first_word) - 2)]
    found = client.get("/api/v1/contrats", params={"titulaire": prefix, "par_page": 500}).json()
    assert named["contract_key"] in [c["contract_key"] for c in found["contrats"]]


def test_text_filters_from_the_word_index_give_the_contracts_answers(real_app: FastAPI) -> None:
    """A filter on objects (with a year, a buyer) is answered from the word index alone
    (queries.contracts._indexed_matches): its totals and pages are those of the filters over the
    contracts, for every combination."""
    store = real_app.state.store
    with store.cursor() as con:
        frequent = [
            row[0]
            for row in con.execute(
                "SELECT mot FROM web_object_words_vocabulary WHERE length(mot) > 3 ORDER BY contrats DESC, mot LIMIT 6"
            ).fetchall()
        ]
        years = [
            row[0]
            for row in con.execute(
                "SELECT DISTINCT annee FROM web_object_words WHERE annee IS NOT NULL ORDER BY 1 DESC LIMIT 2"
            ).fetchall()
        ]
        word = frequent[0]
        buyers = [
            row[0]
            for row in con.execute(
                "SELECT c.acheteur_siren FROM web_object_words AS w JOIN contracts AS c USING (contract_no) "
                "WHERE w.mot = ? GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3",
                [word],
            ).fetchall()
        ]
        texts = [
            *frequent[:3],
            frequent[1][:4],  # a word start
            frequent[2][:5].upper(),
            f"{frequent[0]} {frequent[1]}",  # every word must match
            f"{frequent[0][:4]} {frequent[3][:4]} {frequent[4]}",
            "de",  # a frequent word alone, whole
            "la " + frequent[5],
            "2",  # a short word, whole
            "lot 2",
            "zzzzqx",  # no such word
        ]
        combinations: list[q.ContractFilters] = []
        for text in texts:
            combinations += [
                q.ContractFilters(objet=text),
                q.ContractFilters(objet=text, annee=years[0]),
                q.ContractFilters(objet=text, annee=years[-1], acheteur=buyers[0]),
                q.ContractFilters(objet=text, acheteur=buyers[-1]),
                q.ContractFilters(objet=text, acheteurs=tuple(buyers[:2])),
            ]
        combinations += [
            q.ContractFilters(objet=word, acheteurs=()),
            q.ContractFilters(objet=word, acheteur="000000000"),
            q.ContractFilters(objet=word, annee=1990),
        ]
        indexed = 0
        runs = q.BuyerRuns(con)
        for filters in combinations:
            matches = q._indexed_matches(con, filters)
            assert matches is not None, filters
            # The buyers' runs in memory (the server's) give the same selection.
            in_memory = q._indexed_matches(con, filters, runs)
            assert in_memory is not None, filters
            assert q.count(con, filters, in_memory) == q.count(con, filters, matches), filters
            new, old = q.count(con, filters, matches), q.count(con, filters, None)
            # The sum of the same amounts, added in another order: equal to the last bits.
            same_sum = old["montant"] if old["montant"] is None else pytest.approx(old["montant"], rel=1e-12)
            same_totals = {**old, "montant": same_sum}
            assert new == same_totals, filters
            indexed += new["contrats"] > 0
            for sort in ("date", "montant"):
                for offset in (0, 7, q.ONE_SCAN_ROWS):
                    args = {"sort": sort, "limit": 7, "offset": offset}
                    expected = q.page(con, filters, **args, matches=None)
                    assert q.page(con, filters, **args, matches=matches) == expected, (filters, sort, offset)
                    # The totals and the page's keys in one reading of the index (sort by date).
                    assert q.page_and_count(con, filters, **args) == (expected, same_totals), (
                        filters,
                        sort,
                        offset,
                    )
                    assert q.page_and_count(con, filters, **args, runs=runs) == (expected, same_totals)
        assert indexed > len(combinations) // 2  # most combinations select contracts
