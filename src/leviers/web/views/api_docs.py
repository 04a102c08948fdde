"""The API's documentation page, generated from the OpenAPI schema (no CDN, no script)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from leviers.web.deps import PAGES
from leviers.web.models.api_docs import ApiIndexAnswer
from leviers.web.render import API_PREFIX, Page


def endpoints(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Every documented path with its summary, description and parameters, in path order."""
    found = []
    for path, methods in sorted(schema.get("paths", {}).items()):
        for method, operation in methods.items():
            parameters = [
                {
                    "nom": p["name"],
                    "dans": {"query": "requête", "path": "chemin"}.get(p["in"], p["in"]),
                    "obligatoire": bool(p.get("required")),
                    "description": p.get("description") or p.get("schema", {}).get("description", ""),
                    "type": _type(p.get("schema", {})),
                }
                for p in operation.get("parameters", [])
            ]
            found.append(
                {
                    "methode": method.upper(),
                    "chemin": path,
                    "resume": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parametres": parameters,
                    "etiquettes": operation.get("tags", []),
                }
            )
    return found


def _type(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if "anyOf" in schema:
        return " ou ".join(_type(s) for s in schema["anyOf"] if s.get("type") != "null")
    names = {"integer": "entier", "number": "nombre", "string": "texte", "boolean": "booléen"}
    return names.get(schema.get("type", ""), schema.get("type", ""))


@PAGES.page(
    "/api",
    name="api_docs",
    model=ApiIndexAnswer,
    api_path="",
    summary="Index de l'API",
    tags=["documentation"],
)
def api_docs(request: Request) -> Page:
    """La liste des points d'accès de l'API avec leurs paramètres, tirée du schéma OpenAPI
    (servi à `/api/v1/openapi.json`)."""
    data = {
        "openapi": f"{API_PREFIX}/openapi.json",
        "version": API_PREFIX.rsplit("/", 1)[-1],
        "points_d_acces": endpoints(request.app.openapi()),
    }
    return Page("api_docs.html", "API", data, {"active": "api_docs"})
