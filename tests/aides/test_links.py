"""Subsidy lines linked to schemes, and the money per scheme, on a hand-computed fixture.

The schemes are the shipped Région Nouvelle-Aquitaine regulation's (porteur SIREN 200053759). The
lines are written here (synthetic, SCDL 2.1.1 with its dispositifAide column); their beneficiaries
are three real SIRENs of the SCDL example whose status SIRENE decides as below:
A 379394224 association (ESS), B 524991205 SAS flagged N (non ESS), C 380335901 no evidence.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from leviers.aides import links, money
from leviers.aides.catalogue import all_schemes
from leviers.ess.reference import ensure_reference
from leviers.warehouse import search_key
from tests.subsidies.helpers import fresh, load

REGION = "20005375900011"  # Région Nouvelle-Aquitaine's SIRET (SIREN 200053759)
GIRONDE = "22330001300016"  # Département de la Gironde (not a porteur of these schemes)
A, B, C = "37939422400016", "52499120500013", "38033590100027"
AMI = "804c3a87-6ca5-58cf-b4ee-299d0dcf4bc0"  # AMI Tiers-Lieux 2025-2028
AMPLI = "dec4a47e-303e-5d52-891b-014751f0b811"
DEVELOPPEMENT = "33b54ac5-4a2a-5a4e-a119-bb89ffeed59a"
UNKNOWN_ID = "11111111-2222-4333-8444-555555555555"

HEADER = (
    "nomAttribuant,idAttribuant,dateConvention,referenceDecision,nomBeneficiaire,idBeneficiaire,"
    "rnaBeneficiaire,objet,montant,nature,conditionsVersement,datesPeriodeVersement,idRAE,notificationUE,"
    "pourcentageSubvention,dispositifAide"
)


def _line(ref: str, grantor: str, date: str, who: str, objet: str, amount: str, scheme: str = "") -> str:
    return (
        f"X,{grantor},{date},{ref},N {ref},{who},,{objet},{amount},aide en numéraire,unique,,,non,1,{scheme}"
    )


LINES = [
    # 1: the scheme's id published → certaine (AMI), ESS, 2024
    _line("L1", REGION, "2024-02-01", A, "Fonctionnement", "10000", AMI),
    # 2: grantor is the porteur, objet holds « tiers » and « lieux » (2 of 2) → probable (AMI), non ESS
    _line("L2", REGION, "2024-03-01", B, "Création d'un tiers-lieu à Bègles", "20000"),
    # 3: the acronym AMPLI → probable (AMPLI), status unknown, 2023
    _line("L3", REGION, "2023-05-01", C, "Programme AMPLI promotion 2023", "5000"),
    # 4: the only counted word of a one-word title → possible (développement), ESS
    _line("L4", REGION, "2024-06-01", A, "Aide au développement de l'association", "8000"),
    # 5: nothing of any title → unlinked
    _line("L5", REGION, "2024-06-02", A, "Fonctionnement général", "3000"),
    # 6: the words of the AMI, but the grantor is not its porteur → unlinked
    _line("L6", GIRONDE, "2024-06-03", A, "Tiers-lieux du Médoc", "4000"),
    # 7: two schemes fit equally (amorçage + activités; création + activités) → ambiguous, unlinked
    _line("L7", REGION, "2024-06-04", A, "Activités d'amorçage et de création", "6000"),
    # 8: the scheme's title published in dispositifAide by its porteur → certaine (AMI), 2025
    _line("L8", REGION, "2025-01-15", A, "Fonctionnement", "1000", "AMI Tiers-Lieux 2025-2028"),
    # 9: the scheme's id, amount not published → certaine (AMI), amount unknown
    _line("L9", REGION, "2025-02-15", C, "Fonctionnement", "", AMI),
    # 10: an id no catalogue knows, and an objet that fits nothing → unlinked
    _line("L10", REGION, "2025-03-15", B, "Fonctionnement", "700", UNKNOWN_ID),
]


def write_warehouse(tmp: Path) -> duckdb.DuckDBPyConnection:
    """The fixture's warehouse at `tmp`/w.duckdb, open (the web tests serve it)."""
    path = tmp / "conventions-2024.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    con = fresh(tmp / "w.duckdb")
    ensure_reference(con)
    con.execute(
        """INSERT INTO legal_units (siren, categorie_juridique, economie_sociale_solidaire, first_ingestion_id,
                                    ingestion_id)
        VALUES ('524991205', '5710', 'N', 0, 0), ('379394224', '9220', NULL, 0, 0)"""
    )
    report = load(con, path)
    assert report.loaded == len(LINES)
    return con


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    con = write_warehouse(tmp_path_factory.mktemp("links"))
    search_key.define(con)
    links.build(con, all_schemes(con))
    yield con
    con.close()


def _links(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str, str]]:
    rows = con.execute(
        """SELECT s.reference_decision, k.dispositif_id, k.confiance, k.methode
        FROM subsidy_scheme_links k JOIN subsidies s USING (subsidy_key)"""
    ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_each_line_gets_the_expected_link(warehouse: duckdb.DuckDBPyConnection) -> None:
    assert _links(warehouse) == {
        "L1": (AMI, "certaine", "dispositif_aide"),
        "L2": (AMI, "probable", "attribuant_objet"),
        "L3": (AMPLI, "probable", "attribuant_objet"),
        "L4": (DEVELOPPEMENT, "possible", "attribuant_objet"),
        "L8": (AMI, "certaine", "dispositif_aide"),
        "L9": (AMI, "certaine", "dispositif_aide"),
    }


def test_the_reason_names_the_words(warehouse: duckdb.DuckDBPyConnection) -> None:
    row = warehouse.execute(
        """SELECT k.methode, k.mots_trouves, k.mots_titre FROM subsidy_scheme_links k
        JOIN subsidies s USING (subsidy_key) WHERE s.reference_decision = 'L2'"""
    ).fetchone()
    assert row == ("attribuant_objet", ["lieu", "tier"], 2)
    text = links.reason({"methode": row[0], "mots_trouves": row[1], "mots_titre": row[2]})
    assert "lieu, tier (2 sur 2)" in text


def test_money_per_scheme_year_territory_and_status(warehouse: duckdb.DuckDBPyConnection) -> None:
    got = money.paid(warehouse, AMI)
    # 2024: L1 10 000 (ESS) + L2 20 000 (non ESS); 2025: L8 1 000 (ESS), L9 amount unknown (status unknown)
    assert got["total"] == {"lignes": 4, "montant": 31000.0, "montant_connu": 3, "montants_ecartes": 0}
    assert got["par_statut"]["ess"] == {
        "lignes": 2,
        "montant": 11000.0,
        "montant_connu": 2,
        "montants_ecartes": 0,
    }
    assert got["par_statut"]["non_ess"]["montant"] == 20000.0
    # L9's beneficiary C has no evidence: one line of unknown status whose amount is unknown, not 0
    assert got["par_statut"]["inconnu"] == {
        "lignes": 1,
        "montant": None,
        "montant_connu": 0,
        "montants_ecartes": 0,
    }
    confidence = {c["confiance"]: (c["lignes"], c["montant"]) for c in got["par_confiance"]}
    assert confidence == {"certaine": (3, 11000.0), "probable": (1, 20000.0), "possible": (0, None)}
    cells = {(c["annee"], c["territoire"]): c for c in got["par_annee_territoire"]}
    assert list(cells) == [(2025, "Région Nouvelle-Aquitaine"), (2024, "Région Nouvelle-Aquitaine")]
    y2024 = cells[(2024, "Région Nouvelle-Aquitaine")]
    assert (
        y2024["montant"],
        y2024["ess"]["montant"],
        y2024["non_ess"]["montant"],
        y2024["inconnu"]["montant"],
    ) == (
        30000.0,
        10000.0,
        20000.0,
        None,
    )
    assert y2024["confiances"] == ["certaine", "probable"]
    y2025 = cells[(2025, "Région Nouvelle-Aquitaine")]
    assert (y2025["lignes"], y2025["montant"], y2025["montant_connu"]) == (2, 1000.0, 1)
    assert y2025["territoire_code"] == "75"


def test_porteur_coverage(warehouse: duckdb.DuckDBPyConnection) -> None:
    (row,) = money.porteur_lines(warehouse, AMI, ["200053759"])
    # 9 lines of the Région: 4 to the AMI, 2 to other schemes (L3, L4), 3 to none (L5, L7, L10)
    assert (row["lignes"], row["rattachees"], row["autres"], row["non_rattachees"]) == (9, 4, 2, 3)
    assert row["montant_non_rattache"] == 3000 + 6000 + 700


def test_totals_per_scheme(warehouse: duckdb.DuckDBPyConnection) -> None:
    got = money.totals(warehouse)
    assert got[AMI] == {"lignes": 4, "montant": 31000.0, "montant_connu": 3, "montants_ecartes": 0}
    assert got[AMPLI]["montant"] == 5000.0
    assert got[DEVELOPPEMENT]["montant"] == 8000.0


def test_rebuilding_changes_nothing(warehouse: duckdb.DuckDBPyConnection) -> None:
    before = _links(warehouse)
    links.build(warehouse, all_schemes(warehouse))
    assert _links(warehouse) == before


@pytest.mark.parametrize(
    ("title", "words", "acronyms"),
    [
        ("AMI Tiers-Lieux 2025-2028", ["tier", "lieu"], []),
        (
            "Amorçage de projets de l'ESS — programme d'incubation AMPLI",
            ["amorcage", "incubation", "ampli"],
            ["ampli"],
        ),
        (
            "Soutien aux coopératives d'activité et d'emploi (CAE)",
            ["cooperative", "activite", "emploi", "cae"],
            ["cae"],
        ),
        ("Aide au développement des entreprises de l'ESS", ["developpement"], []),
    ],
)
def test_title_words(title: str, words: list[str], acronyms: list[str]) -> None:
    assert links.title_words(title) == (words, acronyms)


def test_a_warehouse_written_before_the_catalogue(tmp_path: Path) -> None:
    """The national benchmark's warehouse has no aides_dispositifs table: reading the catalogue
    must not leave a result open, or the links' register() is refused (a serving copy failed so)."""
    con = write_warehouse(tmp_path)
    con.execute("DROP TABLE aides_dispositifs")
    search_key.define(con)
    assert links.build(con, all_schemes(con)) == 6  # as on the module fixture: lines 1-4, 8 and 9
    assert _links(con)["L1"] == (AMI, "certaine", "dispositif_aide")
    con.close()


# -- the same links as the rules gave before the set-based rewrite (issue 18's performance work) ----
#
# Digests of every link (line, scheme, confidence, method, words found, words counted) computed with
# the previous implementation of `links.build` (commit 11e258b) on two sets of lines: the benchmark's
# synthetic lines (bench/aides_links.py, 30,000 per scenario) and the real files of
# tests/fixtures/subventions (those with objets) against schemes whose titles are made of the
# words of their grantors' real objets (written below, synthetic schemes).


def link_rows(con: duckdb.DuckDBPyConnection, table: str) -> tuple[dict[str, int], str]:
    """Links per confidence, and a digest of every link."""
    import hashlib

    rows = con.execute(
        f"""SELECT subsidy_key, dispositif_id, confiance, methode, mots_trouves, mots_titre FROM {table}
        ORDER BY ALL"""
    ).fetchall()
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[2]] = counts.get(row[2], 0) + 1
    return counts, hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def synthetic_digests(lines: int = 30_000) -> dict[str, tuple[dict[str, int], str]]:
    import random

    from bench import aides_links as bench

    con = duckdb.connect()
    search_key.define(con)
    schemes, _ = bench._schemes(random.Random(bench.SEED))
    found = {}
    for name, (_, porteurs, ids) in bench.SCENARIOS.items():
        bench._lines(con, schemes, porteurs, ids, n=lines)
        links.build(con, schemes, subsidies="bench_subsidies", table="bench_links")  # type: ignore[arg-type]
        found[name] = link_rows(con, "bench_links")
    con.close()
    return found


REAL_FILES = [
    "pays-de-la-loire-2019/224900019_conventions-de-subventions-du-departement-de-maine-et-loire.csv",
    "pays-de-la-loire-2019/85-Vendee_2018_Publication_données_Open_data_Subventions_Conventions.csv",
    "scdl-examples-2018/SCDL_COM_Poitiers_citoyennete-subventions-directes-attribuees-aux-associations-2017-ville-de-poiti.csv",
    "scdl-examples-2018/DEP_Somme_TB_20180302_DONNEES_CONVENTIONS.csv",
    "scdl-examples-2018/DEP_Nièvre_CD58_SUBVENTIONS_2016_LISTE.csv",
    "scdl-examples-2018/DEP_Lot_Subventions_2017_DONNEES.xlsx_pour_exemple.csv",
]


def real_schemes(con: duckdb.DuckDBPyConnection) -> list[Any]:
    """The shipped schemes, and for each grantor of the warehouse's lines **synthetic** schemes
    (porteur: the grantor) titled with the words of its lines' objets, as written (accents,
    capitals), one to three words each, and some titles twice (ambiguous lines)."""
    import re
    from collections import Counter

    import orjson

    from leviers.aides.catalogue import all_schemes
    from leviers.aides.schema import scheme_uuid
    from leviers.aides.scheme import Scheme

    schemes = list(all_schemes(con))
    rows = con.execute(
        "SELECT attribuant_siren, objet FROM subsidies WHERE objet IS NOT NULL ORDER BY attribuant_siren, objet"
    ).fetchall()
    words: dict[str, Counter[str]] = {}
    for siren, objet in rows:
        words.setdefault(siren, Counter()).update(re.findall(r"[^\W\d_]{3,}", objet))
    for siren, counter in sorted(words.items()):
        top = [w for w, _ in sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:60]]
        porteurs = orjson.dumps([{"nom": "Synthétique", "siren": siren}]).decode()
        for number in range(len(top)):
            title = " et ".join(top[number : number + 1 + number % 3])
            for copy in range(2 if number % 11 == 0 else 1):
                schemes.append(
                    Scheme(
                        values={
                            "id": scheme_uuid(f"https://leviers.invalid/test/{siren}/{number}/{copy}"),
                            "titre": f"Aide {title}",
                            "porteurs": porteurs,
                        },
                        origine="dispositif-aide",
                        source="synthétique",
                        licence=None,
                        date_source=None,
                    )
                )
    return schemes


def real_digest(tmp: Path | None = None) -> tuple[dict[str, int], str]:
    import tempfile

    from tests.subsidies.helpers import FIXTURES

    with tempfile.TemporaryDirectory() as folder:
        con = fresh(Path(tmp or folder) / "w.duckdb")
        for name in REAL_FILES:
            load(con, FIXTURES / name)
        search_key.define(con)
        links.build(con, real_schemes(con))
        found = link_rows(con, links.TABLE)
        con.close()
    return found


def test_the_same_links_on_the_benchmark_lines() -> None:
    assert synthetic_digests() == {
        "ids": ({"certaine": 30000}, "fe87fc201dfeefa8"),
        "mixte": ({"certaine": 5940, "probable": 636, "possible": 788}, "e825d512fb87d9f3"),
        "pire": ({"possible": 7639, "certaine": 5940, "probable": 6977}, "5aec59dc2391c015"),
    }


def test_the_same_links_on_real_files(tmp_path: Path) -> None:
    assert real_digest(tmp_path) == ({"probable": 122, "possible": 137}, "fcbd82af36f6146d")


def test_a_title_of_more_than_62_counted_words() -> None:
    """The words found are carried as a mask of their places in the title, or, past 62 counted
    words, as a list: both give the same links."""
    import string

    import orjson

    from leviers.aides.schema import scheme_uuid
    from leviers.aides.scheme import Scheme

    words = [f"mot{a}{b}" for a in string.ascii_lowercase[:3] for b in string.ascii_lowercase][:70]
    porteurs = orjson.dumps([{"siren": "200053759"}]).decode()
    schemes = [
        Scheme(
            values={
                "id": scheme_uuid(f"https://leviers.invalid/test/long/{size}"),
                "titre": " ".join(words[:size]),
                "porteurs": porteurs,
            },
            origine="dispositif-aide",
            source="synthétique",
            licence=None,
            date_source=None,
        )
        for size in (70, 3)
    ]
    con = duckdb.connect()
    search_key.define(con)
    con.execute(
        """CREATE TABLE subsidies AS SELECT * FROM (VALUES
        ('a', '200053759', 'Pour motaa, motbz et motcr', NULL),
        ('b', '200053759', 'motaa motab motac', NULL)) AS t(subsidy_key, attribuant_siren, objet, dispositif_aide)"""
    )
    assert links.build(con, schemes) == 2
    rows = con.execute(
        "SELECT subsidy_key, dispositif_id, confiance, mots_trouves, mots_titre FROM subsidy_scheme_links ORDER BY 1"
    ).fetchall()
    assert rows == [
        # 68 counted: « motas » and « motax » are both « mota », « motbs » and « motbx » « motb »
        ("a", schemes[0].id, "possible", ["motaa", "motbz", "motcr"], 68),
        ("b", schemes[1].id, "probable", ["motaa", "motab", "motac"], 3),
    ]


def test_an_empty_catalogue_and_schemes_without_porteurs() -> None:
    """No scheme: no link; a scheme no grantor carries: only its published id links a line."""
    from leviers.aides.scheme import Scheme

    con = duckdb.connect()
    search_key.define(con)
    con.execute(
        """CREATE TABLE subsidies AS SELECT * FROM (VALUES
        ('a', '200053759', 'Pour le réemploi', 'x-1'), ('b', '200053759', 'Réemploi', NULL))
        AS t(subsidy_key, attribuant_siren, objet, dispositif_aide)"""
    )
    assert links.build(con, []) == 0
    scheme = Scheme(
        values={"id": "x-1", "titre": "Aide au réemploi"},
        origine="dispositif-aide",
        source="synthétique",
        licence=None,
        date_source=None,
    )
    assert links.build(con, [scheme]) == 1
    assert con.execute("SELECT subsidy_key, confiance FROM subsidy_scheme_links").fetchall() == [
        ("a", "certaine")
    ]


# -- the catalogue's tables, kept per connection between builds over the same catalogue -----------


def _scheme(identifier: str, titre: str, siren: str = "200053759") -> Any:
    import orjson

    from leviers.aides.scheme import Scheme

    return Scheme(
        values={"id": identifier, "titre": titre, "porteurs": orjson.dumps([{"siren": siren}]).decode()},
        origine="dispositif-aide",
        source="synthétique",
        licence=None,
        date_source=None,
    )


def _temporary(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name LIKE 'lv_link%' ORDER BY 1"
        ).fetchall()
    ]


def _oids(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The catalogue tables' object ids (a table made again gets a new one)."""
    return [
        r[0]
        for r in con.execute(
            "SELECT table_oid FROM duckdb_tables() WHERE temporary AND table_name LIKE 'lv_link%' ORDER BY table_name"
        ).fetchall()
    ]


@pytest.fixture
def lines() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    search_key.define(con)
    con.execute(
        """CREATE TABLE subsidies AS SELECT * FROM (VALUES
        ('a', '200053759', 'Pour le réemploi', 'x-1'), ('b', '200053759', 'Recyclage et réemploi', NULL),
        ('c', '200053759', 'Fonctionnement', 'x-2'))
        AS t(subsidy_key, attribuant_siren, objet, dispositif_aide)"""
    )
    yield con
    con.close()


def _kept_links(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return con.execute(
        "SELECT subsidy_key, dispositif_id, confiance FROM subsidy_scheme_links ORDER BY 1"
    ).fetchall()


def test_the_catalogue_tables_are_made_once_per_catalogue(lines: duckdb.DuckDBPyConnection) -> None:
    catalogue = [_scheme("x-1", "Aide au réemploi"), _scheme("x-3", "Recyclage et réemploi")]
    assert links.build(lines, catalogue) == 2
    made = _temporary(lines)
    # Its ids, its porteurs and the objet rule's tables, named by the catalogue's token.
    assert len(made) == 4
    assert len({name.rsplit("_", 1)[1] for name in made}) == 1
    oids = _oids(lines)
    # The same content from other objects: the same tables (not made again), the same links.
    again = [_scheme("x-1", "Aide au réemploi"), _scheme("x-3", "Recyclage et réemploi")]
    assert links.build(lines, again) == 2
    assert _temporary(lines) == made
    assert _oids(lines) == oids
    assert _kept_links(lines) == [("a", "x-1", "certaine"), ("b", "x-3", "probable")]


def test_a_changed_catalogue_gets_new_tables(lines: duckdb.DuckDBPyConnection) -> None:
    links.build(lines, [_scheme("x-1", "Aide au réemploi"), _scheme("x-3", "Recyclage et réemploi")])
    first = _temporary(lines)
    # Another scheme's id (line c now links), x-3 gone (line b fits x-1's only word: possible).
    assert links.build(lines, [_scheme("x-1", "Aide au réemploi"), _scheme("x-2", "Fonds vert")]) == 3
    second = _temporary(lines)
    assert not set(first) & set(second)  # the previous catalogue's tables are dropped
    assert _kept_links(lines) == [
        ("a", "x-1", "certaine"),
        ("b", "x-1", "possible"),
        ("c", "x-2", "certaine"),
    ]
    # A porteur changed, and only it: new tables again (line b's grantor no longer carries x-1).
    assert (
        links.build(lines, [_scheme("x-1", "Aide au réemploi", "123456789"), _scheme("x-2", "Fonds vert")])
        == 2
    )
    assert not set(second) & set(_temporary(lines))
    assert _kept_links(lines) == [("a", "x-1", "certaine"), ("c", "x-2", "certaine")]
    # Back to the first catalogue: its links again.
    assert (
        links.build(lines, [_scheme("x-1", "Aide au réemploi"), _scheme("x-3", "Recyclage et réemploi")]) == 2
    )
    assert _kept_links(lines) == [("a", "x-1", "certaine"), ("b", "x-3", "probable")]


def test_the_catalogue_tables_after_a_rollback_and_on_another_connection(
    lines: duckdb.DuckDBPyConnection,
) -> None:
    catalogue = [_scheme("x-1", "Aide au réemploi"), _scheme("x-3", "Recyclage et réemploi")]
    lines.execute("BEGIN")
    links.build(lines, catalogue)
    lines.execute("ROLLBACK")  # the tables made in the transaction are gone with it: made again
    assert not _temporary(lines)
    assert links.build(lines, catalogue) == 2
    assert len(_temporary(lines)) == 4
    other = lines.cursor()  # another connection to the same database: its own temporary tables
    search_key.define(other)
    try:
        assert links.build(other, catalogue, table="other_links") == 2
        assert len(_temporary(other)) == 4
    finally:
        other.close()
    assert _kept_links(lines) == [("a", "x-1", "certaine"), ("b", "x-3", "probable")]


def test_keep_false_leaves_the_connection_as_it_was(lines: duckdb.DuckDBPyConnection) -> None:
    catalogue = [_scheme("x-1", "Aide au réemploi"), _scheme("x-3", "Recyclage et réemploi")]
    assert links.build(lines, catalogue, table="page_links", temporary=True, keep=False) == 2
    assert _temporary(lines) == []
    assert links.build(lines, catalogue, keep=False) == 2
    assert _kept_links(lines) == [("a", "x-1", "certaine"), ("b", "x-3", "probable")]


def test_the_links_table_reads_back_as_text(lines: duckdb.DuckDBPyConnection) -> None:
    """confiance and methode are ENUMs: read as text, compared with text and parameters."""
    links.build(lines, [_scheme("x-1", "Aide au réemploi"), _scheme("x-3", "Recyclage et réemploi")])
    assert lines.execute(
        "SELECT subsidy_key, confiance, methode, confiance || '' FROM subsidy_scheme_links "
        "WHERE confiance = ? OR methode = 'attribuant_objet' ORDER BY list_position(['certaine', 'probable'], confiance)",
        ["certaine"],
    ).fetchall() == [
        ("a", "certaine", "dispositif_aide", "certaine"),
        ("b", "probable", "attribuant_objet", "probable"),
    ]
