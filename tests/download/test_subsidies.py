"""`leviers download subventions` against the local data.gouv.fr look-alike: the catalogue listed
by schema page after page, grantors by their declared SIRET, per-file outcomes (redirect, 404,
cut transfer resumed, checksum mismatch, web page, too big, other formats), then `leviers ingest`
of a downloaded file that does not name its grantor."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from leviers.cli.app import app
from leviers.download import DownloadError
from leviers.download.catalog import Catalog
from leviers.download.subsidies import (
    MANIFEST,
    SCHEMA,
    GrantorFilter,
    download_subsidies,
    file_name,
    list_subsidy_resources,
)
from leviers.subsidies import grantor as subsidy_grantor
from tests.download.conftest import FakeDataGouv
from tests.sirene.helpers import ingest, query

runner = CliRunner()

# Real subsidy files (tests/fixtures/subventions, see its PROVENANCE.md) served as the catalogue's resources.
MAINE_ET_LOIRE = (  # the first 1 000 lines of the file
    "pays-de-la-loire-2019/224900019_subventions-aux-associations-du-departement-de-maine-et-loire_extrait.csv"
)
SARTHE = "pays-de-la-loire-2019/72-Sarthe_sub_asso_2018.csv"
EXAMPLE = "schema/exemple_valide-2.1.1.csv"
VENDEE = "pays-de-la-loire-2019/85-Vendee_201901_Publication_données_Open_data_Subventions_Conventions.csv"
CHARENTE_XLS = Path(__file__).parent.parent / "subsidies" / "data" / "DEP_Charente-Maritime_extrait.xls"

# Organisations: real SIRENs of the grantors; the NIC after them is illustrative.
MAINE = {
    "id": "org-maine",
    "name": "Département de Maine-et-Loire",
    "slug": "departement-de-maine-et-loire",
    "business_number_id": "22490001900015",
}
SARTHE_ORG = {
    "id": "org-sarthe",
    "name": "Département de la Sarthe",
    "slug": "departement-de-la-sarthe",
    "business_number_id": "22720002900013",
}
NO_SIRET = {
    "id": "org-asso",
    "name": "Collectif Données Ouvertes",
    "slug": "collectif-donnees-ouvertes",
    "business_number_id": None,
}


def dataset(
    server: FakeDataGouv, did: str, org: dict[str, Any] | None, updated: str, resources: list[dict[str, Any]]
) -> None:
    if org is not None:
        server.organizations[org["id"]] = org
    server.datasets[did] = {
        "id": did,
        "title": f"Subventions {did}",
        "slug": f"subventions-{did}",
        "page": f"{server.base_url}/datasets/{did}/",
        "organization": {k: org[k] for k in ("id", "name", "slug")} if org else None,
        "owner": None if org else {"id": "user-1", "slug": "jean"},
        "last_update": updated,
        "resources": resources,
    }


@pytest.fixture
def catalogue(fake_datagouv: FakeDataGouv, real_data: Path) -> FakeDataGouv:
    s = fake_datagouv
    real = real_data / "subventions"
    s.serve("maine.csv", (real / MAINE_ET_LOIRE).read_bytes(), etag='"maine"')
    s.serve("maine.json", b'[{"note": "the same data in JSON"}]')
    s.serve("notice.pdf", b"%PDF-1.4")
    s.serve("sarthe.csv", (real / SARTHE).read_bytes(), checksum_value="0" * 40)  # wrong announced checksum
    s.serve("exemple.csv", (real / EXAMPLE).read_bytes(), announce_size=False)
    s.serve("vendee.csv", (real / VENDEE).read_bytes())
    s.serve("charente.xls", CHARENTE_XLS.read_bytes())
    s.serve("portail.csv", b"<!DOCTYPE html><html><body>Connexion</body></html>")
    s.serve("ancien.csv", (real / VENDEE).read_bytes())
    s.redirects["/fr/datasets/r/exemple"] = f"{s.base_url}/files/exemple.csv"
    sub = SCHEMA
    dataset(
        s,
        "d-maine",
        MAINE,
        "2024-06-01T00:00:00",
        [
            s.resource(
                "r-maine-csv",
                "maine.csv",
                title="Subventions aux associations 2004-2016.csv",
                schema=sub,
                last_modified="2024-06-01T00:00:00",
            ),
            s.resource(
                "r-maine-json",
                "maine.json",
                title="Subventions aux associations 2004-2016.json",
                schema=sub,
                last_modified="2024-06-01T00:00:00",
            ),
            s.resource(
                "r-maine-doc", "notice.pdf", fmt="pdf", type="documentation"
            ),  # no schema: not a subsidy file
            s.resource("r-maine-pdf", "notice.pdf", title="Délibération", fmt="pdf", schema=sub),
        ],
    )
    dataset(
        s,
        "d-sarthe",
        SARTHE_ORG,
        "2024-05-01T00:00:00",
        [
            s.resource(
                "r-sarthe",
                "sarthe.csv",
                title="Subventions 2018",
                schema=sub,
                last_modified="2024-05-01T00:00:00",
            ),
        ],
    )
    dataset(
        s,
        "d-asso",
        NO_SIRET,
        "2024-04-01T00:00:00",
        [
            s.resource(
                "r-exemple",
                "exemple.csv",
                title="Exemple SCDL",
                schema=sub,
                url=f"{s.base_url}/fr/datasets/r/exemple",
                checksum=None,
                last_modified="2024-04-01T00:00:00",
            ),
            s.resource(
                "r-absent",
                "absent.csv",
                title="Subventions 2023",
                schema=sub,
                fmt="csv",
                last_modified="2024-04-01T00:00:00",
            ),
        ],
    )
    dataset(
        s,
        "d-vendee",
        None,
        "2024-03-01T00:00:00",
        [  # published by a person
            s.resource(
                "r-vendee",
                "vendee.csv",
                title="Subventions janvier 2019",
                schema=sub,
                checksum=None,
                last_modified=None,
            ),
            s.resource(
                "r-portail",
                "portail.csv",
                title="Subventions février 2019",
                schema=sub,
                last_modified="2024-03-01T00:00:00",
            ),
        ],
    )
    dataset(
        s,
        "d-charente",
        MAINE,
        "2024-02-01T00:00:00",
        [
            s.resource(
                "r-charente",
                "charente.xls",
                title="Conventions 2017",
                schema=sub,
                last_modified="2024-02-01T00:00:00",
            ),
            s.resource(
                "r-gros",
                "maine.csv",
                title="Tout l'historique",
                schema=sub,
                last_modified="2024-02-01T00:00:00",
                filesize=900_000_000,
            ),
        ],
    )
    dataset(
        s,
        "d-ancien",
        SARTHE_ORG,
        "2019-01-01T00:00:00",
        [
            s.resource(
                "r-ancien",
                "ancien.csv",
                title="Subventions 2018",
                schema=sub,
                last_modified="2019-01-01T00:00:00",
            ),
        ],
    )
    s.datasets["d-autre"] = {
        "id": "d-autre",
        "title": "Budget",
        "last_update": "2025-01-01",
        "resources": [s.resource("r-budget", "vendee.csv")],
    }
    return s


def run(server: FakeDataGouv, dest: Path, grantor: GrantorFilter | None = None, **options: Any):  # type: ignore[no-untyped-def]
    return download_subsidies(
        grantor=grantor, dest_dir=dest, base_url=server.base_url, page_size=2, retry_wait=0, **options
    )


def by_resource(outcomes: list[Any]) -> dict[str, tuple[str, str | None]]:
    return {o.item.resource.id: (o.status, o.reason) for o in outcomes}


def test_every_grantor_with_per_file_outcomes(catalogue: FakeDataGouv, tmp_path: Path) -> None:
    dest = tmp_path / "subventions"
    catalogue.file_cuts["exemple.csv"] = [1000]  # cut once: resumed by the automatic retry
    result = run(catalogue, dest)
    outcomes = by_resource(result.outcomes)
    assert outcomes == {
        "r-maine-csv": ("telecharge", None),
        "r-sarthe": ("echec", outcomes["r-sarthe"][1]),
        "r-exemple": ("telecharge", None),
        "r-absent": (
            "echec",
            f"{catalogue.base_url}/files/absent.csv : fichier introuvable (HTTP 404) — vérifiez l'identifiant ou l'adresse.",
        ),
        "r-vendee": ("telecharge", None),
        "r-portail": ("echec", outcomes["r-portail"][1]),
        "r-charente": ("telecharge", None),
        "r-ancien": ("telecharge", None),
        "r-maine-json": ("ignore", "mêmes données déjà prises au format csv"),
        "r-maine-pdf": ("ignore", "format « pdf » non pris en charge"),
        "r-gros": ("ignore", "trop gros : 900 Mo annoncés (limite --taille-max)"),
    }
    assert "ne correspond pas à celle annoncée" in str(outcomes["r-sarthe"][1])
    assert "une page web a été reçue au lieu du fichier" in str(outcomes["r-portail"][1])
    # Six datasets under the schema, two per page: three pages; the budget dataset is not listed.
    assert (result.listing.pages_read, result.listing.datasets_seen, result.listing.datasets_announced) == (
        3,
        6,
        6,
    )
    assert len(list(dest.iterdir())) == 6  # five files and the record of what was downloaded
    assert (dest / MANIFEST).exists()
    by_name = {o.item.resource.id: o.path for o in result.outcomes if o.path}
    assert by_name["r-maine-csv"].name.startswith("224900019_subventions-aux-associations-2004-2016_")
    assert by_name["r-charente"].name.startswith("224900019_conventions-2017_")
    assert by_name["r-charente"].suffix == ".xls"
    assert by_name["r-ancien"].name.startswith("227200029_subventions-2018_")
    assert by_name["r-exemple"].name.startswith("sans-siren-collectif-donnees-ouvertes_exemple-scdl_")
    assert by_name["r-vendee"].name.startswith("sans-siren-inconnu_subventions-janvier-2019_")
    assert by_name["r-exemple"].read_bytes() == catalogue.files["exemple.csv"].content
    assert [h.get("Range") for p, h in catalogue.requests if p == "/files/exemple.csv"] == [
        None,
        "bytes=1000-",
    ]
    assert result.totals() == {"telecharge": 5, "deja_la": 0, "echec": 3, "ignore": 3, "a_telecharger": 0}
    assert result.listing.organizations == {
        "Département de Maine-et-Loire": "224900019",
        "Département de la Sarthe": "227200029",
        "Collectif Données Ouvertes": "",
    }

    again = by_resource(run(catalogue, dest).outcomes)
    assert again["r-maine-csv"] == ("deja_la", "déjà téléchargé (même empreinte)")
    # No checksum: the record of the first run says it is the same file (address, date, size)…
    assert again["r-exemple"] == ("deja_la", "déjà téléchargé (même adresse, même date)")
    # … unless the catalogue gives no date: fetched again.
    assert again["r-vendee"] == ("telecharge", None)
    assert again["r-sarthe"][0] == "echec"


def test_names_designate_the_grantor_and_nothing_else(catalogue: FakeDataGouv, tmp_path: Path) -> None:
    result = run(catalogue, tmp_path / "dl")
    for outcome in result.outcomes:
        if outcome.path is None:
            continue
        name = outcome.path.name
        found = subsidy_grantor.from_file_name(name, name)
        siren = outcome.item.grantor.siren
        assert (found.siren if found else None) == siren
        code = name.rsplit("_", 1)[1].split(".")[0]
        assert code.isalpha()  # no digits: no invented year nor SIREN


def test_grantor_by_siren_then_ingest(catalogue: FakeDataGouv, tmp_path: Path) -> None:
    dest = tmp_path / "dl"
    result = run(catalogue, dest, GrantorFilter.parse("224 900 019"))
    assert {o.item.resource.id: o.status for o in result.outcomes} == {
        "r-maine-csv": "telecharge",
        "r-charente": "telecharge",
        "r-maine-json": "ignore",
        "r-maine-pdf": "ignore",
        "r-gros": "ignore",
    }
    assert result.listing.datasets_kept == 2
    # Each organisation was asked once for its SIRET.
    assert sorted(set(catalogue.api_requests("/api/1/organizations/"))) == sorted(
        catalogue.api_requests("/api/1/organizations/")
    )
    maine = next(o.path for o in result.outcomes if o.item.resource.id == "r-maine-csv")
    assert maine is not None
    (report,) = ingest(tmp_path / "w.duckdb", maine)
    assert report.records == 1000
    assert any("Département de Maine-et-Loire (SIREN 224900019)" in note for note in report.notes)
    assert query(
        tmp_path / "w.duckdb", "SELECT DISTINCT attribuant_siren, attribuant_source FROM subsidies"
    ) == [("224900019", "nom du fichier")]


def test_grantor_by_name_since_and_caps(catalogue: FakeDataGouv, tmp_path: Path) -> None:
    result = run(catalogue, tmp_path / "a", GrantorFilter.parse("sarthe"), list_only=True)
    assert {o.item.resource.id: o.status for o in result.outcomes} == {
        "r-sarthe": "a_telecharger",
        "r-ancien": "a_telecharger",
    }
    assert not (tmp_path / "a").exists()  # --lister downloads nothing
    recent = run(
        catalogue, tmp_path / "b", GrantorFilter.parse("Sarthe"), since=date(2020, 1, 1), list_only=True
    )
    assert [o.item.resource.id for o in recent.outcomes] == ["r-sarthe"]
    capped = run(catalogue, tmp_path / "c", None, max_files=2, list_only=True)
    beyond = [o for o in capped.outcomes if o.reason == "au-delà de --max-fichiers (2)"]
    assert len(beyond) == 6
    bounded = run(catalogue, tmp_path / "d", None, max_pages=1, list_only=True)
    assert (bounded.listing.pages_read, bounded.listing.datasets_seen, bounded.listing.stopped_by_pages) == (
        1,
        2,
        True,
    )


def test_since_stops_the_listing_early(catalogue: FakeDataGouv) -> None:
    with Catalog(catalogue.base_url, retry_wait=0) as catalog:
        listing = list_subsidy_resources(catalog, grantor=None, since=date(2024, 4, 15), page_size=2)
    assert [i.resource.id for i in listing.selected] == ["r-maine-csv", "r-sarthe"]
    assert catalog.pages_read == 2  # the third dataset is older: the pages after it are not read


def test_catalogue_busy_then_answers(catalogue: FakeDataGouv, tmp_path: Path) -> None:
    catalogue.api_statuses = [429, 503]
    result = run(catalogue, tmp_path, GrantorFilter.parse("sarthe"), list_only=True)
    assert len(result.outcomes) == 2
    catalogue.api_statuses = [503, 503, 503, 503]
    with pytest.raises(DownloadError, match="a répondu HTTP 503 après 4 tentatives"):
        run(catalogue, tmp_path, None, list_only=True)


def test_grantor_filter_values() -> None:
    assert GrantorFilter.parse("22490001900015").siren == "224900019"
    assert GrantorFilter.parse("Loire-Atlantique").name == "loire-atlantique"
    with pytest.raises(DownloadError, match="pas un SIREN valide"):
        GrantorFilter.parse("224900018")
    with pytest.raises(DownloadError, match="9 chiffres"):
        GrantorFilter.parse("2249000")
    assert GrantorFilter.parse("224900019").describe() == "SIREN 224900019 (Département de Maine-et-Loire)"


def test_cli_json_and_human(catalogue: FakeDataGouv, tmp_path: Path) -> None:
    env = {"LEVIERS_DATAGOUV_URL": catalogue.base_url}
    dest = tmp_path / "dl"
    result = runner.invoke(
        app, ["download", "subventions", "--attribuant", "224900019", "--dest", str(dest), "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["attribuant"] == "SIREN 224900019 (Département de Maine-et-Loire)"
    assert payload["totaux"] == {"telecharge": 2, "deja_la": 0, "echec": 0, "ignore": 3, "a_telecharger": 0}
    first = payload["fichiers"][0]
    assert (first["statut"], first["attribuant_siren"], first["organisation"]) == (
        "telecharge",
        "224900019",
        "Département de Maine-et-Loire",
    )
    assert (
        first["attribuant_origine"]
        == "SIRET 22490001900015 déclaré par « Département de Maine-et-Loire » à data.gouv.fr"
    )
    assert Path(first["fichier"]).exists()

    human = runner.invoke(
        app, ["download", "subventions", "--attribuant", "sarthe", "--dest", str(dest)], env=env
    )
    text = " ".join(human.stdout.split())
    assert human.exit_code == 0, human.output
    assert "échec : Subventions 2018 (Département de la Sarthe) — " in text
    assert "téléchargé : 227200029_subventions-2018_" in text
    assert "1 téléchargés, 0 déjà là, 1 en échec, 0 ignorés" in text
    assert f"Pour les charger : leviers ingest {dest}/*" in text


def test_cli_refuses_ambiguous_requests(catalogue: FakeDataGouv) -> None:
    env = {"LEVIERS_DATAGOUV_URL": catalogue.base_url}
    for args in (
        [],
        ["--tous", "--attribuant", "x"],
        ["--tous", "--depuis", "hier"],
        ["--tous", "--max-fichiers", "0"],
    ):
        result = runner.invoke(app, ["download", "subventions", *args], env=env)
        assert result.exit_code != 0
        assert isinstance(result.exception, DownloadError)


def test_file_name_never_carries_other_digit_runs() -> None:
    from leviers.download.datagouv import ResourceInfo
    from leviers.download.subsidies import Grantor, SubsidyResource

    resource = ResourceInfo(
        "9f2019ab-2020",
        None,
        "Subventions 2021 — SIRET 22440002800011.CSV",
        "http://x/y.csv",
        "csv",
        None,
        None,
        None,
    )
    item = SubsidyResource("d", "D", None, None, None, Grantor("224400028", "test"), resource, "csv", None)
    name = file_name(item)
    assert name.startswith("224400028_subventions-2021-siret_")
    assert name.endswith(".csv")
    assert subsidy_grantor.year_from_file_name(name) == 2021


def test_same_data_in_several_formats_is_taken_once(fake_datagouv: FakeDataGouv) -> None:
    s = fake_datagouv
    portal = "https://data.exemple.fr/api/explore/v2.1/catalog/datasets/subventions-2023/exports"
    dataset(
        s,
        "d-portail",
        MAINE,
        "2024-01-01",
        [
            s.resource("j", "x", url=f"{portal}/json", fmt="json", schema=SCHEMA),
            s.resource("c", "x", url=f"{portal}/csv?use_labels=true&delimiter=%3B", fmt="csv", schema=SCHEMA),
            s.resource("x", "x", url=f"{portal}/xlsx", fmt="xlsx", schema=SCHEMA),
            # Two years published under the same title, same format: two files.
            s.resource(
                "a",
                "x",
                title="subventions.csv",
                url="https://static.exemple.fr/2022/subventions.csv",
                fmt="csv",
                schema=SCHEMA,
            ),
            s.resource(
                "b",
                "x",
                title="subventions.csv",
                url="https://static.exemple.fr/2023/subventions.csv",
                fmt="csv",
                schema=SCHEMA,
            ),
            s.resource(
                "o",
                "x",
                title="subventions.ods",
                url="https://static.exemple.fr/2023/subventions.ods",
                fmt="ods",
                schema=SCHEMA,
            ),
        ],
    )
    with Catalog(s.base_url, retry_wait=0) as catalog:
        listing = list_subsidy_resources(catalog, grantor=None)
    assert sorted(i.resource.id for i in listing.selected) == ["a", "b", "c"]
    assert {o.item.resource.id: o.reason for o in listing.ignored} == {
        "j": "mêmes données déjà prises au format csv",
        "x": "mêmes données déjà prises au format csv",
        "o": "mêmes données déjà prises au format csv",
    }


def test_organisation_that_cannot_be_asked(catalogue: FakeDataGouv, tmp_path: Path) -> None:
    del catalogue.organizations["org-sarthe"]  # its page answers 404
    result = run(catalogue, tmp_path, GrantorFilter.parse("sarthe"), list_only=True)
    first, _ = result.outcomes
    assert first.item.grantor.siren is None
    assert first.item.grantor.evidence.startswith(
        "SIRET de l'organisation « Département de la Sarthe » non obtenu : "
    )
    assert first.path is not None
    assert first.path.name.startswith("sans-siren-departement-de-la-sarthe_subventions-2018_")
