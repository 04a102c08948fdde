"""The Recherche d'entreprises client against a local look-alike of the API (no Internet).

Answers are hand-written in the shape of the API's documentation (tests/sirene/api_server.py) and
labelled synthetic. The server's request log shows what the client really sent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from leviers.sirene.api import (
    CONSECUTIVE_FAILURES,
    DEFAULT_URL,
    ENV_VAR,
    Answer,
    ApiError,
    Failure,
    SearchClient,
    api_base_url,
    parse_payload,
    retry_after_seconds,
)
from tests.sirene.api_server import FakeSearchApi, api_unit

ASSO = "775671357"  # Luhn-valid synthetic SIRENs
SAS = "552100554"
OTHER = "732829320"


@pytest.fixture
def api() -> Iterator[FakeSearchApi]:
    server = FakeSearchApi(
        units={
            ASSO: api_unit(ASSO, "9220", est_ess=True, identifiant_association="W751234567"),
            SAS: api_unit(SAS, "5710", est_siae=True, type_siae="ACI, EI"),
        }
    ).start()
    yield server
    server.stop()


def client(api: FakeSearchApi, **options: object) -> SearchClient:
    settings: dict[str, object] = {"rate": None, "workers": 1, "retries": 3, "timeout": 2.0, "backoff": 0.01}
    settings.update(options)
    return SearchClient(api.base_url, **settings)  # type: ignore[arg-type]


def test_a_known_siren_and_an_unknown_one(api: FakeSearchApi) -> None:
    with client(api) as c:
        found = c.lookup(ASSO)
        unknown = c.lookup(OTHER)
    assert isinstance(found, Answer)
    assert found.found
    assert found.result is not None
    assert found.result["nature_juridique"] == "9220"
    assert found.result["complements"]["identifiant_association"] == "W751234567"
    assert isinstance(unknown, Answer)
    assert not unknown.found
    assert unknown.result is None
    assert b'"total_results": 0' in unknown.body  # the payload is kept as received
    assert api.statuses() == [200, 200]


def test_429_waits_for_retry_after_then_asks_again(api: FakeSearchApi) -> None:
    api.plans[ASSO] = ["429:1"]
    with client(api) as c:
        answer = c.lookup(ASSO)
        stats = c.stats
    assert isinstance(answer, Answer)
    assert answer.found
    first, second = api.requests
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 0.95  # Retry-After: 1 was honoured
    assert stats.throttled == 1
    assert stats.retries == 0


def test_429_pauses_every_worker(api: FakeSearchApi) -> None:
    api.plans[ASSO] = ["429:1"]
    sirens = [ASSO, SAS, OTHER] * 4
    with client(api, workers=3) as c:
        answers = list(c.lookup_many(sirens))
    assert sorted(a.siren for a in answers) == sorted(sirens)
    throttled_at = next(r.at for r in api.requests if r.status == 429)
    # Requests already on their way may arrive just after the 429; none is sent during the pause.
    during = [r.at for r in api.requests if throttled_at + 0.4 < r.at < throttled_at + 0.95]
    after = [r.at for r in api.requests if r.at >= throttled_at + 0.95]
    assert during == []
    assert after


def test_5xx_are_retried_with_backoff(api: FakeSearchApi) -> None:
    api.plans[ASSO] = ["500", "503"]
    with client(api) as c:
        answer = c.lookup(ASSO)
        stats = c.stats
    assert isinstance(answer, Answer)
    assert answer.found
    assert api.statuses(ASSO) == [500, 503, 200]
    assert stats.retries == 2


def test_a_siren_that_keeps_failing_is_a_failure_not_unknown(api: FakeSearchApi) -> None:
    api.plans[ASSO] = ["503"] * 10
    with client(api, retries=2) as c:
        failure = c.lookup(ASSO)
    assert isinstance(failure, Failure)
    assert failure.reason == "l'API a répondu HTTP 503, 3 essais"
    assert api.statuses(ASSO) == [503, 503, 503]


def test_timeouts_dropped_connections_and_pages_that_are_not_json_are_retried(api: FakeSearchApi) -> None:
    api.plans[ASSO] = ["hang", "close", "html"]
    with client(api, timeout=0.3) as c:
        answer = c.lookup(ASSO)
        stats = c.stats
    assert isinstance(answer, Answer)
    assert answer.found
    assert stats.retries == 3
    assert api.statuses(ASSO) == [None, None, 200, 200]  # hang, close, the HTML 200, then the answer


def test_slow_answers_within_the_timeout_are_fine(api: FakeSearchApi) -> None:
    api.plans[SAS] = ["slow:0.2"]
    with client(api, timeout=1.0) as c:
        answer = c.lookup(SAS)
    assert isinstance(answer, Answer)
    assert answer.found


def test_wrong_address_stops_with_a_french_message(api: FakeSearchApi) -> None:
    with (
        SearchClient(api.base_url + "/autre", rate=None, backoff=0.01) as c,
        pytest.raises(ApiError, match=r"ne répond pas comme l'API Recherche d'entreprises \(HTTP 404"),
    ):
        c.lookup(ASSO)


def test_a_very_long_retry_after_stops_the_run(api: FakeSearchApi) -> None:
    api.plans[ASSO] = ["429:3600"]
    with client(api) as c, pytest.raises(ApiError, match="attendre 3600 s"):
        c.lookup(ASSO)


def test_endless_429_stop_the_run(api: FakeSearchApi) -> None:
    api.plans[ASSO] = ["429:0"] * 10
    with client(api, max_throttles=5) as c, pytest.raises(ApiError, match="5 refus de suite"):
        c.lookup(ASSO)


def test_retry_after_as_seconds_or_http_date() -> None:
    assert retry_after_seconds("3", 1.0) == 3.0
    assert retry_after_seconds(None, 1.5) == 1.5
    assert retry_after_seconds("bientôt", 2.0) == 2.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= retry_after_seconds(later, 1.0) <= 31
    earlier = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(earlier, 1.0) == 0.0


def test_an_unreachable_api_stops_after_consecutive_failures() -> None:
    import socket

    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sirens = [f"{i:08d}" + "0" for i in range(CONSECUTIVE_FAILURES + 5)]
    seen: list[Answer | Failure] = []
    with (
        SearchClient(f"http://127.0.0.1:{port}", rate=None, retries=1, backoff=0.001, workers=2) as c,
        pytest.raises(ApiError, match="l'API ne répond plus"),
    ):
        seen.extend(c.lookup_many(sirens))
    assert len(seen) >= CONSECUTIVE_FAILURES
    assert all(isinstance(s, Failure) and "erreur réseau" in s.reason for s in seen)


def test_requests_are_spaced_at_the_rate_limit(api: FakeSearchApi) -> None:
    api.rate, api.burst = 20.0, 3  # the server refuses beyond 20 requests per second, as the API does at 7
    sirens = [ASSO, SAS, OTHER] * 10
    started = time.monotonic()
    with client(api, rate=20.0, workers=4) as c:
        answers = list(c.lookup_many(sirens))
    elapsed = time.monotonic() - started
    assert len(answers) == 30
    assert elapsed >= 29 / 20 - 0.05  # not faster than the limit…
    assert elapsed < 29 / 20 + 3.0  # …and not much slower (a busy machine delays threads)
    assert 429 not in api.statuses()


def test_after_a_429_the_client_keeps_a_steady_pace(api: FakeSearchApi) -> None:
    # The server allows 10 requests per second; the client was given no limit (as for a mirror).
    api.rate, api.burst, api.retry_after = 10.0, 2, 1
    sirens = [ASSO, SAS, OTHER] * 8
    started = time.monotonic()
    with client(api, workers=3) as c:
        answers = list(c.lookup_many(sirens))
        stats = c.stats
    elapsed = time.monotonic() - started
    assert len(answers) == 24
    assert all(isinstance(a, Answer) for a in answers)
    assert api.statuses().count(200) == 24
    # A pause, then requests spaced at the published 7 per second, not bursts refused together
    # (a busy machine may delay a request enough for one more 429: each costs a 1 s pause).
    assert stats.throttled <= 4
    assert elapsed < 24 / 7 + stats.throttled + 2


def test_a_result_for_another_siren_is_not_taken() -> None:
    body = (
        b'{"results": [{"siren": "552100554", "nom_complet": "AUTRE"}], "total_results": 1, "page": 1, '
        b'"per_page": 1, "total_pages": 1}'
    )
    assert parse_payload("775671357", body) is None
    assert parse_payload("552100554", body) == {"siren": "552100554", "nom_complet": "AUTRE"}


def test_base_url_from_option_environment_or_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert api_base_url() == DEFAULT_URL
    monkeypatch.setenv(ENV_VAR, "http://127.0.0.1:9/")
    assert api_base_url() == "http://127.0.0.1:9"
    assert api_base_url("https://miroir.example.org/api/") == "https://miroir.example.org/api"
    with pytest.raises(ApiError, match="adresse http"):
        api_base_url("recherche-entreprises.api.gouv.fr")
