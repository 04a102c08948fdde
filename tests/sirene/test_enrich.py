"""`leviers enrichir`: the warehouse's SIRENs completed from a local look-alike of the Recherche
d'entreprises API (tests/sirene/api_server.py; answers hand-written from the API's documentation,
labelled synthetic). No test touches the Internet."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from leviers.reference import is_valid_siren
from leviers.sirene import enrich as enrich_module
from leviers.sirene.enrich import FORMAT_ID, EnrichError, EnrichReport, enrich
from leviers.warehouse import open_warehouse
from tests.flows.helpers import add_contract, add_subsidy
from tests.sirene.api_server import FakeSearchApi, api_unit
from tests.sirene.helpers import ingest, query, status_of, unit, write_stock


def siren(base: int) -> str:
    """A synthetic SIREN with a valid check digit."""
    stem = f"{base:08d}"
    return next(stem + k for k in "0123456789" if is_valid_siren(stem + k))


COMMUNE = siren(21440109)  # buyer
DEPARTEMENT = siren(22440002)  # subsidy grantor
ASSO = siren(44123456)
SAS_ESS = siren(51234567)
SAS = siren(52345678)
SIAE = siren(53456789)
FONDATION = siren(77345678)
UNKNOWN = siren(88888888)
BAD_KEY = "123456780"  # nine digits, wrong check digit

UNITS = {
    COMMUNE: api_unit(COMMUNE, "7210", nom="COMMUNE DE TEST", categorie_entreprise=None),
    DEPARTEMENT: api_unit(DEPARTEMENT, "7220", nom="DEPARTEMENT DE TEST", categorie_entreprise=None),
    ASSO: api_unit(
        ASSO,
        "9220",
        nom="ASSOCIATION TEST",
        est_ess=True,
        identifiant_association="W442001234",
        categorie_entreprise="PME",
        date_creation="1998-05-12",
        activite_principale="88.99B",
        tranche_effectif_salarie="12",
        date_mise_a_jour_insee="2025-04-02T10:11:12",
    ),
    SAS_ESS: api_unit(SAS_ESS, "5710", nom="SAS SOLIDAIRE", est_ess=True),
    SAS: api_unit(SAS, "5710", nom="SAS ORDINAIRE", est_ess=False, categorie_entreprise="ETI"),
    SIAE: api_unit(SIAE, "5499", nom="SARL INSERTION", est_ess=False, est_siae=True, type_siae="ACI, EI"),
    FONDATION: api_unit(FONDATION, "9300", nom="FONDATION TEST", est_ess=True),
}


@pytest.fixture
def api() -> Iterator[FakeSearchApi]:
    server = FakeSearchApi(units={k: dict(v) for k, v in UNITS.items()}).start()
    yield server
    server.stop()


@pytest.fixture
def warehouse(db_path: Path) -> Path:
    """Contracts and subsidies naming every SIREN above (and one with a wrong check digit)."""
    con = open_warehouse(db_path)
    try:
        add_contract(con, "m1", acheteur=COMMUNE, date="2024-03-01", montant=1000.0, titulaires=[ASSO, SAS])
        add_contract(
            con, "m2", acheteur=COMMUNE, date="2024-04-01", montant=2000.0, titulaires=[SAS_ESS, SIAE, None]
        )
        add_contract(
            con, "m3", acheteur=COMMUNE, date="2024-05-01", montant=500.0, titulaires=[UNKNOWN, BAD_KEY]
        )
        add_subsidy(con, "s1", attribuant=DEPARTEMENT, beneficiaire=FONDATION, annee=2024, montant=3000.0)
    finally:
        con.close()
    return db_path


def run(db: Path, api: FakeSearchApi, cache: Path, **options: Any) -> EnrichReport:
    settings: dict[str, Any] = {"source": api.base_url, "rate": None, "workers": 2, "backoff": 0.01}
    settings.update(options)
    con = open_warehouse(db)
    try:
        return enrich(con, cache_folder=cache, **settings)
    finally:
        con.close()


def test_units_and_ess_evidence_from_the_api(warehouse: Path, api: FakeSearchApi, tmp_path: Path) -> None:
    report = run(warehouse, api, tmp_path / "cache")
    assert report.completed
    assert report.interruption is None
    assert (report.in_scope, report.selected, report.invalid) == (9, 8, 1)
    assert (report.found, report.unknown, report.failed) == (7, 1, [])
    assert (report.loaded, report.quarantined, report.duplicates) == (7, 0, 0)
    assert report.siae_entries == 2
    assert sorted(api.asked()) == sorted(set(UNITS) | {UNKNOWN})  # the wrong key is never sent

    (row,) = query(
        warehouse,
        """SELECT denomination, categorie_juridique, categorie_entreprise, annee_categorie_entreprise,
                  economie_sociale_solidaire, societe_mission, etat_administratif, date_creation::VARCHAR,
                  activite_principale, nomenclature_activite, tranche_effectifs, identifiant_association,
                  statut_diffusion, date_dernier_traitement::VARCHAR, synthetic
           FROM legal_units WHERE siren = ?""",
        [ASSO],
    )
    assert row == (
        "ASSOCIATION TEST", "9220", "PME", 2022, "O", None, "A", "1998-05-12", "88.99B", None, "12",
        "W442001234", "O", "2025-04-02 10:11:12", False,
    )  # fmt: skip

    # One ingestion row for the batch: provenance of every unit and list entry.
    ((ingestion_id, path, dataset, fmt, records, loaded, quarantined, duplicates),) = query(
        warehouse,
        "SELECT ingestion_id, path, dataset, format, records, loaded, quarantined, duplicates FROM ingestions",
    )
    assert (path, dataset, fmt) == (f"{api.base_url}/search", "sirene", FORMAT_ID)
    assert (records, loaded, quarantined, duplicates) == (7, 7, 0, 0)
    assert query(warehouse, "SELECT DISTINCT ingestion_id FROM legal_units") == [(ingestion_id,)]
    assert report.ingestion_ids == [ingestion_id]

    statuses = status_of(warehouse)
    assert {s: (statuses[s]["status"], statuses[s]["rule"]) for s in statuses} == {
        COMMUNE: ("non ESS", "hors_champ"),
        DEPARTEMENT: ("non ESS", "hors_champ"),
        ASSO: ("ESS", "forme_ess"),
        FONDATION: ("ESS", "forme_ess"),
        SAS_ESS: ("ESS", "insee_ess"),
        SAS: ("non ESS", "insee_non_ess"),
        SIAE: ("ESS", "liste_siae"),
    }
    assert UNKNOWN not in statuses  # unknown to the API: unknown, never « non ESS »
    assert statuses[SIAE]["contradicted_by"] == ["insee_ess"]
    assert "structure ACI, EI du Marché de l'inclusion" in statuses[SIAE]["reason"]
    evidence = query(
        warehouse,
        "SELECT value, indication, detail, ingestion_id FROM ess_evidence WHERE siren = ? AND source = 'siae' "
        "ORDER BY value",
        [SIAE],
    )
    assert evidence == [
        ("ACI", "ESS", "atelier et chantier d'insertion (ACI) — SARL INSERTION", ingestion_id),
        ("EI", "ESS", "entreprise d'insertion (EI) — SARL INSERTION", ingestion_id),
    ]
    assert dict(query(warehouse, "SELECT siren, status FROM sirene_api_lookups")) == {
        **dict.fromkeys(UNITS, "trouve"),
        UNKNOWN: "inconnu",
    }
    assert report.statuses == {"ESS": 4, "inconnu": 1, "non ESS": 3}


def test_a_second_run_asks_nothing(warehouse: Path, api: FakeSearchApi, tmp_path: Path) -> None:
    run(warehouse, api, tmp_path / "cache")
    asked = len(api.requests)
    again = run(warehouse, api, tmp_path / "cache")
    assert (again.selected, again.asked, again.from_cache) == (0, 0, 0)
    assert len(api.requests) == asked
    assert query(warehouse, "SELECT count(*) FROM ingestions") == [(1,)]


def test_the_cache_answers_a_new_warehouse_without_asking(
    warehouse: Path, api: FakeSearchApi, tmp_path: Path
) -> None:
    copy = tmp_path / "copie.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    run(warehouse, api, tmp_path / "cache")
    asked = len(api.requests)
    with sqlite3.connect(tmp_path / "cache" / "reponses.sqlite3") as cache:  # one entry damaged on disk
        cache.execute("UPDATE answers SET body = ? WHERE siren = ?", (b"<html>", SAS))
    report = run(copy, api, tmp_path / "cache")
    assert [r.siren for r in api.requests[asked:]] == [SAS]  # only the damaged one is asked again
    assert (report.from_cache, report.asked, report.found, report.unknown) == (7, 1, 7, 1)
    assert query(copy, "SELECT count(*) FROM legal_units") == [(7,)]
    # The cached answer keeps its date: the lookup says when the API answered, not when it was read.
    assert query(
        copy, "SELECT min(asked_at) < (SELECT min(started_at) FROM ingestions) FROM sirene_api_lookups"
    ) == [(True,)]


def test_a_newer_stock_value_is_never_overwritten(
    warehouse: Path, api: FakeSearchApi, tmp_path: Path
) -> None:
    stock = write_stock(
        tmp_path / "StockUniteLegale_extrait.csv",
        [
            unit(
                SAS,
                "5710",
                "N",
                name="NOM DU STOCK",
                dateDernierTraitementUniteLegale="2025-09-01T00:00:00.000",
            )
        ],
    )
    ingest(warehouse, stock)
    report = run(warehouse, api, tmp_path / "cache")
    assert SAS not in api.asked()  # a unit from the stock is not asked by default
    assert report.selected == 7
    assert run(warehouse, api, tmp_path / "cache", max_age_days=30).selected == 0  # the stock is recent

    api.units[SAS].update(nom_raison_sociale="NOM ANCIEN", date_mise_a_jour_insee="2024-01-01T00:00:00")
    report = run(warehouse, api, tmp_path / "cache", refresh=True)
    assert report.selected == 8
    assert api.asked().count(SAS) == 1
    assert query(warehouse, "SELECT denomination FROM legal_units WHERE siren = ?", [SAS]) == [
        ("NOM DU STOCK",)
    ]
    assert report.loaded == 0  # every answer was already there, or older

    api.units[SAS].update(nom_raison_sociale="NOM RECENT", date_mise_a_jour_insee="2026-01-15T08:00:00")
    run(warehouse, api, tmp_path / "cache", refresh=True)
    ((name, nomenclature, first, last, ddt),) = query(
        warehouse,
        "SELECT denomination, nomenclature_activite, first_ingestion_id, ingestion_id, "
        "date_dernier_traitement::VARCHAR FROM legal_units WHERE siren = ?",
        [SAS],
    )
    assert (name, ddt) == ("NOM RECENT", "2026-01-15 08:00:00")
    assert nomenclature == "NAFRev2"  # same activity code as the stock's: its nomenclature is kept
    assert first < last

    api.units[SAS].update(
        nom_raison_sociale="NOM SANS DATE", date_mise_a_jour_insee=None, date_mise_a_jour=None
    )
    run(warehouse, api, tmp_path / "cache", refresh=True)
    assert query(warehouse, "SELECT denomination FROM legal_units WHERE siren = ?", [SAS]) == [
        ("NOM RECENT",)
    ]


class _StopAfter:
    """A progress bar whose user presses Ctrl-C after `n` SIRENs."""

    def __init__(self, n: int) -> None:
        self.n = n

    def start(self, description: str, total: float | None = None, unit: str = "octets") -> None:
        pass

    def advance(self, amount: float = 1) -> None:
        self.n -= 1
        if self.n == 0:
            raise KeyboardInterrupt

    def finish(self) -> None:
        pass


def _many(db: Path, api: FakeSearchApi, count: int) -> list[str]:
    sirens = [siren(60000000 + i) for i in range(count)]
    con = open_warehouse(db)
    try:
        add_contract(con, "beaucoup", acheteur=COMMUNE, date="2024-01-01", montant=1.0, titulaires=sirens)
    finally:
        con.close()
    for s in sirens:
        api.units[s] = api_unit(s, "5710")
    return sirens


def test_an_interrupted_run_resumes_where_it_stopped(
    warehouse: Path, api: FakeSearchApi, tmp_path: Path
) -> None:
    _many(warehouse, api, 30)
    report = run(warehouse, api, tmp_path / "cache", workers=1, progress=_StopAfter(10))
    assert report.cancelled
    assert not report.completed
    assert report.written == 10
    written = {r[0] for r in query(warehouse, "SELECT siren FROM sirene_api_lookups")}
    assert len(written) == 10
    assert query(warehouse, "SELECT finished_at IS NULL FROM sirene_api_runs") == [(True,)]
    first_requests = len(api.requests)

    again = run(warehouse, api, tmp_path / "cache")
    assert again.resumed
    assert again.completed
    asked_again = {r.siren for r in api.requests[first_requests:]}
    assert not asked_again & written  # nothing received is asked again
    assert again.selected == 38 - 10
    assert query(warehouse, "SELECT count(*) FROM sirene_api_lookups") == [(38,)]
    assert query(
        warehouse, "SELECT count(*) FILTER (WHERE finished_at IS NOT NULL) FROM sirene_api_runs"
    ) == [(1,)]


def test_a_crash_while_writing_leaves_the_warehouse_as_it_was(
    warehouse: Path, api: FakeSearchApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disque arraché")

    monkeypatch.setattr(enrich_module, "record_ingestion", broken)
    with pytest.raises(RuntimeError, match="disque arraché"):
        run(warehouse, api, tmp_path / "cache")
    for table in ("legal_units", "sirene_api_lookups", "ingestions", "quarantine", "ess_list_entries"):
        assert query(warehouse, f"SELECT count(*) FROM {table}") == [(0,)], table
    asked = len(api.requests)

    monkeypatch.undo()
    report = run(warehouse, api, tmp_path / "cache")
    assert len(api.requests) == asked  # the answers were kept in the cache
    assert (report.from_cache, report.found, report.loaded) == (8, 7, 7)


def test_when_the_api_goes_down_what_was_received_is_kept(
    warehouse: Path, api: FakeSearchApi, tmp_path: Path
) -> None:
    sirens = _many(warehouse, api, 14)
    for s in sirens[2:]:
        api.plans[s] = ["503"] * 3
    report = run(warehouse, api, tmp_path / "cache", workers=1, retries=1)
    assert not report.completed
    assert report.interruption is not None
    assert "l'API ne répond plus (10 SIREN de suite sans réponse" in report.interruption
    assert len(report.failed) == 10
    assert report.failed[0].reason == "l'API a répondu HTTP 503, 2 essais"
    # SIRENs are asked in order: six of the warehouse's, two of the new ones, then the API went down.
    assert report.found == 6 + 2  # what was received before is written
    assert query(warehouse, "SELECT count(*) FROM legal_units") == [(8,)]

    api.plans.clear()
    again = run(warehouse, api, tmp_path / "cache")
    assert again.resumed
    assert again.completed
    assert again.selected == 12 + 2  # the failed ones and those never reached
    assert query(warehouse, "SELECT count(*) FROM legal_units") == [(7 + 14,)]


def test_a_siren_that_keeps_failing_is_asked_again_next_time(
    warehouse: Path, api: FakeSearchApi, tmp_path: Path
) -> None:
    api.plans[SAS] = ["500"] * 2
    report = run(warehouse, api, tmp_path / "cache", retries=1)
    assert report.completed
    assert [f.siren for f in report.failed] == [SAS]
    assert query(warehouse, "SELECT count(*) FROM sirene_api_lookups WHERE siren = ?", [SAS]) == [(0,)]
    again = run(warehouse, api, tmp_path / "cache")
    assert again.resumed
    assert (again.selected, again.asked, again.found) == (1, 1, 1)

    # The same with --rafraichir: the next run resumes and asks only what is missing.
    api.plans[SAS] = ["500"] * 2
    refreshed = run(warehouse, api, tmp_path / "cache", refresh=True, retries=1)
    assert (refreshed.selected, [f.siren for f in refreshed.failed]) == (8, [SAS])
    resumed = run(warehouse, api, tmp_path / "cache", refresh=True)
    assert resumed.resumed
    assert (resumed.selected, resumed.asked) == (1, 1)
    assert run(warehouse, api, tmp_path / "cache", refresh=True).selected == 8  # a new run: all again


def test_answers_that_are_not_what_sirene_publishes_go_to_quarantine(
    warehouse: Path, api: FakeSearchApi, tmp_path: Path
) -> None:
    api.units[SAS]["nature_juridique"] = "57A0"
    api.units[SAS_ESS]["date_creation"] = "2019-02-30"
    report = run(warehouse, api, tmp_path / "cache")
    assert (report.found, report.loaded, report.quarantined, report.duplicates) == (7, 5, 2, 0)
    rows = query(warehouse, "SELECT record_id, field, reason, raw FROM quarantine ORDER BY record_id", [])
    assert [(r[0], r[1]) for r in rows] == sorted([(SAS, "nature_juridique"), (SAS_ESS, "date_creation")])
    sas = next(r for r in rows if r[0] == SAS)
    assert "catégorie juridique invalide « 57A0 »" in sas[2]
    assert json.loads(sas[3])["nom_complet"] == "SAS ORDINAIRE"  # the API's own answer
    assert dict(query(warehouse, "SELECT siren, status FROM sirene_api_lookups WHERE status = 'refuse'")) == {
        SAS: "refuse",
        SAS_ESS: "refuse",
    }
    assert query(warehouse, "SELECT count(*) FROM legal_units WHERE siren IN (?, ?)", [SAS, SAS_ESS]) == [
        (0,)
    ]


def test_hidden_names_and_siae_without_a_kind(warehouse: Path, api: FakeSearchApi, tmp_path: Path) -> None:
    api.units[SAS].update(
        nom_complet="[NON-DIFFUSIBLE]", nom_raison_sociale="[NON-DIFFUSIBLE]", statut_diffusion="P"
    )
    api.units[SAS]["complements"].update(est_siae=True, type_siae=None)
    run(warehouse, api, tmp_path / "cache")
    assert query(
        warehouse, "SELECT denomination, statut_diffusion FROM legal_units WHERE siren = ?", [SAS]
    ) == [(None, "P")]
    assert query(
        warehouse, "SELECT value, indication FROM ess_evidence WHERE siren = ? AND source = 'siae'", [SAS]
    ) == [("non précisé", "non concluant")]
    assert status_of(warehouse)[SAS]["status"] == "non ESS"  # INSEE's N decides, the kind being unknown


def test_max_age_and_limit(warehouse: Path, api: FakeSearchApi, tmp_path: Path) -> None:
    first = run(warehouse, api, tmp_path / "cache", limit=3)
    assert (first.selected, first.postponed) == (3, 5)
    second = run(warehouse, api, tmp_path / "cache")
    assert second.selected == 5
    assert run(warehouse, api, tmp_path / "cache", max_age_days=30).selected == 0
    asked = len(api.requests)
    older = run(warehouse, api, tmp_path / "cache", max_age_days=0)  # everything known before this run
    assert older.selected == 8
    assert older.from_cache == 0
    assert len(api.requests) == asked + 8


def test_an_empty_warehouse_is_refused(db_path: Path, api: FakeSearchApi, tmp_path: Path) -> None:
    with pytest.raises(EnrichError, match="aucun SIREN"):
        run(db_path, api, tmp_path / "cache")


def test_the_scope_leaves_out_units_that_no_money_names(
    warehouse: Path, api: FakeSearchApi, tmp_path: Path
) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(
            "INSERT INTO legal_units (siren, categorie_juridique, first_ingestion_id, ingestion_id) "
            "VALUES (?, '5710', 0, 0)",
            [siren(99000000)],
        )
    finally:
        con.close()
    report = run(warehouse, api, tmp_path / "cache", refresh=True)
    assert report.in_scope == 9
    assert siren(99000000) not in api.asked()
