"""The API's index, drawn from the OpenAPI document."""

from __future__ import annotations

from leviers.web.models.common import Answer


class Parameter(Answer):
    nom: str
    dans: str
    obligatoire: bool
    description: str
    type: str


class Endpoint(Answer):
    methode: str
    chemin: str
    resume: str
    description: str
    parametres: list[Parameter]
    etiquettes: list[str]


class ApiIndexAnswer(Answer):
    openapi: str
    version: str
    points_d_acces: list[Endpoint]
