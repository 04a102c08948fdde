"""The explorer's table rows written in Python (leviers.web.contract_rows.contract_row) give the
same bytes as the template lines they replaced. Those lines are kept here as the reference, rendered
by the app's own Jinja environment, for every contract of the real-contracts test warehouse and for
hand-built rows of the branches it does not reach."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from leviers.warehouse.queries import contracts as q
from leviers.web import drilldown
from leviers.web.contract_rows import contract_row

# The template lines before (contracts.html at main 3c9fe2b), whitespace included: the page writes
# them with trim_blocks and lstrip_blocks.
REFERENCE = """  {% for c in data.contrats %}
    <tr>
      <td>{{ c.date_notification|date_fr }}</td>
      <td><a href="{{ c.url_acheteur }}">{{ c.acheteur_nom or c.acheteur_siren }}</a>{% if c.synthetique %} {{ synthetic_badge() }}{% endif %}</td>
      <td><a href="{{ c.url }}">{{ c.objet or "objet non publié" }}</a>{% if c.cpv %} <span class="meta ident">CPV {{ c.cpv }}{% if c.cpv_libelle %} — {{ c.cpv_libelle }}{% endif %}</span>{% endif %}</td>
      <td>{{ c.procedure or "inconnue" }}</td>
      <td class="num">{{ c.montant|euros_exact }}{% if c.montant_classe in ("suspect", "aberrant") %}<br><span class="badge badge-{{ c.montant_classe }}" title="{{ c.montant_motif }}">{{ c.montant_classe }}{% if c.montant_classe == "aberrant" %}, écarté{% endif %}</span><span class="visually-hidden"> : {{ c.montant_motif }}</span>{% endif %}</td>
      <td>{% if c.has_social is none %}<span class="unknown">inconnue ({{ c.social_unknown or "non renseignée" }})</span>{% else %}{{ (c.considerations_sociales or [])|join(", ") }}{% endif %}</td>
      <td>{% if c.has_environmental is none %}<span class="unknown">inconnue ({{ c.env_unknown or "non renseignée" }})</span>{% else %}{{ (c.considerations_environnementales or [])|join(", ") }}{% endif %}</td>
      <td>{% for t in c.titulaires %}{% if t.url %}<a href="{{ t.url }}">{{ t.nom or ("SIREN " ~ t.siren) }}</a>{% else %}{{ t.nom or t.identifiant }}{% endif %}{% if not loop.last %}, {% endif %}{% else %}<span class="unknown">inconnu</span>{% endfor %}</td>
    </tr>
  {% endfor %}
"""


def assert_same_rows(app: FastAPI, rows: list[dict[str, Any]]) -> None:
    reference = app.state.templates.env.from_string(REFERENCE)
    for row in rows:
        assert contract_row(row) == reference.render(data={"contrats": [row]}), row


def test_rows_equal_the_template_lines_on_real_contracts(real_app: FastAPI) -> None:
    """Every contract of three formats (2019, 2024, consolidated), as the explorer's page reads it."""
    found: list[dict[str, Any]] = []
    with real_app.state.store.cursor() as con:
        while True:
            rows, total = q.page_and_count(
                con, q.ContractFilters(), sort="date", limit=500, offset=len(found)
            )
            drilldown.describe_rows(con, rows)
            found += rows
            if not rows:
                break
    assert len(found) == total["contrats"] > 500
    assert_same_rows(real_app, found)
    assert any(c["has_social"] is None for c in found)
    assert any(c["has_social"] for c in found)
    assert any(c["cpv"] for c in found)
    assert any(len(c["titulaires"]) > 1 for c in found)


BASE: dict[str, Any] = {
    "date_notification": "2024-03-01",
    "url_acheteur": "/collectivites/213300635",
    "acheteur_nom": "Ville de Bordeaux",
    "acheteur_siren": "213300635",
    "synthetique": False,
    "url": "/contrats/abc",
    "objet": "Travaux d'entretien",
    "cpv": "45210000",
    "cpv_libelle": "Travaux de construction de bâtiments",
    "procedure": "Appel d'offres ouvert",
    "montant": 40000.5,
    "montant_classe": "normal",
    "montant_motif": None,
    "has_social": True,
    "social_unknown": None,
    "considerations_sociales": ["Clause sociale", "Critère social"],
    "has_environmental": False,
    "env_unknown": None,
    "considerations_environnementales": None,
    "titulaires": [
        {"identifiant": "12345678900011", "nom": "ACME", "siren": "123456789", "url": "/titulaires/123456789"}
    ],
}
VARIANTS: list[dict[str, Any]] = [
    {},
    {"synthetique": True, "acheteur_nom": None, "objet": None, "procedure": None, "montant": None},
    {"cpv": None},
    {"cpv_libelle": None},
    {"montant_classe": "suspect", "montant_motif": "au-dessus de 10 fois le seuil"},
    {"montant_classe": "aberrant", "montant_motif": "« 1e12 » <erreur> & 'saisie'", "montant": 1e12},
    {"montant_classe": None, "montant": 0.125},
    {"has_social": None, "social_unknown": "format 2019", "has_environmental": None, "env_unknown": None},
    {"considerations_sociales": [], "considerations_environnementales": ['Critère <env> & "co"']},
    {"titulaires": []},
    {
        "titulaires": [
            {"identifiant": "FR<1>", "nom": None, "siren": None, "url": None},
            {
                "identifiant": "98765432100012",
                "nom": None,
                "siren": "987654321",
                "url": "/titulaires/987654321",
            },
            {"identifiant": "X", "nom": "L'Atelier & Cie <SARL>", "siren": None, "url": None},
        ]
    },
    {"acheteur_nom": 'Commune d\'Aÿ <"test">', "objet": "Lot 1 & 2 : 'voirie' <urgent>", "cpv": "45<"},
    {"date_notification": "2023-12-31", "montant": -1234.567},
]


def test_rows_equal_the_template_lines_on_every_branch(small_app: FastAPI) -> None:
    """Unknowns, flagged amounts, suppliers with and without SIREN or name, values to escape."""
    assert_same_rows(small_app, [{**BASE, **variant} for variant in VARIANTS])
    assert "&lt;erreur&gt; &amp; &#39;saisie&#39;" in contract_row({**BASE, **VARIANTS[5]})
