"""Copy the shipped reference into the warehouse (tables `ref_*`), once per reference version."""

from __future__ import annotations

import duckdb

from leviers.reference.bands import POPULATION_BANDS
from leviers.reference.data import NATURE_LABELS, TYPE_LABELS, reference_dir, reference_version

META_KEY = "reference_version"

COLUMNS: dict[str, list[str]] = {
    "collectivites.csv.gz": [
        "siren", "type", "nature", "code", "nom", "population", "departement_code", "region_code",
        "departements", "epci_siren", "commune_principale", "competences", "groupe_pairs", "source",
    ],
    "communes.csv.gz": [
        "code_insee", "nom", "siren", "departement_code", "region_code", "epci_siren", "ept_siren",
        "population", "code_postal", "zone",
    ],
    "epci.csv": [
        "siren", "nom", "nature", "mode_financement", "population", "population_totale", "nb_communes",
        "departement_code", "region_code", "commune_principale",
    ],
    "departements.csv": [
        "code", "nom", "region_code", "chef_lieu", "siren", "collectivite_siren", "population", "zone",
    ],
    "regions.csv": ["code", "nom", "chef_lieu", "siren", "collectivite_siren", "population", "zone"],
}  # fmt: skip

TABLES = (
    "ref_collectivites",
    "ref_communes",
    "ref_epci",
    "ref_departements",
    "ref_regions",
    "ref_population_bands",
)


def _read(name: str) -> str:
    """A read_csv() call for one shipped file; every column as text so codes keep their zeros."""
    path = str(reference_dir() / name).replace("'", "''")
    columns = ", ".join(f"'{c}': 'VARCHAR'" for c in COLUMNS[name])
    return f"read_csv('{path}', header = true, auto_detect = false, columns = {{{columns}}})"


def _list(column: str) -> str:
    return f"CASE WHEN {column} IS NULL THEN []::VARCHAR[] ELSE string_split({column}, ' ') END"


def ensure_reference_tables(con: duckdb.DuckDBPyConnection, *, force: bool = False) -> bool:
    """Load (or refresh) the `ref_*` tables when the warehouse holds another reference version.

    Returns True when the tables were (re)loaded. All or nothing: one transaction.
    """
    version = reference_version()
    row = con.execute("SELECT value FROM warehouse_meta WHERE key = ?", [META_KEY]).fetchone()
    if row is not None and row[0] == version and not force:
        return False
    con.execute("BEGIN TRANSACTION")
    try:
        _load(con)
        con.execute("INSERT OR REPLACE INTO warehouse_meta VALUES (?, ?)", [META_KEY, version])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return True


def _load(con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES:
        con.execute(f"DELETE FROM {table}")
    con.executemany(
        "INSERT INTO ref_population_bands VALUES (?, ?, ?, ?, ?, ?)",
        [(b.groupe_pairs, b.code, b.libelle, b.minimum, b.maximum, b.rang) for b in POPULATION_BANDS],
    )
    labels = [("type", k, v) for k, v in TYPE_LABELS.items()]
    labels += [("nature", k, v) for k, v in NATURE_LABELS.items()]
    values = ", ".join("(?, ?, ?)" for _ in labels)
    params = [x for label in labels for x in label]
    con.execute(
        f"""
        INSERT INTO ref_collectivites
        WITH labels(kind, key, label) AS (VALUES {values}),
        src AS (SELECT *, CAST(population AS INTEGER) AS pop FROM {_read("collectivites.csv.gz")})
        SELECT c.siren, c.type, t.label, c.nature, coalesce(n.label, c.nature), c.code, c.nom, c.pop,
               c.departement_code, c.region_code, {_list("c.departements")}, c.epci_siren,
               c.commune_principale, {_list("c.competences")}, c.groupe_pairs,
               b.tranche_population, b.tranche_libelle, c.source
        FROM src AS c
        JOIN labels AS t ON t.kind = 'type' AND t.key = c.type
        LEFT JOIN labels AS n ON n.kind = 'nature' AND n.key = c.nature
        LEFT JOIN ref_population_bands AS b
               ON b.groupe_pairs = c.groupe_pairs AND c.pop >= b.population_min
              AND (b.population_max IS NULL OR c.pop < b.population_max)
        """,
        params,
    )
    con.execute(
        f"""
        INSERT INTO ref_communes
        SELECT code_insee, nom, siren, departement_code, region_code, epci_siren, ept_siren,
               CAST(population AS INTEGER), code_postal, zone
        FROM {_read("communes.csv.gz")}
        """
    )
    con.execute(
        f"""
        INSERT INTO ref_epci
        SELECT siren, nom, nature, mode_financement, CAST(population AS INTEGER),
               CAST(population_totale AS INTEGER), CAST(nb_communes AS INTEGER),
               departement_code, region_code, commune_principale
        FROM {_read("epci.csv")}
        """
    )
    con.execute(
        f"""
        INSERT INTO ref_departements
        SELECT code, nom, region_code, chef_lieu, siren, collectivite_siren,
               CAST(population AS INTEGER), zone
        FROM {_read("departements.csv")}
        """
    )
    con.execute(
        f"""
        INSERT INTO ref_regions
        SELECT code, nom, chef_lieu, siren, collectivite_siren, CAST(population AS INTEGER), zone
        FROM {_read("regions.csv")}
        """
    )
