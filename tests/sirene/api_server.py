"""A local look-alike of the Recherche d'entreprises API (`GET /search`), for tests and benchmarks.

It answers on 127.0.0.1 in the shape of the public API's documentation (open-api.yml of
annuaire-entreprises-data-gouv-fr/search-api: `results`, `total_results`, `page`, `per_page`,
`total_pages`; each result with `siren`, `nom_complet`, `nature_juridique`…, and `complements`
with `est_ess`, `est_siae`, `type_siae`, `identifiant_association`…). The units it knows are
written by the tests (hand-built, labelled synthetic) or generated from the SIREN (benchmarks).

Each SIREN may have a plan: what to answer to its next requests before the normal answer —
`"429:N"` (Too Many Requests with `Retry-After: N`), `"500"`, `"503"`, `"hang"` (never answer:
the client's timeout fires), `"close"` (drop the connection), `"html"` (a 200 that is not JSON).
A global limit (`rate` requests per second, with `burst`) answers 429 beyond it, as the API does.

The server is a bare asyncio protocol (HTTP/1.1, keep-alive), so that a benchmark measures the
client rather than the server. Run alone: `python -m tests.sirene.api_server --synthetique`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

SYNTHETIC_PREFIX = "[SYNTHÉTIQUE] "


def api_unit(
    siren: str,
    nature_juridique: str | None = "5710",
    *,
    nom: str | None = None,
    est_ess: bool | None = False,
    est_siae: bool = False,
    type_siae: str | None = None,
    identifiant_association: str | None = None,
    categorie_entreprise: str | None = "PME",
    etat_administratif: str = "A",
    date_creation: str | None = "2015-03-01",
    date_mise_a_jour_insee: str | None = "2025-06-12T03:10:41",
    activite_principale: str | None = "88.99B",
    tranche_effectif_salarie: str | None = "11",
    statut_diffusion: str = "O",
    **other: Any,
) -> dict[str, Any]:
    """One result of `/search?minimal=true&include=complements`, as the API documents it."""
    name = nom if nom is not None else f"{SYNTHETIC_PREFIX}UNITE {siren}"
    result: dict[str, Any] = {
        "siren": siren,
        "nom_complet": name,
        "nom_raison_sociale": name,
        "sigle": None,
        "nombre_etablissements": 1,
        "nombre_etablissements_ouverts": 1 if etat_administratif == "A" else 0,
        "activite_principale": activite_principale,
        "activite_principale_naf25": None,
        "categorie_entreprise": categorie_entreprise,
        "caractere_employeur": "O",
        "annee_categorie_entreprise": "2022" if categorie_entreprise else None,
        "date_creation": date_creation,
        "date_fermeture": None if etat_administratif == "A" else "2024-12-31",
        "date_mise_a_jour": date_mise_a_jour_insee,
        "date_mise_a_jour_insee": date_mise_a_jour_insee,
        "date_mise_a_jour_rne": None,
        "etat_administratif": etat_administratif,
        "nature_juridique": nature_juridique,
        "section_activite_principale": "Q",
        "tranche_effectif_salarie": tranche_effectif_salarie,
        "annee_tranche_effectif_salarie": "2022" if tranche_effectif_salarie else None,
        "statut_diffusion": statut_diffusion,
        "complements": {
            "collectivite_territoriale": None,
            "convention_collective_renseignee": False,
            "liste_idcc": None,
            "egapro_renseignee": False,
            "est_achats_responsables": False,
            "est_alim_confiance": False,
            "est_association": bool(identifiant_association) or str(nature_juridique or "").startswith("92"),
            "est_bio": False,
            "est_entrepreneur_individuel": nature_juridique == "1000",
            "est_entrepreneur_spectacle": False,
            "est_ess": est_ess,
            "est_finess": False,
            "est_organisme_formation": False,
            "est_qualiopi": False,
            "est_rge": False,
            "est_siae": est_siae,
            "est_societe_mission": False,
            "est_uai": False,
            "est_patrimoine_vivant": False,
            "bilan_ges_renseigne": False,
            "identifiant_association": identifiant_association,
            "statut_entrepreneur_spectacle": None,
            "type_siae": type_siae,
        },
    }
    result.update(other)
    return result


def synthetic_unit(siren: str) -> dict[str, Any] | None:
    """A plausible unit derived from the SIREN (benchmarks): 3 % unknown to the API, a mix of legal
    forms, associations flagged ESS, a few SIAE. Names are marked synthetic."""
    h = int.from_bytes(hashlib.blake2b(siren.encode(), digest_size=4).digest(), "big")
    if h % 100 < 3:
        return None
    forms = ("5710", "5499", "9220", "1000", "7210", "5458", "6540", "9220", "5710", "5599")
    cj = forms[h % len(forms)]
    ess = cj in ("9220", "5458") or h % 97 == 0
    siae = h % 53 == 0
    return api_unit(
        siren,
        cj,
        est_ess=ess,
        est_siae=siae,
        type_siae=("ACI", "EI", "EA", "ETTI")[h % 4] if siae else None,
        identifiant_association=f"W{h % 10**9:09d}" if cj == "9220" else None,
        categorie_entreprise=("PME", "PME", "ETI", None)[h % 4],
    )


@dataclass
class Request:
    at: float  # time.monotonic()
    path: str
    siren: str | None
    status: int | None  # None: no answer (hang, close)


@dataclass
class FakeSearchApi:
    units: dict[str, dict[str, Any]] = field(default_factory=dict)
    generate: Callable[[str], dict[str, Any] | None] | None = None  # for SIRENs not in `units`
    plans: dict[str, list[str]] = field(default_factory=dict)  # SIREN → actions before the answer
    rate: float | None = None  # requests per second beyond which the server answers 429
    burst: int = 1
    retry_after: int = 1
    record: bool = True
    requests: list[Request] = field(default_factory=list)
    port: int = 0
    _tat: float = 0.0  # GCRA: theoretical arrival time of the next request
    _bodies: dict[str, bytes] = field(default_factory=dict)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _server: asyncio.base_events.Server | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def statuses(self, siren: str | None = None) -> list[int | None]:
        return [r.status for r in self.requests if siren is None or r.siren == siren]

    def asked(self) -> list[str]:
        """SIRENs of the requests answered 200, in order."""
        return [r.siren for r in self.requests if r.status == 200 and r.siren]

    # -- answers -------------------------------------------------------------------------------

    def payload(self, siren: str) -> bytes:
        body = self._bodies.get(siren)
        if body is None:
            unit = self.units.get(siren)
            if unit is None and self.generate is not None and siren not in self.units:
                unit = self.generate(siren)
            results = [unit] if unit is not None else []
            body = json.dumps(
                {
                    "results": results,
                    "total_results": len(results),
                    "page": 1,
                    "per_page": 1,
                    "total_pages": len(results),
                },
                ensure_ascii=False,
            ).encode()
            if self.generate is not None:
                self._bodies[siren] = body
        return body

    def _throttled(self) -> int | None:
        """Seconds to wait when the global limit is exceeded (GCRA, like a leaky bucket)."""
        if not self.rate:
            return None
        now = time.monotonic()
        interval = 1 / self.rate
        tolerance = interval * (self.burst - 1)
        if now < self._tat - tolerance:
            return (
                self.retry_after if self.retry_after > 0 else max(1, math.ceil(self._tat - tolerance - now))
            )
        self._tat = max(self._tat, now) + interval
        return None

    def answer(self, target: str) -> tuple[str, int, bytes, dict[str, str], str | None]:
        """(action, status, body, headers, siren): action is 'send', 'hang', 'close' or 'later:S'."""
        parts = urlsplit(target)
        query = parse_qs(parts.query)
        siren = (query.get("q") or [None])[0]
        if parts.path != "/search":
            return "send", 404, b'{"erreur": "Not Found"}', {}, siren
        if not siren:
            return (
                "send",
                400,
                json.dumps({"erreur": "Veuillez indiquer au moins un paramètre de recherche."}).encode(),
                {},
                siren,
            )
        plan = self.plans.get(siren)
        if plan:
            action = plan.pop(0)
            if action.startswith("429"):
                seconds = action.partition(":")[2] or str(self.retry_after)
                return "send", 429, b'{"erreur": "Too Many Requests"}', {"Retry-After": seconds}, siren
            if action in ("500", "502", "503", "504"):
                return "send", int(action), b"<html>Service indisponible</html>", {}, siren
            if action == "html":
                return "send", 200, b"<html><body>Maintenance</body></html>", {}, siren
            if action.startswith("slow:"):
                return f"later:{action.partition(':')[2]}", 200, self.payload(siren), {}, siren
            return action, 0, b"", {}, siren  # hang | close
        wait = self._throttled()
        if wait is not None:
            return "send", 429, b'{"erreur": "Too Many Requests"}', {"Retry-After": str(wait)}, siren
        return "send", 200, self.payload(siren), {}, siren

    # -- serving -------------------------------------------------------------------------------

    def start(self) -> FakeSearchApi:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._server = loop.run_until_complete(
                loop.create_server(lambda: _Protocol(self), "127.0.0.1", self.port)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            self._server.close()
            loop.run_until_complete(self._server.wait_closed())
            loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)

    def serve_forever(self) -> None:
        self.start()
        assert self._thread is not None
        self._thread.join()


_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


class _Protocol(asyncio.Protocol):
    def __init__(self, api: FakeSearchApi) -> None:
        self.api = api
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            method, target, _version = [*request_line.split(" "), "", ""][:3]
            action, status, body, headers, siren = self.api.answer(target)
            if self.api.record:
                self.api.requests.append(
                    Request(time.monotonic(), urlsplit(target).path, siren, status or None)
                )
            if action == "close":
                assert self.transport is not None
                self.transport.close()
                return
            if action == "hang":
                continue
            response = self._response(status, body, headers, head_only=method == "HEAD")
            if action.startswith("later:"):
                loop = asyncio.get_running_loop()
                loop.call_later(float(action.partition(":")[2]), self._write, response)
            else:
                self._write(response)

    def _write(self, response: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(response)

    @staticmethod
    def _response(status: int, body: bytes, headers: Mapping[str, str], head_only: bool = False) -> bytes:
        reason = _REASONS.get(status, "Service Unavailable" if status >= 500 else "Error")
        lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
        lines.append("Content-Type: " + ("application/json" if body.startswith(b"{") else "text/html"))
        lines += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + (b"" if head_only else body)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="Local look-alike of the Recherche d'entreprises API")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--synthetique", action="store_true", help="answer every SIREN with a generated unit")
    parser.add_argument("--limite", type=float, default=0.0, help="requests per second before 429 (0: none)")
    parser.add_argument("--rafale", type=int, default=1)
    args = parser.parse_args(argv)
    api = FakeSearchApi(
        generate=synthetic_unit if args.synthetique else None,
        rate=args.limite or None,
        burst=args.rafale,
        record=False,
    )
    api.start()
    print(api.port, flush=True)  # the parent reads the port on the first line
    try:
        assert api._thread is not None
        api._thread.join()
    except KeyboardInterrupt:
        api.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
