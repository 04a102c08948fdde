"""Each request's queries are traced: a Server-Timing header on every answer that read the
warehouse, `?_trace=1` when served locally, slow queries logged by name only; tracing can be
turned off. The trace of a query stopped by its time limit says so."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from leviers.warehouse.trace import QueryRecord, Trace, execute
from leviers.web.limits import QueryTimeout
from leviers.web.store import Store
from leviers.web.tracing import MAX_NAME, metric_name, server_timing
from tests.warehouse.test_trace import ENDLESS
from tests.web.conftest import make_app

# In the MINEF 2022 extract, buyer SIRET 20003994900017 notified one contract (2024).
BUYER = "200039949"
# What its page reads from the warehouse, by hand from leviers.web.views.collectivite.collectivite:
# its identity and SPASER estimate come from tables held in memory (`warm`), the national figures
# are computed once per server (`memo`); each request then runs one query: its stored page row
# (web.buyer_page: indicator rows, ESS money breakdowns and latest contracts, serving copy 30).
COLLECTIVITE_QUERIES = ["collectivite.page"]


def timings(header: str) -> list[tuple[str, dict[str, str]]]:
    """Server-Timing → [(metric, {param: value})]."""
    metrics = []
    for part in header.split(", "):
        name, *params = part.split(";")
        metrics.append((name, dict(p.split("=", 1) for p in params)))
    return metrics


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache-tracing")  # one serving copy for the apps below


def _client(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def local_app(small_warehouse: Path, cache: Path) -> Iterator[FastAPI]:
    app = make_app(small_warehouse, cache, slow_query_ms=0)  # every query logged as slow
    yield app
    app.state.store.close()


def test_a_page_answer_tells_its_queries_in_server_timing(local_app: FastAPI) -> None:
    local_app.state.kept_pages.clear()  # a page kept rendered runs no query (leviers.web.kept_pages)
    for url in (f"/collectivites/{BUYER}", f"/api/v1/collectivites/{BUYER}"):
        response = _client(local_app).get(url)
        assert response.status_code == 200
        metrics = timings(response.headers["server-timing"])
        name, total = metrics[0]
        assert name == "db"
        assert total["desc"] == '"1 query"'
        assert float(total["dur"]) > 0
        # Then the slowest ones (at most three), here every query of the page, slowest first.
        assert sorted(m for m, _ in metrics[1:]) == sorted(COLLECTIVITE_QUERIES)
        durations = [float(p["dur"]) for _, p in metrics[1:]]
        assert durations == sorted(durations, reverse=True)
        assert sum(durations) == pytest.approx(float(total["dur"]), abs=0.2)


def test_trace_param_lists_the_named_queries_in_json(local_app: FastAPI) -> None:
    body = _client(local_app).get(f"/api/v1/collectivites/{BUYER}?_trace=1").json()
    trace = body["_trace"]
    assert [q["nom"] for q in trace["detail"]] == COLLECTIVITE_QUERIES
    assert trace["requetes"] == 1
    assert trace["interrompues"] == 0
    assert [q["lignes"] for q in trace["detail"]] == [1]  # its one stored row
    assert body["annee"] == 2024  # the answer itself is unchanged
    assert "_trace" not in _client(local_app).get(f"/api/v1/collectivites/{BUYER}").json()


def test_trace_param_adds_a_table_to_a_page(local_app: FastAPI) -> None:
    response = _client(local_app).get(f"/collectivites/{BUYER}?_trace=1", headers={"accept-encoding": "gzip"})
    html = response.text
    assert response.status_code == 200
    assert "Trace des requêtes" in html
    assert html.index('id="trace"') < html.index("</body>")
    for name in COLLECTIVITE_QUERIES:
        assert f"<code>{name}</code>" in html
    assert "1 requête" in html
    assert response.headers["content-encoding"] == "gzip"  # rewritten before compression


def test_a_hosted_server_ignores_the_trace_param(small_warehouse: Path, cache: Path) -> None:
    app = make_app(small_warehouse, cache, hosted=True)
    try:
        response = _client(app).get(f"/api/v1/collectivites/{BUYER}?_trace=1")
        assert "_trace" not in response.json()
        assert "Trace des requêtes" not in _client(app).get(f"/collectivites/{BUYER}?_trace=1").text
        assert response.headers["server-timing"].startswith("db;")
    finally:
        app.state.store.close()


def test_tracing_off_removes_the_header(small_warehouse: Path, cache: Path) -> None:
    app = make_app(small_warehouse, cache, tracing=False)
    try:
        response = _client(app).get(f"/api/v1/collectivites/{BUYER}?_trace=1")
        assert response.status_code == 200
        assert "server-timing" not in response.headers
        assert "_trace" not in response.json()
    finally:
        app.state.store.close()


def test_slow_query_logs_name_the_query_never_its_values(
    local_app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    local_app.state.kept_pages.clear()  # rendered by another test, the page would be served as kept
    with caplog.at_level(logging.DEBUG):
        assert _client(local_app).get(f"/collectivites/{BUYER}").status_code == 200
        assert _client(local_app).get(f"/api/v1/contrats?acheteur={BUYER}&objet=travaux").status_code == 200
    slow = [r.getMessage() for r in caplog.records if r.getMessage().startswith("requête lente")]
    assert {re.sub(r" en .*", "", m) for m in slow} >= {f"requête lente : {n}" for n in COLLECTIVITE_QUERIES}
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("leviers")]  # not httpx's own
    # The collectivité page's statement, the explorer's totals with the page's keys and its rows (the
    # buyer's run of contracts is read from memory, leviers.warehouse.queries.contracts.BuyerRuns).
    assert len(ours) >= len(slow) >= 3
    assert not [m for m in ours if BUYER in m or "travaux" in m]


def _count_then_endless(store: Store, trace: Trace) -> None:
    """A request's two queries through the gateway, the second one endless."""
    with store.cursor(time_limit=0.3, trace=trace) as con:
        execute(con, "test.count", "SELECT count(*) FROM contracts").fetchall()
        execute(con, "test.endless", ENDLESS)


def test_a_query_stopped_by_its_time_limit_is_in_the_trace(local_app: FastAPI) -> None:
    trace = Trace()
    with pytest.raises(QueryTimeout):
        _count_then_endless(local_app.state.store, trace)
    assert [(q.name, q.interrupted) for q in trace.queries] == [("test.count", False), ("test.endless", True)]
    assert trace.queries[1].ms >= 250
    assert trace.as_dict()["interrompues"] == 1
    name, params = timings(server_timing(trace))[1]
    assert (name, params["desc"]) == ("test.endless", '"interrupted"')
    # The store's connection went back to the pool healthy enough to serve again.
    assert _client(local_app).get(f"/api/v1/collectivites/{BUYER}").status_code == 200


def test_the_header_stays_bounded() -> None:
    trace = Trace()
    trace.lent = True
    for i in range(200):
        trace._done(QueryRecord(f"q{i}." + "x" * 300, i))
    header = server_timing(trace)
    assert len(header) < 400
    assert header.startswith('db;dur=19900.0;desc="200 queries"')
    assert metric_name("a b;c=d,é") == "a_b_c_d__"
    assert len(metric_name("y" * 500)) == MAX_NAME
