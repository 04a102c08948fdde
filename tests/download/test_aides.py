"""`leviers download aides` against a local Aides-territoires look-alike, then `leviers ingest` of what
it wrote: the token exchange, the pages, the retries, and the translation of each aid into the
dispositif-aide schema.

The server answers in the shape of Aides-territoires' API (MTES-MCT/aides-territoires-symfony,
src/Controller/Api/ApiController.php and Aid/AidController.php): `POST /api/connexion/` with
`X-AUTH-TOKEN` → `{"token"}`; `GET /api/aids/?size&page` with `Authorization: Bearer` →
`{"count", "next", "previous", "results"}`. The four aids are written by hand in that shape
(synthetic: no real aid is copied), with the audiences, perimeters and types the API names.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from leviers.aides.schema import scheme_uuid
from leviers.cli.app import app
from leviers.download import aides as aides_download
from leviers.download.errors import DownloadError
from tests.sirene.helpers import counts, ingest, query

TOKEN = "jeton-de-test-0123456789"
JWT = "eyJ.session.jwt"
SITE = "https://aides-territoires.beta.gouv.fr"

AIDS: list[dict[str, Any]] = [
    {
        "id": 101,
        "slug": "soutenir-les-structures-de-less",
        "url": "/aides/soutenir-les-structures-de-less/",
        "name": "Soutenir le développement des structures de l'ESS",
        "short_title": "Développez votre structure de l'ESS",
        "financers": ["Conseil régional de Nouvelle-Aquitaine"],
        "instructors": ["Conseil régional de Nouvelle-Aquitaine"],
        "programs": [],
        "description": "<p>Aide au <strong>développement</strong> des structures de l'ESS.</p>"
        "<ul><li>Investissement</li><li>Conseil</li></ul>",
        "eligibility": "<p>Être une structure de l'ESS.</p>",
        "perimeter": "Nouvelle-Aquitaine",
        "perimeter_scale": "Région",
        "mobilization_steps": ["Mise en œuvre / réalisation"],
        "origin_url": "https://les-aides.nouvelle-aquitaine.fr/economie-et-emploi/soutien-ess",
        "categories": [
            "Développement économique / production et consommation / Economie sociale et solidaire"
        ],
        "is_call_for_project": False,
        "application_url": None,
        "targeted_audiences": ["Associations", "Entreprises privées"],
        "aid_types": ["Subvention"],
        "destinations": ["Investissement"],
        "start_date": "2025-01-15",
        "predeposit_date": None,
        "submission_deadline": "2025-12-31",
        "subvention_rate_lower_bound": 20,
        "subvention_rate_upper_bound": 50,
        "import_share_licence": "openlicence20",
        "date_created": "2024-11-02T09:00:00+01:00",
        "date_updated": "2025-03-04T10:00:00+01:00",
    },
    {
        "id": 102,
        "slug": "ingenierie-pour-les-communes",
        "url": "/aides/ingenierie-pour-les-communes/",
        "name": "Ingénierie pour les projets communaux",
        "short_title": "",
        "financers": ["Département de la Gironde"],
        "instructors": [],
        "programs": [],
        "description": "Appui technique aux communes.",
        "eligibility": None,
        "perimeter": "Gironde",
        "perimeter_scale": "Département",
        "mobilization_steps": ["Réflexion / conception"],
        "origin_url": "",
        "categories": [],
        "targeted_audiences": ["Communes", "Intercommunalités / Pays"],
        "aid_types": ["Ingénierie technique"],
        "subvention_rate_lower_bound": None,
        "subvention_rate_upper_bound": None,
        "import_share_licence": "unknown",
        "date_created": "2024-05-01T08:00:00+02:00",
        "date_updated": None,
    },
    {
        "id": 103,
        "slug": "bourse-jeunes-angouleme",
        "url": "/aides/bourse-jeunes-angouleme/",
        "name": "Bourse aux initiatives des jeunes",
        "short_title": None,
        "financers": ["CA du Grand Angoulême"],
        "instructors": [],
        "programs": [],
        "description": "Une bourse pour les projets de jeunes.",
        "eligibility": "Avoir entre 16 et 25 ans.",
        "perimeter": "CA du Grand Angoulême",
        "perimeter_scale": "EPCI",
        "mobilization_steps": [],
        "origin_url": None,
        "categories": ["Solidarités / Jeunesse"],
        "targeted_audiences": ["Particuliers", "Jeunes"],
        "aid_types": ["Subvention", "Ingénierie financière"],
        "import_share_licence": None,
        "date_created": "2025-06-01T12:00:00+02:00",
        "date_updated": "2025-06-02T12:00:00+02:00",
    },
    {
        "id": 104,
        "slug": "fonds-vert-renaturation",
        "url": "/aides/fonds-vert-renaturation/",
        "name": "Fonds vert : renaturation des villes",
        "short_title": "Renaturez votre commune",
        "financers": ["Ministère de la Transition écologique"],
        "instructors": ["Préfectures de département"],
        "programs": ["Fonds vert"],
        "description": "Financer la renaturation.",
        "eligibility": "Collectivités.",
        "perimeter": "France",
        "perimeter_scale": "Pays",
        "mobilization_steps": ["Mise en œuvre / réalisation"],
        "origin_url": "https://www.ecologie.gouv.fr/fonds-vert",
        "categories": ["Nature / environnement / Biodiversité"],
        "targeted_audiences": ["Communes"],
        "aid_types": ["Subvention"],
        "subvention_rate_lower_bound": None,
        "subvention_rate_upper_bound": 80,
        "import_share_licence": "openlicence20",
        "date_created": "2023-01-10T12:00:00+01:00",
        "date_updated": "2025-02-01T12:00:00+01:00",
    },
]


@dataclass
class FakeAidesTerritoires:
    aids: list[dict[str, Any]]
    statuses: list[int] = field(default_factory=list)  # answered first on /api/aids/ requests
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def server() -> Iterator[FakeAidesTerritoires]:
    state = FakeAidesTerritoires(aids=[dict(a) for a in AIDS])

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _json(self, status: int, payload: object) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            state.requests.append(("POST", self.path, dict(self.headers)))
            if self.path != "/api/connexion/":
                return self._json(404, {"detail": "Not Found"})
            if self.headers.get("X-AUTH-TOKEN") != TOKEN:
                return self._json(401, {"detail": "Invalid API token"})
            return self._json(200, {"token": JWT})

        def do_GET(self) -> None:
            state.requests.append(("GET", self.path, dict(self.headers)))
            url = urlsplit(self.path)
            if url.path != "/api/aids/":
                return self._json(404, {"detail": "Not Found"})
            if self.headers.get("Authorization") != f"Bearer {JWT}":
                return self._json(401, {"detail": "JWT Token not found"})
            if state.statuses:
                return self._json(state.statuses.pop(0), {"detail": "Service indisponible"})
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            size, page = min(int(params.get("size", 50)), 100), int(params.get("page", 1))
            chosen = state.aids
            if "targeted_audiences" in params:
                chosen = [a for a in chosen if params["targeted_audiences"] in a["targeted_audiences"]]
            results = chosen[(page - 1) * size : page * size]
            more = page * size < len(chosen)
            return self._json(
                200,
                {
                    "count": len(chosen),
                    # The real server writes its own host here: Leviers asks pages by number instead.
                    "next": f"https://ailleurs.example/api/aids/?page={page + 1}" if more else None,
                    "previous": None,
                    "results": results,
                },
            )

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aides_download, "PAGE_SIZE", 3)


def run(server: FakeAidesTerritoires, dest: Path, **kwargs: Any) -> aides_download.AidesDownload:
    return aides_download.download_aides(dest, token=TOKEN, base=server.base_url, retry_wait=0, **kwargs)


def test_every_page_is_fetched_and_saved_with_its_provenance(
    server: FakeAidesTerritoires, small_pages: None, tmp_path: Path
) -> None:
    result = run(server, tmp_path)
    assert (result.count, result.announced, result.pages) == (4, 4, 2)
    assert result.path == tmp_path / "aides-territoires.json"
    saved = json.loads(result.path.read_text(encoding="utf-8"))
    assert [a["id"] for a in saved["aides"]] == [101, 102, 103, 104]
    assert saved["source"] == "Aides-territoires"
    assert saved["site"] == server.base_url
    assert saved["url"] == f"{server.base_url}/api/aids/?size=3&page=1"
    assert saved["date_extraction"].endswith("Z")
    assert TOKEN not in result.path.read_text(encoding="utf-8")
    assert JWT not in result.path.read_text(encoding="utf-8")
    # One token exchange, then pages 1 and 2 asked by number on our server (never the `next` host).
    assert [(m, p) for m, p, _ in server.requests] == [
        ("POST", "/api/connexion/"),
        ("GET", "/api/aids/?size=3&page=1"),
        ("GET", "/api/aids/?size=3&page=2"),
    ]
    assert not list(tmp_path.glob("*.partiel"))


def test_filters_are_passed_and_a_503_is_retried(server: FakeAidesTerritoires, tmp_path: Path) -> None:
    server.statuses = [503]
    result = run(server, tmp_path, filters={"targeted_audiences": "Communes"})
    assert result.count == 2
    asked = [p for m, p, _ in server.requests if m == "GET"]
    assert asked == ["/api/aids/?targeted_audiences=Communes&size=100&page=1"] * 2


def test_a_refused_token_and_a_missing_token_say_what_to_do(
    server: FakeAidesTerritoires, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(DownloadError) as refused:
        aides_download.download_aides(tmp_path, token="mauvais", base=server.base_url, retry_wait=0)
    assert str(refused.value) == (
        f"Aides-territoires refuse le jeton d'API (HTTP 401 sur {server.base_url}/api/connexion/) : "
        "vérifiez --jeton (ou LEVIERS_AIDES_TERRITOIRES_JETON) ; un jeton se demande depuis son compte "
        "Aides-territoires."
    )
    monkeypatch.delenv(aides_download.TOKEN_ENV, raising=False)
    with pytest.raises(DownloadError) as missing:
        aides_download.download_aides(tmp_path, base=server.base_url)
    assert "Aides-territoires demande un jeton d'API" in str(missing.value)
    assert list(tmp_path.iterdir()) == []


def test_downloaded_aids_load_as_dispositif_aide_schemes(
    server: FakeAidesTerritoires, small_pages: None, tmp_path: Path, db_path: Path
) -> None:
    result = run(server, tmp_path)
    (report,) = ingest(db_path, result.path)
    assert (report.format, counts(report)) == ("aides-territoires-json", (4, 4, 0, 0))
    rows = query(
        db_path,
        "SELECT id_origine, id, cibles, eligibilite_geographique, perimetre, types_aides, porteurs, "
        "licence, taux_min, taux_max, source, url_source FROM aides_dispositifs ORDER BY id_origine",
    )
    page = f"{server.base_url}/aides/soutenir-les-structures-de-less/"
    assert rows[0] == (
        "101",
        scheme_uuid(page),
        "professionnels|associations",
        "REG-75",
        "Nouvelle-Aquitaine",
        "financement",
        '[{"nom":"Conseil régional de Nouvelle-Aquitaine","siren":null,"roles":["financeur"]},'
        '{"nom":"Conseil régional de Nouvelle-Aquitaine","siren":null,"roles":["instructeur"]}]',
        "Licence Ouverte 2.0",
        20.0,
        50.0,
        page,
        "https://les-aides.nouvelle-aquitaine.fr/economie-et-emploi/soutien-ess",
    )
    assert [r[2:6] for r in rows[1:]] == [
        ("secteur public", "DEP-33", "Gironde", "accompagnement"),
        ("particuliers", None, "CA du Grand Angoulême", "financement|accompagnement"),
        ("secteur public", "PAYS-99100", "France", "financement"),
    ]
    assert [r[7] for r in rows] == ["Licence Ouverte 2.0", None, None, "Licence Ouverte 2.0"]
    (text,) = query(db_path, "SELECT description FROM aides_dispositifs WHERE id_origine = '101'")[0]
    assert text == "Aide au développement des structures de l'ESS.\nInvestissement\nConseil"
    (eligibility, updated) = query(
        db_path,
        "SELECT eligibilite, strftime(date_mise_a_jour AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M') "
        "FROM aides_dispositifs WHERE id_origine = '102'",
    )[0]
    assert eligibility == "Non précisée par Aides-territoires (voir la fiche source)."
    assert updated == "2024-05-01 06:00"  # no update date: the creation date, in UTC
    assert query(
        db_path, "SELECT record_id, field, value FROM record_warnings ORDER BY record_index, field"
    ) == [
        (scheme_uuid(f"{server.base_url}/aides/bourse-jeunes-angouleme/"), "cibles", "Jeunes"),
        (
            scheme_uuid(f"{server.base_url}/aides/bourse-jeunes-angouleme/"),
            "eligibilite_geographique",
            "CA du Grand Angoulême",
        ),
    ]
    # Each scheme keeps when its source was read: the extraction's date, not the load's.
    saved = json.loads(result.path.read_text(encoding="utf-8"))["date_extraction"]
    dates = query(
        db_path,
        "SELECT DISTINCT strftime(date_source AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S') FROM aides_dispositifs",
    )
    assert dates == [(saved[:19],)]


def test_cli_downloads_then_says_how_to_load(
    server: FakeAidesTerritoires, tmp_path: Path, db_path: Path
) -> None:
    env = {aides_download.URL_ENV: server.base_url, aides_download.TOKEN_ENV: TOKEN}
    runner = CliRunner()
    result = runner.invoke(app, ["download", "aides", "--dossier", str(tmp_path)], env=env)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    path = tmp_path / "aides-territoires.json"
    assert f"Téléchargé — Aides-territoires : {path} (4 aides, 1 page)." in text
    assert f"Pour les charger : leviers ingest {path}" in text
    found = runner.invoke(
        app,
        [
            "aides",
            "chercher",
            "--territoire",
            "DEP-33",
            "--beneficiaire",
            "association",
            "--db",
            str(db_path),
            "-f",
            "json",
        ],
        env=env,
    )
    assert found.exit_code == 0  # the shipped regulation alone (no warehouse yet)
    ingest(db_path, path)
    found = runner.invoke(
        app,
        [
            "aides",
            "chercher",
            "--territoire",
            "DEP-33",
            "--beneficiaire",
            "association",
            "--db",
            str(db_path),
            "-f",
            "json",
        ],
        env=env,
    )
    assert found.exit_code == 0, found.output
    titles = [s["titre"] for s in json.loads(found.stdout)]
    # The région's aid for associations covers Gironde (REG-75); the Gironde aid is for communes.
    assert "Soutenir le développement des structures de l'ESS" in titles
    assert "Ingénierie pour les projets communaux" not in titles
    refused = runner.invoke(
        app, ["download", "aides", "--dossier", str(tmp_path), "--jeton", "faux"], env=env
    )
    assert refused.exit_code == 1
    assert "refuse le jeton" in str(refused.exception)  # printed by `leviers.cli.app.main`
