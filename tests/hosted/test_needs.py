"""The needs of ESS organisations in the store: validation, isolation by row-level security, the
audit log, and the public aggregates — hand-computed on a small set — which never show a private
need nor the purpose or organisation of a need public « aggregated only »."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest

from leviers.hosted import audit, migrate, needs, tenancy

SECRET = "Local de stockage confidentiel"
AGGREGATED_ONLY = "Camion de collecte des encombrants"


def _need(**given: str) -> needs.Need:
    form = {"form": "subvention", "horizon": "1_3_ans", "theme": "dechets", "stage": "developpement",
            "visibility": "agrege", **given}  # fmt: skip
    return needs.validate(form)


@pytest.fixture
def two(conn: psycopg.Connection) -> dict[str, int]:
    """Two ESS organisations and five needs (the set the figures below are computed on):

    | # | org | purpose                | amount    | form                | territory        | theme | stage | visibility |
    | 1 | A   | SECRET                 | 40 000    | prêt                | 33063 (33, 75)   | dechets | developpement | prive |
    | 2 | A   | AGGREGATED_ONLY        | 30 000    | subvention          | 33 (75)          | dechets | creation      | agrege |
    | 3 | A   | Fonds de roulement     | —         | quasi-fonds propres | 24 (75)          | dechets | consolidation | detail |
    | 4 | B   | Chambre froide         | 12 000,50 | subvention          | 87 (75)          | agriculture_alimentation | developpement | detail |
    | 5 | B   | Étude de marché        | 5 000     | subvention          | région 84        | agriculture_alimentation | amorcage | agrege |
    """
    alice = tenancy.create_account(conn, "alice@recyclerie-a.fr")
    bob = tenancy.create_account(conn, "bob@epicerie-b.fr")
    a = tenancy.create_workspace(
        conn, kind="organisation_ess", name="Recyclerie A", siren=None, administrator=alice
    )
    b = tenancy.create_workspace(
        conn, kind="organisation_ess", name="Épicerie B", siren="552100554", administrator=bob
    )
    ids = {}
    with tenancy.workspace_session(conn, account_id=alice, workspace_id=a):
        ids[1] = needs.create(conn, _need(purpose=SECRET, amount="40 000", form="pret", commune="33063",
                                          visibility="prive"))  # fmt: skip
        ids[2] = needs.create(
            conn, _need(purpose=AGGREGATED_ONLY, amount="30000", departement="33", stage="creation")
        )
        ids[3] = needs.create(conn, _need(purpose="Fonds de roulement", form="quasi_fonds_propres",
                                          departement="24", stage="consolidation", visibility="detail"))  # fmt: skip
    with tenancy.workspace_session(conn, account_id=bob, workspace_id=b):
        ids[4] = needs.create(conn, _need(purpose="Chambre froide", amount="12 000,50", departement="87",
                                          theme="agriculture_alimentation", visibility="detail"))  # fmt: skip
        ids[5] = needs.create(conn, _need(purpose="Étude de marché", amount="5000 €", region="84",
                                          theme="agriculture_alimentation", stage="amorcage"))  # fmt: skip
    return {"alice": alice, "bob": bob, "a": a, "b": b, **{f"n{k}": v for k, v in ids.items()}}


def _by(rows: list[dict[str, object]]) -> dict[object, tuple[object, ...]]:
    return {
        r["code"]: (r["besoins"], r["avec_montant"], r["sans_montant"], r["montant"], r["en_detail"])
        for r in rows
    }


# A cell under small-count secrecy: no figure at all.
HIDDEN = (None, None, None, None, None)


def test_national_aggregates_hand_computed(conn: psycopg.Connection, two: dict[str, int]) -> None:
    found = needs.aggregates(conn, needs.Filters())
    # Public needs: 2, 3, 4, 5 (1 is private); aggregated only: 2 (A) and 5 (B). Every cell holding
    # 2 or 5 has aggregated-only needs of fewer than 3 organisations: secret. The others are shown.
    t = found["total"]
    assert t["secret"]
    assert (t["besoins"], t["avec_montant"], t["sans_montant"], t["montant"], t["en_detail"]) == HIDDEN
    assert found["maille"] == "region"
    assert _by(found["territoire"]) == {"75": HIDDEN, "84": HIDDEN}
    assert _by(found["theme"]) == {"dechets": HIDDEN, "agriculture_alimentation": HIDDEN}
    assert _by(found["etape"]) == {
        "consolidation": (1, 0, 1, None, 1),
        "developpement": (1, 1, 0, Decimal("12000.50"), 1),
        "amorcage": HIDDEN,
        "creation": HIDDEN,
    }
    assert [r["secret"] for r in found["etape"]] == [False, False, True, True]  # secret cells last
    assert _by(found["forme"]) == {"subvention": HIDDEN, "quasi_fonds_propres": (1, 0, 1, None, 1)}
    assert "organisations_agregees" not in found["forme"][0]  # the count the rule reads is not shown
    labels = {r["code"]: r["libelle"] for r in found["forme"]}
    assert labels == {"subvention": "Subvention", "quasi_fonds_propres": "Quasi-fonds propres"}


def test_a_region_by_departement(conn: psycopg.Connection, two: dict[str, int]) -> None:
    found = needs.aggregates(conn, needs.Filters(region="75"))
    assert found["maille"] == "departement"
    assert _by(found["territoire"]) == {
        "33": HIDDEN,
        "24": (1, 0, 1, None, 1),
        "87": (1, 1, 0, Decimal("12000.50"), 1),
    }
    assert found["total"]["secret"]
    both = needs.aggregates(conn, needs.Filters(region="75", theme="dechets", form="subvention"))
    assert (both["total"]["besoins"], both["total"]["montant"], both["total"]["secret"]) == (None, None, True)
    # Only needs public in detail: no secrecy.
    detail = needs.aggregates(conn, needs.Filters(region="75", form="quasi_fonds_propres"))
    assert (detail["total"]["besoins"], detail["total"]["secret"]) == (1, False)
    empty = needs.aggregates(conn, needs.Filters(region="11"))
    assert empty["total"] == {"besoins": 0, "avec_montant": 0, "sans_montant": 0, "montant": None, "en_detail": 0,
                              "synthetique": False, "secret": False}  # fmt: skip
    assert empty["territoire"] == []


def test_table_rows_and_counts_on_a_territory(conn: psycopg.Connection, two: dict[str, int]) -> None:
    rows = needs.table_rows(conn, needs.Filters())
    assert [(r["region"], r["departement"], r["theme"], r["stage"], r["form"], r["besoins"], r["montant"]) for r in rows] == [
        ("75", "24", "dechets", "consolidation", "quasi_fonds_propres", 1, None),
        ("75", "33", "dechets", "creation", "subvention", None, None),
        ("75", "87", "agriculture_alimentation", "developpement", "subvention", 1, Decimal("12000.50")),
        ("84", "", "agriculture_alimentation", "amorcage", "subvention", None, None),
    ]  # fmt: skip
    assert [r["secret"] for r in rows] == [False, True, False, True]
    # Bordeaux's only need is private: nothing there; the Gironde has the aggregated one.
    assert needs.count_on(conn, region="75", departement="33", commune="33063")["besoins"] == 0
    assert needs.count_on(conn, region="75", departement="33", commune=None) == {
        "besoins": None, "avec_montant": None, "montant": None, "secret": True,
    }  # fmt: skip
    assert needs.count_on(conn, region="75", departement="87", commune=None) == {
        "besoins": 1, "avec_montant": 1, "montant": Decimal("12000.50"), "secret": False,
    }  # fmt: skip
    assert needs.count_on(conn, region="75", departement=None, commune=None)["secret"]


def test_small_count_secrecy_lifts_at_three_organisations(
    conn: psycopg.Connection, two: dict[str, int]
) -> None:
    """A third organisation, C, declares need 6 aggregated only: 10 000 €, subvention, Gironde (33),
    dechets, création. By hand:

    - form « subvention »: needs 2 (A), 4 (B, detail), 5 (B), 6 (C); aggregated-only from A, B, C:
      3 organisations, shown: 4 needs, 4 with an amount, 0 without, 30 000 + 12 000,50 + 5 000 +
      10 000 = 57 000,50 €, 1 in detail;
    - the total: needs 2 to 6, aggregated-only from A, B, C: shown, 5 needs, 4 with an amount, 1
      without (3), 57 000,50 €, 2 in detail;
    - région 75: needs 2, 3, 4, 6, aggregated-only from A and C: 2 organisations, still secret;
    - a second aggregated-only need of C in that cell would not lift it: organisations count, not needs."""
    carol = tenancy.create_account(conn, "carol@ressourcerie-c.fr")
    c = tenancy.create_workspace(
        conn, kind="organisation_ess", name="Ressourcerie C", siren=None, administrator=carol
    )
    with tenancy.workspace_session(conn, account_id=carol, workspace_id=c):
        needs.create(conn, _need(purpose="Broyeur", amount="10000", departement="33", stage="creation"))
    found = needs.aggregates(conn, needs.Filters())
    assert _by(found["forme"])["subvention"] == (4, 4, 0, Decimal("57000.50"), 1)
    t = found["total"]
    assert (t["besoins"], t["avec_montant"], t["sans_montant"], t["montant"], t["en_detail"], t["secret"]) == (
        5, 4, 1, Decimal("57000.50"), 2, False,
    )  # fmt: skip
    assert _by(found["territoire"])["75"] == HIDDEN
    with tenancy.workspace_session(conn, account_id=carol, workspace_id=c):
        needs.create(conn, _need(purpose="Presse", amount="2000", departement="33", stage="creation"))
    assert _by(needs.aggregates(conn, needs.Filters())["territoire"])["75"] == HIDDEN
    # The organisation is not in the public table: a random token per organisation, the same for
    # its aggregated-only needs, none for a need in detail.
    tokens = conn.execute(
        "SELECT detail, count(DISTINCT contributor), count(contributor) FROM needs_public GROUP BY detail ORDER BY detail"
    ).fetchall()
    assert tokens == [(False, 3, 4), (True, 0, 0)]
    assert conn.execute("SELECT count(*) FROM needs_contributors").fetchone() == (0,)  # hidden by RLS


def test_private_details_never_public(conn: psycopg.Connection, two: dict[str, int]) -> None:
    detailed = needs.detailed(conn, needs.Filters())
    assert {(r["organisation"], r["purpose"]) for r in detailed} == {
        ("Recyclerie A", "Fonds de roulement"),
        ("Épicerie B", "Chambre froide"),
    }
    assert detailed[0]["siren"] in (None, "552100554")
    # The public table itself holds no private need, and neither purpose nor organisation of an
    # aggregated-only one.
    rows = conn.execute(
        "SELECT need_id, detail, organisation_id, purpose FROM needs_public ORDER BY need_id"
    ).fetchall()
    assert [r[0] for r in rows] == [two["n2"], two["n3"], two["n4"], two["n5"]]
    assert [(r[1], r[2] is None, r[3] is None) for r in rows] == [
        (False, True, True), (True, False, False), (True, False, False), (False, True, True),
    ]  # fmt: skip
    text = str(conn.execute("SELECT * FROM needs_public").fetchall())
    assert SECRET not in text
    assert AGGREGATED_ONLY not in text
    assert "40000" not in text


def test_visibility_changes_follow(conn: psycopg.Connection, two: dict[str, int]) -> None:
    with tenancy.workspace_session(conn, account_id=two["alice"], workspace_id=two["a"]):
        assert needs.update(conn, two["n1"], _need(purpose=SECRET, amount="40000", form="pret", commune="33063",
                                                   visibility="detail"))  # fmt: skip
    assert needs.count_on(conn, region=None, departement=None, commune="33063")["besoins"] == 1
    assert SECRET in {r["purpose"] for r in needs.detailed(conn, needs.Filters())}
    with tenancy.workspace_session(conn, account_id=two["alice"], workspace_id=two["a"]):
        assert needs.update(conn, two["n1"], _need(purpose=SECRET, commune="33063", visibility="prive"))
        assert needs.delete(conn, two["n2"])
    assert SECRET not in {r["purpose"] for r in needs.detailed(conn, needs.Filters())}
    assert needs.aggregates(conn, needs.Filters(region="75"))["total"]["besoins"] == 2  # 3 and 4, in detail
    with tenancy.workspace_session(conn, account_id=two["alice"], workspace_id=two["a"]):
        assert [e["action"] for e in audit.entries(conn, limit=3)] == [
            "besoin_supprime", "besoin_modifie", "besoin_modifie",
        ]  # fmt: skip
        assert audit.entries(conn, limit=1)[0]["detail"] == {"besoin": two["n2"]}


def test_needs_are_isolated_by_row_level_security(conn: psycopg.Connection, two: dict[str, int]) -> None:
    assert conn.execute("SELECT count(*) FROM needs").fetchone() == (0,)  # no context: nothing
    with tenancy.workspace_session(conn, account_id=two["bob"], workspace_id=two["b"]):
        assert {r["purpose"] for r in needs.own(conn)} == {"Chambre froide", "Étude de marché"}
        assert needs.one(conn, two["n1"]) is None
        assert not needs.update(conn, two["n1"], _need(purpose="détourné", region="84"))
        assert not needs.delete(conn, two["n1"])
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute(
                "INSERT INTO needs (workspace_id, purpose, form, horizon, region, theme, stage) "
                "VALUES (%s, 'intrus', 'pret', '1_3_ans', '75', 'dechets', 'creation')",
                [two["a"]],
            )
    with tenancy.workspace_session(conn, account_id=two["alice"], workspace_id=two["a"]):
        assert needs.one(conn, two["n1"])["purpose"] == SECRET  # type: ignore[index]
        assert [e["action"] for e in audit.entries(conn)].count("besoin_declare") == 3


def test_validation_names_each_field() -> None:
    with pytest.raises(needs.Invalid) as caught:
        needs.validate(
            {"purpose": "x", "amount": "douze", "form": "don", "commune": "99999", "visibility": ""}
        )
    errors = caught.value.errors
    assert set(errors) == {"purpose", "amount", "form", "horizon", "theme", "stage", "visibility", "commune"}
    assert "« douze » n'est pas un montant" in errors["amount"]
    assert "« don » n'est pas un choix proposé" in errors["form"]
    assert "99999" in errors["commune"]
    with pytest.raises(needs.Invalid, match="est dans la région"):
        _need(purpose="Local", departement="33", region="84")
    with pytest.raises(needs.Invalid, match="choisissez au moins la région"):
        _need(purpose="Local")
    found = _need(purpose="  Un   local ", commune="2A004", amount="1 500,5")
    assert (found.purpose, found.commune, found.departement, found.region, found.amount) == (
        "Un local", "2A004", "2A", "94", Decimal("1500.5"),
    )  # fmt: skip
    assert found.territory_label() == "Ajaccio (2A004)"


def test_migration_keeps_the_other_audit_actions(empty_dsn: str) -> None:
    migrate.upgrade(empty_dsn, "0002")

    def allowed() -> str:
        with psycopg.connect(empty_dsn) as c:
            row = c.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'audit_log'::regclass "
                "AND contype = 'c'"
            ).fetchone()
        assert row is not None
        return str(row[0])

    before = allowed()
    migrate.upgrade(empty_dsn)
    after = allowed()
    for action in ("depot_fichier", "publication", "role_modifie", "membre_retire", "suppression"):
        assert action in before
        assert action in after
    assert "besoin_declare" not in before
    assert "besoin_supprime" in after
    migrate.downgrade(empty_dsn, "0002")
    assert "besoin_declare" not in allowed()
    assert "depot_fichier" in allowed()


def _organisations(conn: psycopg.Connection, count: int, prefix: str) -> list[tuple[int, int]]:
    found = []
    for number in range(count):
        account = tenancy.create_account(conn, f"{prefix}{number}@ess.fr")
        workspace = tenancy.create_workspace(
            conn, kind="organisation_ess", name=f"{prefix} {number}", siren=None, administrator=account
        )
        found.append((account, workspace))
    return found


def _declare(conn: psycopg.Connection, who: tuple[int, int], **given: str) -> None:
    with tenancy.workspace_session(conn, account_id=who[0], workspace_id=who[1]):
        needs.create(conn, _need(purpose="Besoin", **given))


def test_complementary_secret_in_a_region(conn: psycopg.Connection) -> None:
    """Région 75, needs « agrégé seulement », all « déchets », « développement », « subvention »:

    | département | organisations | needs | amounts           |
    | 33 Gironde  | A             | 1     | 10 000            |
    | 24 Dordogne | C, D, E       | 3     | 1 000 each        |
    | 87 H.-Vienne| C, D, E, F    | 4     | 1 000 each        |

    The région: 8 needs of 5 organisations, 17 000 €: shown. The Gironde: 1 organisation, primary
    secret. Shown beside the région's total it would be 8 − 3 − 4: the smallest other département,
    the Dordogne (3 needs), is hidden too; the Haute-Vienne stays shown. The same cells are hidden
    under any filter of theme, stage or form (they hold the same needs), in the funders' table and
    in the collectivité pages' counts."""
    a, c, d, e, f = _organisations(conn, 5, "org")
    _declare(conn, a, amount="10000", departement="33")
    for who in (c, d, e):
        _declare(conn, who, amount="1000", departement="24")
    for who in (c, d, e, f):
        _declare(conn, who, amount="1000", departement="87")
    for filters in (
        needs.Filters(region="75"),
        needs.Filters(region="75", theme="dechets"),
        needs.Filters(region="75", theme="dechets", stage="developpement", form="subvention"),
    ):
        found = needs.aggregates(conn, filters)
        t = found["total"]
        assert (t["besoins"], t["avec_montant"], t["montant"], t["secret"]) == (8, 8, Decimal("17000"), False)
        assert _by(found["territoire"]) == {"87": (4, 4, 0, Decimal("4000"), 0), "24": HIDDEN, "33": HIDDEN}
        assert [r["secret"] for r in found["territoire"]] == [False, True, True]
        assert _by(found["theme"]) == {"dechets": (8, 8, 0, Decimal("17000"), 0)}
    national = needs.aggregates(conn, needs.Filters())
    assert _by(national["territoire"]) == {"75": (8, 8, 0, Decimal("17000"), 0)}
    rows = needs.table_rows(conn, needs.Filters(region="75"))
    assert [(r["departement"], r["besoins"], r["secret"]) for r in rows] == [
        ("24", None, True), ("33", None, True), ("87", 4, False),
    ]  # fmt: skip
    assert needs.count_on(conn, region="75", departement="24", commune=None)["secret"]
    assert needs.count_on(conn, region="75", departement="87", commune=None)["besoins"] == 4
    assert needs.count_on(conn, region="75", departement=None, commune=None)["besoins"] == 8
    # Which cell is primary is not said: the same `secret` for both, no other field.
    assert set(rows[0]) == set(rows[2])
    assert needs.suppression(conn).complementary >= {
        ("d75:24", "", "", ""),
        ("d75:24", "dechets", "developpement", "subvention"),
    }


def test_no_complement_hides_the_total(conn: psycopg.Connection) -> None:
    """Région 75, « développement », « subvention », two themes and two départements:

    |                        | Gironde (33)          | Dordogne (24)         | région        |
    | déchets                | A, aggregated (1 org) | C, D, E aggregated (3)| 4 needs       |
    | agriculture-alimentation| C, D, E aggregated (3)| B, public in detail (1)| 4 needs      |
    | all themes             | 4 needs               | 4 needs               | 8 needs       |

    Gironde × déchets is primary. Its theme margin (the Gironde) → Gironde × agriculture hidden;
    its territory margin (déchets in the région) → Dordogne × déchets hidden. The agriculture
    margin of the région holds Gironde × agriculture hidden and Dordogne × agriculture, public in
    detail only (listed by name: no complement) → the région's agriculture total is hidden; the
    Dordogne's theme margin likewise → the Dordogne's total. Then the région's margins: Dordogne
    hidden alone among the départements → the Gironde; agriculture alone among the themes →
    déchets; and France's theme margin the same. The région's total, 8 needs, stays shown."""
    a, b, c, d, e = _organisations(conn, 5, "org")
    _declare(conn, a, amount="10000", departement="33")
    for who in (c, d, e):
        _declare(conn, who, amount="1000", departement="24")
        _declare(conn, who, amount="2000", departement="33", theme="agriculture_alimentation")
    _declare(conn, b, amount="500", departement="24", theme="agriculture_alimentation", visibility="detail")
    found = needs.aggregates(conn, needs.Filters(region="75"))
    assert (found["total"]["besoins"], found["total"]["montant"]) == (8, Decimal("19500"))
    assert _by(found["territoire"]) == {"33": HIDDEN, "24": HIDDEN}
    assert _by(found["theme"]) == {"dechets": HIDDEN, "agriculture_alimentation": HIDDEN}
    agriculture = needs.aggregates(conn, needs.Filters(region="75", theme="agriculture_alimentation"))
    assert agriculture["total"]["secret"]  # the total over one secret cell and a detail-only one
    assert _by(agriculture["territoire"]) == {"33": HIDDEN, "24": (1, 1, 0, Decimal("500"), 1)}
    national = needs.aggregates(conn, needs.Filters())
    assert national["total"]["besoins"] == 8
    assert _by(national["territoire"]) == {"75": (8, 8, 0, Decimal("19500"), 1)}
    assert _by(national["theme"]) == {"dechets": HIDDEN, "agriculture_alimentation": HIDDEN}
    assert needs.count_on(conn, region=None, departement="24", commune=None)["secret"]
    rows = needs.table_rows(conn, needs.Filters())
    assert [(r["departement"], r["theme"], r["besoins"]) for r in rows] == [
        ("24", "agriculture_alimentation", 1), ("24", "dechets", None),
        ("33", "agriculture_alimentation", None), ("33", "dechets", None),
    ]  # fmt: skip


def test_no_secret_cell_changes_nothing(conn: psycopg.Connection) -> None:
    orgs = _organisations(conn, 3, "org")
    for who in orgs:
        _declare(conn, who, amount="1000", departement="33")
        _declare(conn, who, amount="1000", departement="24", theme="agriculture_alimentation")
    assert needs.suppression(conn).hidden == frozenset()
    found = needs.aggregates(conn, needs.Filters(region="75"))
    assert _by(found["territoire"]) == {
        "33": (3, 3, 0, Decimal("3000"), 0),
        "24": (3, 3, 0, Decimal("3000"), 0),
    }
    assert not any(r["secret"] for r in needs.table_rows(conn, needs.Filters()))
