"""The needs of ESS organisations (issue #20, item 4): declared in the organisation's workspace,
private unless the organisation chooses otherwise, and aggregated on public pages.

Two kinds of access, never mixed:
- **the organisation's own needs** (`own`, `create`, `update`, `delete`): inside
  `tenancy.workspace_session`, so PostgreSQL's row-level security limits every statement to the
  workspace's rows; creations, changes and deletions are written to its audit log;
- **what is public** (`aggregates`, `detailed`, `table_rows`, `count_on`): read from `needs_public`,
  which the migration's trigger fills with the public part of each need and nothing else (see
  migrations/versions/0004_needs.py). These functions never touch `needs`.

Vocabularies: stages and uses are those of the scheme catalogue (leviers.aides.vocabulary), themes
the kit's 14 policy areas, territories the COG codes of the shipped reference data.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import psycopg

from leviers.aides.profile import communes, departements, regions
from leviers.aides.vocabulary import BESOINS, ETAPES, themes
from leviers.hosted import audit, secrecy

FORMS: dict[str, str] = {
    "subvention": "Subvention",
    "pret": "Prêt",
    "fonds_propres": "Fonds propres",
    "quasi_fonds_propres": "Quasi-fonds propres",
    "garantie": "Garantie",
    "commande_publique": "Commande publique",
}
HORIZONS: dict[str, str] = {
    "moins_6_mois": "Moins de 6 mois",
    "6_12_mois": "De 6 à 12 mois",
    "1_3_ans": "De 1 à 3 ans",
    "plus_3_ans": "Plus de 3 ans",
}
VISIBILITIES: dict[str, str] = {
    "prive": "Privé : visible des seuls membres de l'espace",
    "agrege": "Public, agrégé seulement : compté dans les totaux publics, sans objet ni nom",
    "detail": "Public en détail : objet, montant et nom de l'organisation visibles de tous",
}
FIELDS: dict[str, str] = {
    "purpose": "Objet du besoin",
    "amount": "Montant (euros)",
    "form": "Forme de financement",
    "horizon": "Horizon",
    "region": "Région",
    "departement": "Département",
    "commune": "Commune",
    "theme": "Politique publique (thème)",
    "stage": "Étape de la vie de la structure",
    "usage": "Usage du financement",
    "visibility": "Visibilité",
}
MAX_AMOUNT = Decimal("999999999999")
# Public listings of detailed needs are bounded (the detail CSV has them all); the aggregates
# cover every need.
DETAIL_LIMIT = 50


@dataclass(frozen=True)
class Need:
    """A need as declared (validated: every code is one of the vocabularies)."""

    purpose: str
    amount: Decimal | None
    form: str
    horizon: str
    region: str
    departement: str | None
    commune: str | None
    theme: str
    stage: str
    usage: str | None
    visibility: str

    def territory_label(self) -> str:
        return territory_label(self.region, self.departement, self.commune)


def territory_label(region: str, departement: str | None, commune: str | None) -> str:
    if commune:
        name = communes().get(commune, (commune,))[0]
        return f"{name} ({commune})"
    if departement:
        return f"{departements().get(departement, (departement,))[0]} ({departement})"
    return regions().get(region, region)


class Invalid(ValueError):
    """The form's faults: field → French message naming the field and the cause."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def parse_amount(text: str) -> Decimal | None:
    """« 12 500 », « 12500,50 », « 12 500 € » → Decimal; empty → None (unknown); else ValueError."""
    cleaned = re.sub(r"[\s\u00a0\u202f€]", "", text or "")
    if not cleaned:
        return None
    if not re.fullmatch(r"\d+([.,]\d{1,2})?", cleaned):
        raise ValueError(text)
    try:
        return Decimal(cleaned.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(text) from exc


def validate(form: dict[str, str]) -> Need:
    """A need from the form's fields, or Invalid with one French message per faulty field."""
    errors: dict[str, str] = {}

    def choice(name: str, allowed: dict[str, str], required: bool = True) -> str | None:
        value = (form.get(name) or "").strip()
        if not value:
            if required:
                errors[name] = f"{FIELDS[name]} : à choisir."
            return None
        if value not in allowed:
            errors[name] = f"{FIELDS[name]} : « {value[:60]} » n'est pas un choix proposé."
            return None
        return value

    purpose = " ".join((form.get("purpose") or "").split())
    if len(purpose) < 3:
        errors["purpose"] = (
            f"{FIELDS['purpose']} : décrivez le besoin en quelques mots (3 caractères au moins)."
        )
    elif len(purpose) > 2000:
        errors["purpose"] = f"{FIELDS['purpose']} : 2 000 caractères au plus ({len(purpose)} saisis)."
    amount: Decimal | None = None
    try:
        amount = parse_amount(form.get("amount") or "")
    except ValueError:
        errors["amount"] = (
            f"{FIELDS['amount']} : « {(form.get('amount') or '')[:40]} » n'est pas un montant en euros "
            "(exemples : 15000, 15 000, 15000,50). Laissez vide si le montant n'est pas encore connu."
        )
    if amount is not None and not Decimal(0) < amount <= MAX_AMOUNT:
        errors["amount"] = (
            f"{FIELDS['amount']} : le montant doit être positif (et inférieur à mille milliards)."
        )
        amount = None
    kind = choice("form", FORMS)
    horizon = choice("horizon", HORIZONS)
    theme = choice("theme", themes())
    stage = choice("stage", ETAPES)
    usage = choice("usage", BESOINS, required=False)
    visibility = choice("visibility", VISIBILITIES)
    region = (form.get("region") or "").strip() or None
    departement = (form.get("departement") or "").strip().upper() or None
    commune = (form.get("commune") or "").strip().upper() or None
    if commune is not None:
        found = communes().get(commune)
        if found is None:
            errors["commune"] = (
                f"{FIELDS['commune']} : « {commune[:20]} » n'est pas un code de commune du COG "
                "(5 caractères, exemple : 33063 pour Bordeaux)."
            )
            commune = None
        else:
            if departement is not None and departement != found[1]:
                errors["departement"] = (
                    f"{FIELDS['departement']} : la commune {found[0]} ({commune}) est dans le département "
                    f"{found[1]}, pas {departement}."
                )
            departement = found[1]
            if region is not None and region != found[2]:
                errors["region"] = (
                    f"{FIELDS['region']} : la commune {found[0]} ({commune}) est dans la région "
                    f"{regions().get(found[2], found[2])}, pas {regions().get(region, region)}."
                )
            region = found[2]
    if commune is None and departement is not None and "departement" not in errors:
        found_dep = departements().get(departement)
        if found_dep is None:
            errors["departement"] = (
                f"{FIELDS['departement']} : « {departement[:20]} » n'est pas un numéro de département "
                "(exemples : 33, 2A, 974)."
            )
            departement = None
        else:
            if region is not None and region != found_dep[1]:
                errors["region"] = (
                    f"{FIELDS['region']} : le département {found_dep[0]} ({departement}) est dans la région "
                    f"{regions().get(found_dep[1], found_dep[1])}, pas {regions().get(region, region)}."
                )
            region = found_dep[1]
    if region is None and "commune" not in errors and "departement" not in errors:
        errors["region"] = f"{FIELDS['region']} : choisissez au moins la région du besoin."
    elif region is not None and region not in regions():
        errors["region"] = f"{FIELDS['region']} : « {region[:20]} » n'est pas un code de région du COG."
    if errors:
        raise Invalid(errors)
    if not (kind and horizon and theme and stage and visibility and region):  # pragma: no cover
        raise AssertionError("validated fields missing")
    return Need(purpose, amount, kind, horizon, region, departement, commune, theme, stage, usage, visibility)


# --- the organisation's own needs (inside tenancy.workspace_session) --------------------------------

COLUMNS = (
    "id, purpose, amount, form, horizon, region, departement, commune, theme, stage, usage, visibility, "
    "synthetic, created_at, updated_at"
)


def _rows(cur: psycopg.Cursor[Any]) -> list[dict[str, Any]]:
    names = [d.name for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def own(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """The current workspace's needs, newest first (row-level security keeps the others out)."""
    return _rows(conn.execute(f"SELECT {COLUMNS} FROM needs ORDER BY created_at DESC, id DESC"))


def one(conn: psycopg.Connection, need_id: int) -> dict[str, Any] | None:
    found = _rows(conn.execute(f"SELECT {COLUMNS} FROM needs WHERE id = %s", [need_id]))
    return found[0] if found else None


def _values(need: Need) -> list[Any]:
    return [
        need.purpose, need.amount, need.form, need.horizon, need.region, need.departement, need.commune,
        need.theme, need.stage, need.usage, need.visibility,
    ]  # fmt: skip


def create(conn: psycopg.Connection, need: Need, *, synthetic: bool = False) -> int:
    """A new need of the current workspace, logged (`besoin_declare`, with its id and visibility)."""
    row = conn.execute(
        "INSERT INTO needs (workspace_id, purpose, amount, form, horizon, region, departement, commune, "
        "theme, stage, usage, visibility, synthetic) "
        "VALUES (leviers_workspace(), %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        [*_values(need), synthetic],
    ).fetchone()
    assert row is not None
    audit.record(conn, "besoin_declare", {"besoin": int(row[0]), "visibilite": need.visibility})
    return int(row[0])


def update(conn: psycopg.Connection, need_id: int, need: Need) -> bool:
    """Change a need of the current workspace (False: no such need here), logged."""
    changed = conn.execute(
        "UPDATE needs SET purpose = %s, amount = %s, form = %s, horizon = %s, region = %s, departement = %s, "
        "commune = %s, theme = %s, stage = %s, usage = %s, visibility = %s, updated_at = now() WHERE id = %s",
        [*_values(need), need_id],
    ).rowcount
    if changed:
        audit.record(conn, "besoin_modifie", {"besoin": need_id, "visibilite": need.visibility})
    return bool(changed)


def delete(conn: psycopg.Connection, need_id: int) -> bool:
    """Delete a need of the current workspace (False: no such need here), logged."""
    gone = conn.execute("DELETE FROM needs WHERE id = %s", [need_id]).rowcount
    if gone:
        audit.record(conn, "besoin_supprime", {"besoin": need_id})
    return bool(gone)


# --- what is public (needs_public only, no workspace context) ---------------------------------------


@dataclass(frozen=True)
class Filters:
    region: str | None = None
    departement: str | None = None
    theme: str | None = None
    stage: str | None = None
    form: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses, params = [], []
        for column in ("region", "departement", "theme", "stage", "form"):
            value = getattr(self, column)
            if value is not None:
                clauses.append(f"{column} = %s")
                params.append(value)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def query(self) -> dict[str, str]:
        return {
            name: value
            for name, value in (
                ("region", self.region),
                ("departement", self.departement),
                ("theme", self.theme),
                ("etape", self.stage),
                ("forme", self.form),
            )
            if value is not None
        }


# Statistical secrecy (leviers.hosted.secrecy, docs/hosted.md « Statistical secrecy »): a cell
# whose needs « aggregated only » come from fewer than MIN_ORGANISATIONS organisations is hidden
# (primary; each such need carries its organisation's random contributor token in needs_public,
# never its name: migration 0006), and so are the cells chosen so that none can be recovered by
# subtraction from a total (complementary). Every face shows one label for both: telling which is
# primary would tell which cell holds 1 or 2 organisations.
MIN_ORGANISATIONS = secrecy.MIN_ORGANISATIONS
SECRET = "secret statistique"
FIGURES = ("besoins", "avec_montant", "sans_montant", "montant", "en_detail")
_SECRECY = (
    "count(*) FILTER (WHERE NOT detail) AS agreges, count(DISTINCT contributor) AS organisations_agregees"
)


def protect(item: dict[str, Any], hidden: bool = False) -> dict[str, Any]:
    """Apply the secrecy to one aggregate cell (in place): `secret` True and every figure None when
    its aggregated-only needs come from 1 or 2 organisations (primary) or when the cube's
    suppression hides it (`hidden`: complementary). Removes the counts the rule reads (the number
    of organisations is not shown either)."""
    aggregated = item.pop("agreges")
    organisations = item.pop("organisations_agregees")
    item["secret"] = hidden or (bool(aggregated) and organisations < MIN_ORGANISATIONS)
    if item["secret"]:
        for figure in FIGURES:
            if figure in item:
                item[figure] = None
    return item


# --- the cube every public face reads its secrecy from -----------------------------------------------
#
# A cell of the cube is (territory, theme, stage, form), "" meaning « all ». Territories: "*"
# (France), "r75" (a région), "d75:33" (a département, "d75:" the région's needs without one),
# "c33063" (a commune: the collectivité page's count) and "x33" (a département's needs without a
# commune: shown nowhere, but the département minus its communes). Communes only with every theme,
# stage and form, as the collectivité page counts them. Every figure a page, its JSON twin, the
# funders' CSV, the map or a collectivité page shows is one of these cells, so one suppression
# serves them all.

CubeKey = tuple[str, str, str, str]
_CUBE_DIMENSIONS = ("theme", "stage", "form")


def _cube_sql() -> str:
    sets = []
    for territory in ((), ("region",), ("region", "departement")):
        for mask in range(8):
            chosen = [name for bit, name in enumerate(_CUBE_DIMENSIONS) if mask & (1 << bit)]
            sets.append("(" + ", ".join([*territory, *chosen]) + ")")
    sets.append("(region, departement, commune)")
    return (
        "SELECT region, departement, commune, theme, stage, form, count(*), "
        "count(*) FILTER (WHERE NOT detail), count(DISTINCT contributor) "
        "FROM (SELECT region, coalesce(departement, '') AS departement, coalesce(commune, '') AS commune, "
        "theme, stage, form, detail, contributor FROM needs_public) AS p "
        f"GROUP BY GROUPING SETS ({', '.join(sets)})"
    )


_CUBE = _cube_sql()


def cube(conn: psycopg.Connection) -> tuple[dict[CubeKey, secrecy.Cell], list[tuple[CubeKey, list[CubeKey]]]]:
    """Every non-empty cell the public faces can show (and the unshown « x » cells), and the
    margins linking them: each cell's parts along the territory (France → régions → départements →
    communes and the rest), the themes, the stages and the forms."""
    cells: dict[CubeKey, secrecy.Cell] = {}
    margins: dict[tuple[CubeKey, int], list[CubeKey]] = {}
    for region, departement, commune, theme, stage, form, count, aggregated, organisations in conn.execute(
        _CUBE
    ).fetchall():
        if commune is not None:
            if departement == "":
                continue  # a need of a whole région has no commune: no such margin
            place = f"c{commune}" if commune else f"x{departement}"
            parent: str | None = f"d{region}:{departement}"
        elif departement is not None:
            place, parent = f"d{region}:{departement}", f"r{region}"
        elif region is not None:
            place, parent = f"r{region}", "*"
        else:
            place, parent = "*", None
        key: CubeKey = (place, theme or "", stage or "", form or "")
        cells[key] = secrecy.Cell(count, aggregated, organisations, published=not place.startswith("x"))
        if parent is not None:
            margins.setdefault(((parent, key[1], key[2], key[3]), 0), []).append(key)
        for position in (1, 2, 3):
            if key[position]:
                general = list(key)
                general[position] = ""
                above: CubeKey = (general[0], general[1], general[2], general[3])
                margins.setdefault((above, position), []).append(key)
    return cells, [(total, parts) for (total, _), parts in margins.items()]


def _rank(key: CubeKey) -> CubeKey:
    return key


_suppressions: dict[str, tuple[int, secrecy.Suppression]] = {}
_suppressions_lock = threading.Lock()


def suppression(conn: psycopg.Connection, version: int | None = None) -> secrecy.Suppression:
    """The cube's suppression, kept per store until the public needs change (`version`, read
    here when not given — before the cube, so what is kept is never older than its version)."""
    if version is None:
        version = public_version(conn)
    store = f"{conn.info.host}:{conn.info.port}/{conn.info.dbname}"
    found = _suppressions.get(store)
    if found is not None and found[0] == version:
        return found[1]
    # One thread computes (a few hundred ms on 10,000 needs), the others wait for its result rather
    # than compute the same cube beside it.
    with _suppressions_lock:
        found = _suppressions.get(store)
        if found is not None and found[0] >= version:
            return found[1]
        cells, margins = cube(conn)
        result = secrecy.suppress(cells, margins, rank=_rank)
        _suppressions[store] = (version, result)
    return result


def forget_suppressions() -> None:
    """Drop the kept suppressions (a test's database is dropped and its name may come back)."""
    with _suppressions_lock:
        _suppressions.clear()


def _place(region: str | None, departement: str | None) -> str:
    if departement:
        in_region = region or departements().get(departement, (None, ""))[1]
        return f"d{in_region}:{departement}"
    return f"r{region}" if region else "*"


# One pass over the filtered public needs: totals, and the counts and amounts by each dimension.
# GROUPING SETS keeps it one statement; `g` says which dimension a row belongs to.
_AGGREGATES = """
SELECT grouping(territory, theme, stage, form) AS g, territory, theme, stage, form,
       count(*) AS besoins, count(amount) AS avec_montant, count(*) - count(amount) AS sans_montant,
       sum(amount) AS montant, count(*) FILTER (WHERE detail) AS en_detail,
       bool_or(synthetic) AS synthetique, {secrecy}
FROM (SELECT {territory} AS territory, theme, stage, form, amount, detail, synthetic, contributor
      FROM needs_public{where}) AS p
GROUP BY GROUPING SETS ((), (territory), (theme), (stage), (form))
"""

_DIMENSIONS = {0b0111: "territoire", 0b1011: "theme", 0b1101: "etape", 0b1110: "forme", 0b1111: "total"}


def aggregates(conn: psycopg.Connection, filters: Filters) -> dict[str, Any]:
    """Counts and amounts of the public needs (aggregated and detailed alike) matching `filters`:
    in total, by territory (by région; by département within a région), by theme, stage and form.
    A need without an amount is counted apart (`sans_montant`), never as zero."""
    where, params = filters.where()
    by_department = filters.region is not None or filters.departement is not None
    territory = "coalesce(departement, '')" if by_department else "region"
    sql = _AGGREGATES.format(territory=territory, where=where, secrecy=_SECRECY)
    hidden = suppression(conn)
    here = _place(filters.region, filters.departement)
    within = (filters.theme or "", filters.stage or "", filters.form or "")
    region = filters.region or (departements().get(filters.departement or "", ("", ""))[1])
    found: dict[str, Any] = {"territoire": [], "theme": [], "etape": [], "forme": [], "total": None}
    for row in conn.execute(sql, params).fetchall():
        g, place, theme, stage, form, count, with_amount, without, amount, detail, synthetic, agg, orgs = row
        dimension = _DIMENSIONS[g]
        cell: CubeKey = {
            "total": (here, *within),
            "territoire": (f"d{region}:{place}" if by_department else f"r{place}", *within),
            "theme": (here, theme, within[1], within[2]),
            "etape": (here, within[0], stage, within[2]),
            "forme": (here, within[0], within[1], form),
        }[dimension]
        item = protect(
            {
                "besoins": count,
                "avec_montant": with_amount,
                "sans_montant": without,
                "montant": amount,
                "en_detail": detail,
                "synthetique": bool(synthetic),
                "agreges": agg,
                "organisations_agregees": orgs,
            },
            hidden=cell in hidden,
        )
        if dimension == "total":
            found["total"] = item
            continue
        key = {"territoire": place, "theme": theme, "etape": stage, "forme": form}[dimension]
        item["code"] = key
        item["libelle"] = _label(dimension, key, by_department)
        found[dimension].append(item)
    if found["total"] is None:
        found["total"] = {"besoins": 0, "avec_montant": 0, "sans_montant": 0, "montant": None, "en_detail": 0,
                          "synthetique": False, "secret": False}  # fmt: skip
    for dimension in ("territoire", "theme", "etape", "forme"):
        # Secret cells last (their count is not shown, so it orders nothing).
        found[dimension].sort(key=lambda item: (item["secret"], -(item["besoins"] or 0), item["libelle"]))
    found["maille"] = "departement" if by_department else "region"
    return found


def _label(dimension: str, code: str, by_department: bool) -> str:
    if dimension == "territoire":
        if not by_department:
            return regions().get(code, code)
        if code == "":
            return "Toute la région (sans département précisé)"
        return f"{departements().get(code, (code,))[0]} ({code})"
    vocabulary = {"theme": themes(), "etape": ETAPES, "forme": FORMS}[dimension]
    return vocabulary.get(code, code)


def detailed(conn: psycopg.Connection, filters: Filters, limit: int = DETAIL_LIMIT) -> list[dict[str, Any]]:
    """The needs public in detail matching `filters`, newest first, with their organisation."""
    where, params = filters.where()
    clause = (where + " AND detail") if where else " WHERE detail"
    cur = conn.execute(
        "SELECT p.need_id AS id, w.name AS organisation, w.siren, p.purpose, p.amount, p.form, p.horizon, "
        "p.region, p.departement, p.commune, p.theme, p.stage, p.usage, p.synthetic, p.updated_at "
        f"FROM (SELECT * FROM needs_public{clause}) AS p JOIN workspaces AS w ON w.id = p.organisation_id "
        "ORDER BY p.updated_at DESC, p.need_id DESC LIMIT %s",
        [*params, limit],
    )
    rows = _rows(cur)
    for row in rows:
        labels(row)
    return rows


def labels(row: dict[str, Any]) -> dict[str, Any]:
    """Add the French labels of a need's codes (in place)."""
    row["forme_libelle"] = FORMS.get(row["form"], row["form"])
    row["horizon_libelle"] = HORIZONS.get(row["horizon"], row["horizon"])
    row["theme_libelle"] = themes().get(row["theme"], row["theme"])
    row["etape_libelle"] = ETAPES.get(row["stage"], row["stage"])
    row["usage_libelle"] = BESOINS.get(row["usage"], row["usage"]) if row.get("usage") else None
    row["territoire_libelle"] = territory_label(row["region"], row["departement"], row["commune"])
    if "visibility" in row:
        row["visibilite_libelle"] = VISIBILITIES[row["visibility"]].split(" :")[0]
    return row


def table_rows(conn: psycopg.Connection, filters: Filters) -> list[dict[str, Any]]:
    """The funders' table: one row per région, département, theme, stage and form combination of
    the public needs matching `filters`, with counts and amounts (no purpose, no organisation)."""
    where, params = filters.where()
    cur = conn.execute(
        "SELECT region, coalesce(departement, '') AS departement, theme, stage, form, count(*) AS besoins, "
        "count(amount) AS avec_montant, count(*) - count(amount) AS sans_montant, sum(amount) AS montant, "
        f"count(*) FILTER (WHERE detail) AS en_detail, bool_or(synthetic) AS synthetique, {_SECRECY} "
        f"FROM needs_public{where} GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5",
        params,
    )
    hidden = suppression(conn)
    return [
        protect(
            row,
            hidden=(f"d{row['region']}:{row['departement']}", row["theme"], row["stage"], row["form"])
            in hidden,
        )
        for row in _rows(cur)
    ]


def public_version(conn: psycopg.Connection) -> int:
    """A number that changes whenever the public needs do (kept by the trigger needs_publish)."""
    row = conn.execute("SELECT version FROM needs_public_version").fetchone()
    return int(row[0]) if row else 0


def count_on(
    conn: psycopg.Connection, *, region: str | None, departement: str | None, commune: str | None
) -> dict[str, Any]:
    """The public needs located in a territory (a commune counts its own needs only; a département
    or région every need within it): count, count with an amount, and their sum."""
    if commune:
        where, params, key = "commune = %s", [commune], f"c{commune}"
    elif departement:
        where, params, key = "departement = %s", [departement], _place(None, departement)
    elif region:
        where, params, key = "region = %s", [region], _place(region, None)
    else:
        return {"besoins": 0, "avec_montant": 0, "montant": None, "secret": False}
    row = conn.execute(
        f"SELECT count(*), count(amount), sum(amount), {_SECRECY} FROM needs_public WHERE {where}", params
    ).fetchone()
    assert row is not None
    return protect(
        {
            "besoins": row[0],
            "avec_montant": row[1],
            "montant": row[2],
            "agreges": row[3],
            "organisations_agregees": row[4],
        },
        hidden=(key, "", "", "") in suppression(conn),
    )
