"""The table of a buyer's shares of all its spending (template `_purchase_shares.html`), shown by
the SPASER draft and published pages and by « Mes achats » after an upload: each share with its
base, unknown status apart, and no percentage on too small a base. Sections are hand-made in the
shape of leviers.spaser.purchases.section."""

from __future__ import annotations

import re

from leviers.spaser import purchases as own
from leviers.spaser.purchases import INDICATORS
from leviers.web.render import Templates

HAND_MADE = {
    # 4 ESS suppliers of 10 known (3 unknown), 4 000 € of 25 500 € known: shown.
    "achats_ess": dict(
        valeur_nombre=0.4,
        valeur_montant=4000 / 25500,
        numerateur=4,
        denominateur=10,
        inconnus=3,
        montant_numerateur=4000.0,
        montant_denominateur=25500.0,
        montant_inconnu=2500.0,
        suffisant_nombre=True,
        suffisant_montant=True,
        decp_valeur_nombre=0.25,
        decp_valeur_montant=None,
        decp_suffisant_nombre=False,
        decp_suffisant_montant=None,
    ),
    # 1 insertion supplier of 2 known: a share, but on too small a base.
    "achats_siae": dict(
        valeur_nombre=0.5,
        valeur_montant=0.9,
        numerateur=1,
        denominateur=2,
        inconnus=11,
        montant_numerateur=900.0,
        montant_denominateur=1000.0,
        montant_inconnu=27000.0,
        suffisant_nombre=False,
        suffisant_montant=False,
    ),
}


def _section() -> dict[str, object]:
    empty = dict.fromkeys((*own.FIGURES, *own.DECP_FIGURES))
    return {
        "lignes": 14,
        "montant": 28000.0,
        "base_montant": "ttc",
        "lignes_sans_montant": 0,
        "fournisseurs": 13,
        "decp_marches": 3,
        "decp_montant": 120000.0,
        "indicateurs": [
            {
                "indicateur": i.id,
                "libelle": i.libelle,
                "decp_indicateur": "ess_suppliers" if i.id == "achats_ess" else None,
                "objectifs": [],
                **empty,
                **HAND_MADE.get(i.id, {}),
            }
            for i in INDICATORS.values()
        ],
    }


def _rows(objectives: bool, **section: object) -> dict[str, str]:
    template = Templates().env.get_template("_purchase_shares.html")
    page = template.render(
        a={**_section(), **section}, annee=2024, objectives=objectives, objective_status={}, groups=False
    )
    page = page.replace("\u202f", " ").replace("\xa0", " ")
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', page, re.S)
    return {
        label.replace("&#39;", "'"): re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cells)).strip()
        for label, cells in rows
    }


def test_each_share_with_its_base_and_none_on_too_small_a_base() -> None:
    rows = _rows(objectives=False)
    assert rows["Part des achats aux structures de l'ESS"] == (
        "40,0 % 4 sur 10 de statut connu, 3 de statut inconnu "
        "15,7 % 4 000 € sur 25 500 € de statut connu, 2 500 € de statut inconnu "
        "échantillon insuffisant des marchés inconnue du montant"
    )
    # 50 % of 2 known suppliers is not written: the base is.
    assert rows["Part des achats aux structures d'insertion (SIAE)"] == (
        "échantillon insuffisant 1 sur 2 de statut connu, 11 de statut inconnu "
        "échantillon insuffisant 900 € sur 1 000 € de statut connu, 27 000 € de statut inconnu "
        "pas d'indicateur sur les DECP"
    )
    # Nothing known: unknown, never 0 %.
    assert rows["Part des achats aux PME"] == (
        "inconnue aucun fournisseur de statut connu inconnue aucun montant de statut connu pas d'indicateur sur les DECP"
    )


def test_the_open_data_column_says_when_the_buyer_published_no_contract() -> None:
    rows = _rows(objectives=False, decp_marches=None, decp_montant=None)
    assert rows["Part des achats aux structures de l'ESS"].endswith("aucun marché publié")


def test_the_objectives_column_only_where_asked() -> None:
    assert all(len(re.findall("statut connu", cells)) == 2 for cells in _rows(objectives=False).values())
    template = Templates().env.get_template("_purchase_shares.html")
    with_column = template.render(
        a=_section(), annee=2024, objectives=True, objective_status={}, groups=False
    )
    without = template.render(a=_section(), annee=2024, objectives=False, objective_status={}, groups=False)
    assert '<th scope="col">Objectif</th>' in with_column
    assert '<th scope="col">Objectif</th>' not in without


def _group(name: str, amount: float, ess: tuple[int, int, int, float | None, bool]) -> dict[str, object]:
    numerator, denominator, unknown, share, sufficient = ess
    parts = [
        {
            "critere": i.critere,
            "libelle": i.libelle,
            "valeur_nombre": None,
            "valeur_montant": share if i.id == "achats_ess" else None,
            "numerateur": numerator if i.id == "achats_ess" else 0,
            "denominateur": denominator if i.id == "achats_ess" else 0,
            "inconnus": unknown,
            "suffisant_nombre": False,
            "suffisant_montant": sufficient if i.id == "achats_ess" else False,
        }
        for i in INDICATORS.values()
    ]
    return {
        "groupe": name,
        "lignes": 3,
        "fournisseurs": 3,
        "montant": amount,
        "lignes_sans_montant": 0,
        "parts": parts,
    }


def test_shares_by_group_each_with_its_base_at_most_the_largest() -> None:
    section = {
        **_section(),
        "par_groupe": [
            {
                "dimension": "entite",
                "libelle": "Entité acheteuse",
                "groupes": [
                    _group("Voirie", 20000.0, (4, 10, 0, 0.2, True)),
                    _group("Écoles", 5000.0, (1, 2, 1, 0.6, False)),
                    _group("Culture", 3000.0, (0, 0, 3, None, False)),
                ],
            }
        ],
    }
    template = Templates().env.get_template("_purchase_shares.html")
    page = (
        template.render(
            a=section, annee=2024, objectives=False, objective_status={}, groups=True, max_groups=2
        )
        .replace("\u202f", " ")
        .replace("\xa0", " ")
    )
    table = page.split("par entité acheteuse (colonne du fichier)")[1]
    rows = {
        name: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cells)).strip()
        for name, cells in re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', table, re.S)
    }
    assert list(rows) == ["Voirie", "Écoles"]  # the two largest amounts
    assert rows["Voirie"].startswith("3 lignes 20 000 € 20,0 % 4 sur 10 fournisseurs connus ")
    assert rows["Écoles"].startswith(
        "3 lignes 5 000 € échantillon insuffisant 1 sur 2 fournisseurs connus, 1 inconnu "
    )
    assert "2 groupes sur 3, les plus gros montants d'abord" in page
    # A criterion with no supplier of known status in the group: unknown, never « 0 sur 0 ».
    assert "inconnue aucun fournisseur connu" in rows["Voirie"]
    assert "0 sur 0" not in page
    # A published report has no groups: nothing of them is shown.
    assert "colonne du fichier" not in template.render(
        a=_section(), annee=2024, objectives=True, objective_status={}, groups=True, max_groups=15
    )
