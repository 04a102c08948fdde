"""Errors as a French page or a JSON error, never a stack trace.

Paths under /api/ get JSON (`{"erreur": {"statut", "titre", "message", "details"}}`), the others
an HTML page in the site's layout. Unexpected exceptions are logged server-side with their trace
and shown to the user as a plain « erreur interne ».
"""

from __future__ import annotations

import logging
import re
from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from leviers.errors import LeviersError
from leviers.web.limits import Overloaded
from leviers.web.render import API_PREFIX, JSONBody

log = logging.getLogger("leviers.web")

TITLES = {
    400: "Requête invalide",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    413: "Requête trop volumineuse",
    414: "Adresse trop longue",
    422: "Paramètres invalides",
    429: "Trop de requêtes",
    500: "Erreur interne",
    503: "Service indisponible",
}


class NotFound(LeviersError):
    """What the address names does not exist (unknown SIREN, contract…)."""


class BadRequest(LeviersError):
    """The request is well formed but cannot be answered as asked (too many rows for a workbook…)."""


def wants_json(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/") or path.startswith("/api/")


# What a reader can do next, by status, said in the page's terms (links are added by error.html).
NEXT_STEPS = {
    400: "Corrigez la valeur indiquée puis relancez.",
    413: "Envoyez une demande plus courte.",
    414: "Raccourcissez la recherche ou retirez des filtres, puis relancez.",
    422: "Corrigez les champs indiqués, ou repartez du formulaire vide.",
    429: "Patientez une minute, puis rechargez la page.",
    500: "Rechargez la page dans un instant ; si l'erreur revient, signalez-la avec l'adresse de la page.",
    503: "Rechargez la page dans un instant.",
}


def error_response(
    app: Any,
    path: str,
    status: int,
    title: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
) -> Response:
    if wants_json(path):
        body: dict[str, Any] = {"statut": status, "titre": title, "message": message}
        if details:
            body["details"] = details
        return JSONBody({"erreur": body}, status_code=status)
    try:
        html = app.state.templates.render_error(
            app,
            status,
            title,
            message,
            details=details or [],
            next_step=NEXT_STEPS.get(status),
            # The same page without its parameters: the form to fill again (not for a missing page).
            back=path if status in (400, 422) and path != "/" else None,
        )
    except Exception:  # the error page itself failed: plain text, still in French
        log.exception("page d'erreur impossible à produire")
        html = (
            f"<!doctype html><html lang='fr'><title>{escape(title)}</title>"
            f"<h1>{escape(title)}</h1><p>{escape(message)}</p></html>"
        )
    return HTMLResponse(html, status_code=status)


# French messages for the validation errors users can cause through the address bar.
def _french_choices(expected: str) -> str:
    """Pydantic's « 'fr' or 'machine' » → « « fr » ou « machine » »."""
    values = re.findall(r"'([^']*)'", expected)
    if not values:
        return expected
    quoted = [f"« {v} »" for v in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " ou " + quoted[-1]


def _validation_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    choices = _french_choices(str(ctx.get("expected", "")))
    messages = {
        "missing": "paramètre obligatoire absent",
        "int_parsing": "nombre entier attendu",
        "int_from_float": "nombre entier attendu",
        "float_parsing": "nombre attendu (point décimal : 1234.5)",
        "bool_parsing": "oui/non attendu (true ou false)",
        "date_parsing": "date attendue au format AAAA-MM-JJ",
        "date_from_datetime_parsing": "date attendue au format AAAA-MM-JJ",
        "string_too_short": f"trop court (au moins {ctx.get('min_length')} caractères)",
        "string_too_long": f"trop long (au plus {ctx.get('max_length')} caractères)",
        "string_pattern_mismatch": "format inattendu",
        "greater_than_equal": f"doit valoir au moins {ctx.get('ge')}",
        "greater_than": f"doit dépasser {ctx.get('gt')}",
        "less_than_equal": f"doit valoir au plus {ctx.get('le')}",
        "less_than": f"doit rester sous {ctx.get('lt')}",
        "literal_error": f"valeur inattendue (valeurs possibles : {choices})",
        "enum": f"valeur inattendue (valeurs possibles : {choices})",
    }
    return messages.get(kind, "valeur invalide")


def parameter_labels(route: Any) -> dict[str, str]:
    """Each query or path parameter of a route → what its form or its documentation calls it (its
    description up to a colon, without a « par défaut » aside), so that an error speaks of « Année de
    notification », not « annee »."""
    labels: dict[str, str] = {}
    pending = [getattr(route, "dependant", None)]
    while pending:
        dependant = pending.pop()
        if dependant is None:
            continue
        for field in [*dependant.query_params, *dependant.path_params]:
            description = (field.field_info.description or "").split(" : ")[0]
            short = re.sub(r"\s*\(par défaut[^)]*\)|, par défaut.*$", "", description).strip()
            if short:
                labels[field.alias] = short[0].upper() + short[1:]
        pending.extend(dependant.dependencies)
    return labels


def validation_details(
    exc: RequestValidationError, labels: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    details = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body")]
        name = ".".join(location) or "requête"
        details.append(
            {
                "parametre": name,
                "libelle": (labels or {}).get(name, name),
                "message": _validation_message(error),
                "valeur": error.get("input") if not isinstance(error.get("input"), dict) else None,
            }
        )
    return details


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        title = TITLES.get(status, "Erreur")
        if status == 404:
            message = "Aucune page ne correspond à cette adresse. Revenez à l'accueil pour chercher une collectivité."
        elif status == 405:
            message = "Cette adresse ne s'utilise pas ainsi (méthode HTTP non prise en charge)."
        else:
            message = exc.detail if isinstance(exc.detail, str) and exc.detail else title
        response = error_response(request.app, request.url.path, status, title, message)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_parameters(request: Request, exc: RequestValidationError) -> Response:
        details = validation_details(exc, parameter_labels(request.scope.get("route")))
        listed = " ; ".join(f"« {d['libelle']} » : {d['message']}" for d in details)
        return error_response(
            request.app, request.url.path, 422, TITLES[422], f"Paramètres à corriger — {listed}.", details
        )

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return error_response(request.app, request.url.path, 404, TITLES[404], exc.message)

    @app.exception_handler(Overloaded)
    async def overloaded(request: Request, exc: Overloaded) -> Response:
        response = error_response(request.app, request.url.path, exc.status, exc.title, exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(LeviersError)
    async def user_error(request: Request, exc: LeviersError) -> Response:
        return error_response(request.app, request.url.path, 400, TITLES[400], exc.message)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        log.exception("erreur interne sur %s", request.url.path)
        return error_response(
            request.app,
            request.url.path,
            500,
            TITLES[500],
            "Une erreur inattendue s'est produite ; elle a été consignée dans le journal du serveur. "
            "Réessayez, ou signalez-la avec l'adresse de la page.",
        )
