"""Canonical records (canonical.py) against the full normalisation SQL they skip.

The full SQL (normalise.record_sql) is the reference: a record the C pass calls canonical must
come out of the projection (record_sql(canonical=True)) exactly as out of the full SQL, and the
full SQL must refuse nothing of it. Values near every rule's edge are drawn at random; the hand
cases pin down what each rule accepts, so that the fast path is actually taken.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leviers.decp import canonical, extract, normalise, records
from leviers.decp.normalise import MARCHE
from tests.decp.helpers import WAREHOUSE_TABLES, load, snapshot

pytestmark = pytest.mark.skipif(not canonical.available(), reason="bibliothèque C non compilée (make setup)")

# A canonical format-2024 marché, staged (the values as the extractor stages them).
CANONICAL: dict[str, str | None] = {
    "id": "2024-0001",
    "uid": None,
    "acheteur_id": "21750001630066",
    "acheteur_nom": None,
    "nature": "Marché",
    "objet": "Travaux de voirie",
    "code_cpv": "45233140",
    "procedure": "Procédure adaptée",
    "duree_mois": "12",
    "date_notification": "2024-06-03",
    "date_publication": "2024-07-11",
    "montant": "986489.15",
    "forme_prix": "Unitaire",
    "lieu_code": "75056",
    "lieu_type_code": "Code commune",
    "lieu_nom": None,
    "id_accord_cadre": None,
    "marche_innovant": "false",
    "ccag": "Travaux",
    "offres_recues": "3",
    "attribution_avance": "true",
    "taux_avance": "0.05",
    "type_groupement": "Pas de groupement",
    "sous_traitance_declaree": "false",
    "origine_ue": None,
    "origine_france": None,
}
CANONICAL_LISTS: dict[str, list[str] | None] = {
    "techniques": ["Sans objet"],
    "modalites_execution": ["Bons de commande"],
    "types_prix": ["Définitif ferme", "Définitif révisable"],
    "considerations_sociales": ["Clause sociale"],
    "considerations_environnementales": ["Pas de considération environnementale"],
}


def _staged(rows: list[dict[str, Any]]) -> pa.Table:
    """A staged table (extractor layout) of marché records given as column → value."""
    n = len(rows)
    columns: dict[str, Any] = {
        "record_index": pa.array(np.arange(n), pa.int64()),
        "schema_version": pa.array(["2.0"] * n),
        "json_ok": pa.array([True] * n),
        "raw": pa.array([json.dumps(row, ensure_ascii=False) for row in rows]),
    }
    for name in records.MARCHE_SCALARS:
        columns[name] = pa.array([row.get(name) for row in rows], pa.string())
    for name in records.MARCHE_LISTS:
        columns[name] = pa.array([row.get(name) for row in rows], extract.SCHEMA.field(name).type)
    for name in ("titulaires", "modifications", "actes"):
        columns[name] = pa.nulls(n, extract.SCHEMA.field(name).type)
    columns["modification_only"] = pa.array([False] * n)
    return pa.table(columns, schema=extract.SCHEMA)


def _record(**changes: Any) -> dict[str, Any]:
    return {**CANONICAL, **CANONICAL_LISTS, **changes}


def _mask(rows: list[dict[str, Any]]) -> list[bool]:
    return canonical.canonical_mask(_staged(rows), MARCHE, "2.0").tolist()


def _normalised(con: duckdb.DuckDBPyConnection, table: pa.Table, fast: bool) -> list[tuple[Any, ...]]:
    con.register("canonical_staged", table)
    try:
        sql = normalise.record_sql(MARCHE, "canonical_staged", schema_version="2.0", canonical=fast)
        # violations last, to be found by the caller
        return con.sql(
            f"SELECT * EXCLUDE (raw, violations), violations FROM ({sql}) ORDER BY record_index"
        ).fetchall()
    finally:
        con.unregister("canonical_staged")


def _compare(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> list[bool]:
    """Normalise the rows flagged canonical both ways: same rows, nothing refused."""
    table = _staged(rows)
    mask = canonical.canonical_mask(table, MARCHE, "2.0")
    flagged = table.filter(pa.array(mask))
    full = _normalised(con, flagged, fast=False)
    assert _normalised(con, flagged, fast=True) == full
    violations = [row[-1] for row in full]
    assert all(v == [] for v in violations), violations
    return mask.tolist()


# -- rules ----------------------------------------------------------------------------------------


def test_every_staged_column_has_a_rule() -> None:
    """A staged value without a rule would pass through the projection unchecked."""
    assert set(canonical.rules(MARCHE, "2.0")) == {*records.MARCHE_SCALARS, *records.MARCHE_LISTS}
    assert set(canonical.rules(MARCHE, "1.5")) == {*records.MARCHE_SCALARS, *records.MARCHE_LISTS}


def test_rules_follow_the_schema_and_the_version() -> None:
    rules = canonical.rules(MARCHE, "2.0")
    assert rules["id"] == canonical.Rule("id", required=True, min_length=1, max_length=16)
    assert rules["acheteur_id"].required
    assert rules["montant"].maximum == 15e9  # the ministry's placeholder bound
    assert rules["taux_avance"].minimum == 0
    assert rules["taux_avance"].maximum == 1
    # formePrix « Ferme » is a 2019 label: refused in a 2024 record, so never canonical there.
    assert "Ferme" not in rules["forme_prix"].values
    assert "Ferme" in canonical.rules(MARCHE, "1.5")["forme_prix"].values
    assert "Ferme" in canonical.rules(MARCHE, "2.0", strict_versions=False)["forme_prix"].values


def test_a_canonical_record_is_found_canonical(macros_con: duckdb.DuckDBPyConnection) -> None:
    assert _compare(macros_con, [_record(), _record(uid="FR123", origine_ue="0.4", lieu_nom="Paris")]) == [
        True,
        True,
    ]


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        # identifiers: present, within the schema's length (16 characters, counted, not bytes)
        ("id", None, False),
        ("id", "é" * 16, True),
        ("id", "é" * 17, False),
        ("acheteur_id", None, False),
        ("acheteur_id", "2175000163006", False),
        ("acheteur_id", "217 500 016 30066", False),
        # text the cleaning would change
        ("objet", " Travaux", False),
        ("objet", "Travaux ", False),
        ("objet", "Travaux\t", False),
        ("objet", "", False),
        ("objet", "NC", False),
        ("objet", "nc", False),
        ("objet", "cdl", False),
        ("objet", "INX Travaux", False),
        ("objet", "NCX", True),
        ("objet", "x" * 1000, True),
        ("objet", "x" * 1001, False),
        ("uid", " FR1", False),
        # Unicode spaces: let through by the C rule, trimmed by lv_clean on both paths
        ("uid", "\u00a0FR1", True),
        ("uid", "\u00a0NC", True),
        ("uid", "\u3000INX x", True),
        # labels: the official label of the record's version only
        ("nature", "marché", False),
        ("procedure", "Procédure concurrentielle avec négociation", False),
        ("forme_prix", "Ferme", False),
        ("ccag", "Sans objet", False),
        # numbers: JSON numbers inside the bounds
        ("montant", "1", True),
        ("montant", "1e5", True),
        ("montant", "0.5", False),
        ("montant", "15000000000", True),
        ("montant", "15000000000.01", False),
        ("montant", "1e400", False),
        ("montant", "1 000", False),
        ("montant", "1000,5", False),
        ("montant", "+5", False),
        ("montant", ".5", False),
        ("montant", "5.", False),
        ("montant", "NaN", False),
        ("taux_avance", "0", True),
        ("taux_avance", "-0", True),
        ("taux_avance", "1.5", False),
        ("duree_mois", "007", True),
        ("duree_mois", "0", False),
        ("duree_mois", "-3", False),
        ("duree_mois", "12.0", False),
        ("duree_mois", "999999999", True),
        ("duree_mois", "2147483648", False),
        ("marche_innovant", "oui", False),
        ("marche_innovant", "True", False),
        # dates: YYYY-MM-DD, a real day, in the plausible range
        ("date_notification", "2024-02-29", True),
        ("date_notification", "2023-02-29", False),
        ("date_notification", "2024-04-31", False),
        ("date_notification", "2024-13-01", False),
        ("date_notification", "1990-01-01", True),
        ("date_notification", "1989-12-31", False),
        ("date_notification", "2999-01-01", False),
        ("date_notification", "2024-06-03+01:00", False),
        ("date_notification", "2024-06-03T00:00:00", False),
        ("date_notification", "03/06/2024", False),
        # CPV: 8 digits, with or without the check digit
        ("code_cpv", "45233140-2", True),
        ("code_cpv", "4523314", False),
        ("code_cpv", "452331402", False),
        # lists: official labels and unknown tokens, no empty or NULL element
        ("considerations_sociales", None, True),
        ("considerations_sociales", [], True),
        ("considerations_sociales", ["NC"], True),
        ("considerations_sociales", ["nc"], False),
        ("considerations_sociales", [""], False),
        ("considerations_sociales", [None], False),
        ("considerations_sociales", ["Clause sociale", "Critère environnemental"], False),
        ("techniques", ["Sans objet", "Concours"], True),
    ],
)
def test_what_each_rule_accepts(
    macros_con: duckdb.DuckDBPyConnection, column: str, value: Any, expected: bool
) -> None:
    assert _compare(macros_con, [_record(**{column: value})]) == [expected]


def test_without_the_library_nothing_is_canonical(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(canonical.ENV_SWITCH, "0")
    assert _mask([_record()]) == [False]


def test_a_record_that_is_not_valid_json_is_never_canonical() -> None:
    table = _staged([_record()])
    table = table.set_column(2, "json_ok", pa.array([False]))
    assert canonical.canonical_mask(table, MARCHE, "2.0").tolist() == [False]


# -- property: values near every edge ------------------------------------------------------------

_TEXTS = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            " ",
            "NC",
            "nc",
            "Nc",
            "MQ",
            "CDL",
            "INX x",
            " x",
            "x ",
            "é" * 16,
            "é" * 17,
            "\tx",
            "\u00a0NC",
            "x\u3000",
        ]
    ),
)
_NUMBERS = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(-2, 2).map(repr),
    st.sampled_from(
        ["0", "-0", "1", "0.5", "1e5", "1E400", "15000000000", "15000000001", "1,5", " 1", ".5", "5.", "+1",
         "nan", "inf", "Infinity", "007", "2147483647", "2147483648", "999999999", "1.0", "NC", ""]
    ),
)  # fmt: skip
_DATES = st.one_of(
    st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}"),
    st.builds(lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}", st.integers(1985, 2035), st.integers(0, 13), st.integers(0, 32)),
    st.sampled_from(["2024-06-03+01:00", "2024-06-03T10:00:00Z", "03/06/2024", "2024-6-3", "NC", ""]),
)  # fmt: skip
_KIND_VALUES = {
    "int": _NUMBERS,
    "number": _NUMBERS,
    "bool": st.sampled_from(["true", "false", "True", "oui", "non", "1", "0", "NC", "", "vrai"]),
    "date": _DATES,
    "cpv": st.one_of(
        st.from_regex(r"[0-9]{6,9}(-[0-9]{1,2})?", fullmatch=True), st.sampled_from(["NC", "", "4523314O"])
    ),
    "siret": st.one_of(st.from_regex(r"[0-9 ]{12,16}", fullmatch=True), st.sampled_from(["NC", ""])),
    "text": _TEXTS,
    "id": _TEXTS,
}


def _labels(f: normalise.Field) -> st.SearchStrategy[str]:
    official = normalise.accepted_labels(
        MARCHE.name, f, "1.5", strict_versions=False
    ) + normalise.accepted_labels(MARCHE.name, f, "2.0", strict_versions=False)
    variants = [v.lower() for v in official] + [f" {v}" for v in official[:2]]
    aliases = list(normalise.ALIASES.get(f.column, {}))
    return st.sampled_from([*official, *variants, *aliases, "NC", "nc", "", "autre"])


def _list_labels(f: normalise.Field) -> st.SearchStrategy[list[str | None] | None]:
    labels = normalise.list_labels(MARCHE.name, f)
    element = st.one_of(st.sampled_from([*labels, *normalise.UNKNOWN_TOKENS, "nc", "", "Autre"]), st.none())
    return st.one_of(st.none(), st.lists(element, max_size=3))


def _field_values(f: normalise.Field) -> st.SearchStrategy[Any]:
    values = _labels(f) if f.kind == "enum" else _KIND_VALUES[f.kind]
    # The canonical value half of the time, so that whole records are often canonical.
    return st.one_of(st.none(), st.just(CANONICAL[f.column]), values)


_RECORD = st.fixed_dictionaries(
    {
        **{f.column: _field_values(f) for f in MARCHE.fields},
        "uid": st.one_of(st.none(), _TEXTS),
        **{
            f.column: st.one_of(st.just(CANONICAL_LISTS[f.column]), _list_labels(f))
            for f in MARCHE.list_fields
        },
    }
)


def _mostly_canonical(record: dict[str, Any], keep: int) -> dict[str, Any]:
    """The canonical record with `keep` of the drawn values: one or two odd values per record."""
    columns = sorted(record)
    chosen = {columns[(keep + k * 7) % len(columns)] for k in range(2)}
    return _record(**{c: record[c] for c in chosen})


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_RECORD, st.integers(0, 40)), min_size=1, max_size=40))
def test_canonical_records_normalise_as_the_full_sql(
    macros_con: duckdb.DuckDBPyConnection, drawn: list[tuple[dict[str, Any], int]]
) -> None:
    rows = [_mostly_canonical(record, keep) for record, keep in drawn] + [record for record, _ in drawn]
    _compare(macros_con, rows)


# -- the whole ingest ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("with_canonical", "canonical_count", "counts"),
    [(True, 12 + 2, (21, 18, 3)), (False, 0, (7, 4, 3))],
)
def test_a_file_loads_the_same_with_and_without_the_canonical_path(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    with_canonical: bool,
    canonical_count: int,
    counts: tuple[int, int, int],
) -> None:
    """Canonical records, records with one odd value each and invalid ones, in one file; and a
    file where no record is canonical."""
    base = {
        "id": "A",
        "acheteur": {"id": "21750001630066"},
        "nature": "Marché",
        "objet": "Travaux",
        "codeCPV": "45233140",
        "procedure": "Procédure adaptée",
        "dureeMois": 12,
        "dateNotification": "2024-06-03",
        "montant": 1000.5,
        "formePrix": "Unitaire",
        "considerationsSociales": {"considerationSociale": ["Clause sociale"]},
        "titulaires": [{"titulaire": {"id": "55204599900869", "typeIdentifiant": "SIRET"}}],
    }
    odd: list[dict[str, Any]] = [
        {"objet": " Travaux "},
        {"dateNotification": "2024-06-03+01:00"},
        {"montant": "1 000,50"},
        {"formePrix": "Ferme"},  # a 2019 label: refused
        {"dureeMois": 0},  # below the minimum: refused
        {"codeCPV": "45233140-2"},
        {"considerationsSociales": {"considerationSociale": ["NC"]}},
        {"procedure": "procédure adaptée"},
        {"id": "X" * 17},  # too long: refused
    ]
    canonical_odd = ({"codeCPV": "45233140-2"}, {"considerationsSociales": {"considerationSociale": ["NC"]}})
    if with_canonical:
        marches = [{**base, "id": f"C{i}"} for i in range(12)]
        marches += [{**base, "id": f"O{i}", **change} for i, change in enumerate(odd)]
    else:
        marches = [
            {**base, "id": f"O{i}", **change} for i, change in enumerate(odd) if change not in canonical_odd
        ]
    path = tmp_path / "mixte.json"
    path.write_text(json.dumps({"marches": {"marche": marches}}, ensure_ascii=False), encoding="utf-8")

    masks: list[int] = []
    real = canonical.canonical_mask

    def spy(*args: Any, **kwargs: Any) -> Any:
        mask = real(*args, **kwargs)
        masks.append(int(mask.sum()))
        return mask

    monkeypatch.setattr(canonical, "canonical_mask", spy)
    (fast,) = load(tmp_path / "fast.duckdb", path)
    # the canonical records, the CPV with its check digit, the list of « NC »
    assert masks == [canonical_count]
    monkeypatch.setenv(canonical.ENV_SWITCH, "0")
    (full,) = load(tmp_path / "full.duckdb", path)
    assert (
        (fast.records, fast.loaded, fast.quarantined)
        == (full.records, full.loaded, full.quarantined)
        == counts
    )
    fast_rows, full_rows = snapshot(tmp_path / "fast.duckdb"), snapshot(tmp_path / "full.duckdb")
    for table in WAREHOUSE_TABLES:
        if table != "ingestions":
            assert fast_rows[table] == full_rows[table], table
