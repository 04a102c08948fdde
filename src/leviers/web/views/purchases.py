"""« Mes achats »: the buyer uploads a purchase file to its local private store, from the dashboard.

Local mode only: the upload runs the same ingest as `leviers ingest --prive` (leviers.purchases)
into the private store beside the warehouse, and the page shows that file's reconciled counts and
quarantine reasons, then the shares of all the spending of each buyer and year the file holds (the
SPASER report's « achats » section, leviers.spaser.purchases: the store's lines of that buyer and
year, every file loaded, against the warehouse's statuses and DECP). Nothing of the private store is
shown by a GET: only the answer to the upload itself carries private values, to the browser that
sent the file. A dashboard served to other machines (`--adresse` beyond loopback) or in hosted mode
(`--heberge`) refuses uploads: hosted uploads will go to the PostgreSQL workspaces of issue #20.

Forms of local mode have no session: the form carries a token drawn once per server process
(`app.state.upload_token`), which another site cannot read (same-origin policy), and a POST whose
Origin or Sec-Fetch-Site says it comes from elsewhere is refused.
"""

from __future__ import annotations

import re
import secrets
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from leviers.errors import LeviersError
from leviers.purchases.store import LocalStore
from leviers.spaser import purchases as own
from leviers.warehouse import open_warehouse
from leviers.web.render import Page

router = APIRouter(include_in_schema=False)
PATH = "/mes-achats"
SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods")
MAX_REASONS = 100  # quarantine reasons shown on the page (the count says how many in all)
MAX_SHARES = 3  # (buyer, year) pairs of a file whose shares the answer computes; the rest are named
# Past this many lines for one buyer and year (the store may hold a large export loaded by the
# command), the answer names the command instead of computing the shares: the store sums them per
# supplier and place first, but 5 M lines whose suppliers and places all differ still take about
# 8 s and 2 GB of the server's memory (2026-12-08); a realistic million lines, about 1.5 s.
MAX_SHARE_LINES = 1_000_000
TOKEN_FIELD = "jeton"
_ingesting = threading.Lock()  # one upload at a time writes the private store (a DuckDB file)


@dataclass
class Outcome:
    """What the page shows after an upload (one file)."""

    name: str
    errors: list[str] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)


def upload_token(request: Request) -> str:
    state = request.app.state
    token: str | None = getattr(state, "upload_token", None)
    if token is None:
        token = state.upload_token = secrets.token_urlsafe(32)
    return token


def refusal(request: Request) -> str | None:
    """Why this server takes no upload, or None (local mode on loopback)."""
    settings = request.app.state.settings
    if settings.heberge:
        return (
            "En mode hébergé, le dépôt de fichiers d'achats n'est pas encore ouvert : il se fera dans "
            "l'espace de travail privé de votre organisation. En attendant, chargez vos achats sur votre "
            "poste (tableau de bord local, ou ligne de commande)."
        )
    if settings.hosted:
        return (
            "Ce tableau de bord est servi à d'autres machines : le dépôt de fichiers d'achats, données "
            "privées, n'y est pas ouvert. Chargez vos achats sur votre poste (ce formulaire d'un tableau de "
            "bord local, ou ligne de commande)."
        )
    return None


def _page(request: Request, *, status: int = 200, **context: Any) -> HTMLResponse:
    settings = request.app.state.settings
    values = {
        "refusal": refusal(request),
        "token": upload_token(request),
        "token_field": TOKEN_FIELD,
        "max_mb": settings.max_upload_bytes // (1024 * 1024),
        "outcome": None,
        "error": None,
        "acheteur": "",
        "montant": "",
        **context,
    }
    page = Page("my_purchases.html", "Mes achats", {}, context=values, status=status)
    response: HTMLResponse = request.app.state.templates.render(request, page)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(PATH, name="my_purchases", response_class=HTMLResponse)
def my_purchases(request: Request) -> HTMLResponse:
    return _page(request)


def _same_origin(request: Request) -> bool:
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def safe_name(name: str) -> str:
    """The uploaded file's name as shown and kept in the store's log: its last part, plain characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = re.sub(r"[^\w.\- ]", "_", base).strip(" .")[:120]
    return cleaned or "achats"


@router.post(PATH, name="my_purchases_upload", response_class=HTMLResponse)
async def upload(request: Request) -> HTMLResponse:
    refused = refusal(request)
    if refused is not None:
        return _page(request, status=403)
    if not _same_origin(request):
        return _page(request, status=403, error=FORM_EXPIRED)
    async with request.form(max_files=1, max_fields=8) as form:
        given = form.get(TOKEN_FIELD)
        if not isinstance(given, str) or not secrets.compare_digest(given, upload_token(request)):
            return _page(request, status=403, error=FORM_EXPIRED)
        acheteur = str(form.get("acheteur") or "").strip()
        montant = str(form.get("montant") or "").strip()
        keep = {"acheteur": acheteur, "montant": montant}
        upload = form.get("fichier")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _page(
                request, status=400, error="Choisissez un fichier d'achats (CSV, XLSX ou ODS).", **keep
            )
        name = safe_name(upload.filename)
        if not name.lower().endswith(SUFFIXES):
            return _page(
                request,
                status=400,
                error=f"« {name} » : seuls les fichiers CSV, XLSX, XLSM, XLS et ODS sont lus.",
                **keep,
            )
        outcome = await run_in_threadpool(_ingest, request, upload, name, acheteur, montant)
    status = 200 if outcome.reports else 422
    return _page(request, status=status, outcome=outcome, **keep)


FORM_EXPIRED = (
    "Ce formulaire n'est plus valable (serveur relancé depuis l'ouverture de la page, ou envoi depuis un "
    "autre site) : rechargez la page, puis recommencez."
)


def _ingest(request: Request, upload: UploadFile, name: str, acheteur: str, montant: str) -> Outcome:
    """Copy the upload to a folder of its own under its own name, and load it: one transaction,
    the same checks, counts and messages as `leviers ingest --prive`."""
    warehouse: Path = request.app.state.settings.db_path
    outcome = Outcome(name)
    with tempfile.TemporaryDirectory(prefix="leviers-achats-") as folder:
        path = Path(folder) / name
        upload.file.seek(0)
        with path.open("wb") as out:
            while chunk := upload.file.read(1024 * 1024):
                out.write(chunk)
        prefix = str(path.resolve().parent) + "/"
        try:
            with _ingesting, LocalStore.beside(warehouse) as store:
                result = store.ingest([path], acheteur=acheteur or None, montant=montant or None)[0]
                outcome.errors = [_for_the_form(e.message, prefix) for e in result.errors]
                for report in result.reports:
                    outcome.reports.append(_report(store, report, prefix))
                    outcome.reports[-1].update(_shares(warehouse, store, report.ingestion_id))
        except LeviersError as exc:
            outcome.errors.append(_for_the_form(exc.message, prefix))
    return outcome


def _shares(warehouse: Path, store: LocalStore, ingestion_id: int | None) -> dict[str, Any]:
    """The shares of all the spending of the buyers and years of one loaded file (at most
    MAX_SHARES pairs, the latest years first; the others named), or why they cannot be given."""
    pairs = (
        []
        if ingestion_id is None
        else store.con.execute(
            """
            SELECT f.acheteur_siren, f.annee,
                (SELECT count(*) FROM purchase_lines AS p
                 WHERE p.acheteur_siren = f.acheteur_siren AND p.annee = f.annee) AS lignes
            FROM (SELECT acheteur_siren, annee, count(*) AS n FROM purchase_lines
                  WHERE ingestion_id = ? GROUP BY ALL) AS f
            ORDER BY f.annee DESC, f.n DESC, f.acheteur_siren
            """,
            [ingestion_id],
        ).fetchall()
    )
    out: dict[str, Any] = {
        "parts": [],
        "autres": [{"siren": s, "annee": int(y)} for s, y, _ in pairs[MAX_SHARES:]],
        "parts_erreur": None,
    }
    if not pairs:
        return out
    try:
        with open_warehouse(warehouse, read_only=True) as con:
            for siren, year, lines in pairs[:MAX_SHARES]:
                if lines > MAX_SHARE_LINES:
                    count = f"{lines:,}".replace(",", "\u202f")
                    reason = (
                        f"{count} lignes d'achats de {year} pour cet acheteur dans l'espace privé : trop pour "
                        f"les calculer dans cette page ; sur ce poste, `leviers achats parts --siren {siren} "
                        f"--annee {year}` les donne"
                    )
                    out["parts"].append({"siren": siren, "annee": int(year), **own.section(None, reason)})
                    continue
                shares, reason = own.from_store(con, store, siren, int(year))
                out["parts"].append({"siren": siren, "annee": int(year), **own.section(shares, reason)})
    except LeviersError as exc:
        out["parts"], out["parts_erreur"] = [], exc.message
    except duckdb.Error as exc:  # the file is loaded all the same: the answer says so, and why no share
        out["parts"], out["parts_erreur"] = [], f"l'entrepôt n'a pas pu être lu ({exc})"
    return out


# The ingest speaks of the command's options; the form has fields for them.
_OPTION_WORDS = (
    ("--prive ne charge que", "ce formulaire ne charge que"),
    ("chargez-le sans --prive", "chargez-le avec les données ouvertes, en ligne de commande"),
    ("--montant ht ou --montant ttc", "le champ « Une colonne « Montant » sans HT ni TTC se lit comme »"),
    ("--acheteur SIREN", "le champ « SIREN de l'acheteur »"),
    ("--acheteur", "SIREN de l'acheteur"),
)


def _for_the_form(message: str, prefix: str) -> str:
    message = message.replace(prefix, "")
    for option, words in _OPTION_WORDS:
        message = message.replace(option, words)
    return message


def _report(store: LocalStore, report: Any, prefix: str) -> dict[str, Any]:
    reasons = store.con.execute(
        "SELECT reason FROM quarantine WHERE ingestion_id = ? ORDER BY record_index, reason LIMIT ?",
        [report.ingestion_id, MAX_REASONS],
    ).fetchall()
    warnings = store.con.execute(
        "SELECT count(*) FROM record_warnings WHERE ingestion_id = ?", [report.ingestion_id]
    ).fetchone()
    return {
        "records": report.records,
        "loaded": report.loaded,
        "quarantined": report.quarantined,
        "duplicates": report.duplicates,
        "already": report.status == "deja_charge",
        "notes": [_for_the_form(n, prefix) for n in report.notes],
        "reasons": [_for_the_form(r[0], prefix) for r in reasons],
        "warnings": int(warnings[0]) if warnings else 0,
    }
