"""A synthetic StockUniteLegale Parquet file, for benchmarks and tests (never for figures).

It has INSEE's 35 columns with the types of the published Parquet (categorieJuridiqueUniteLegale
and the years as integers, dates as DATE, dateDernierTraitementUniteLegale as TIMESTAMP), one row
group per million rows, SIRENs unique and sorted like the real stock, and plausible value mixes
(about half sole traders, one in fourteen associations, ESS flag O on ESS legal forms, a few
thousand commercial companies flagged O). Names start with « [SYNTHÉTIQUE] » and the file carries
the Parquet metadata `leviers.synthetic = true`, so every load marks its rows synthetic.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from leviers.progress import NoProgress, Progress
from leviers.sirene.stock import SYNTHETIC_KEY

ROW_GROUP = 1_000_000
FIRST_SIREN = 100_000_000  # real SIRENs of legal units are spread over 9 digits; keep a fixed stride
SIREN_STRIDE = 31

# Legal categories and their weight in the synthetic stock (roughly the real mix).
CATEGORIES = np.array(
    [1000, 5499, 5710, 5720, 5498, 6540, 9220, 9260, 5458, 5460, 6317, 8210, 9300, 7210, 7346, 5599]
)
WEIGHTS = np.array([52.0, 9, 8, 5, 4, 8, 7, 0.3, 0.1, 0.1, 0.1, 0.05, 0.05, 0.2, 0.01, 0.5])
ESS_FORMS = {9220, 9260, 5458, 5460, 6317, 8210, 9300}
NAF = np.array(
    ["62.01Z", "94.99Z", "47.11F", "43.21A", "68.20B", "88.99B", "56.10A", "85.59A", "70.22Z", "01.11Z"]
)
SIZE_BANDS = np.array(["NN", "00", "01", "02", "03", "11", "12", "21", "22", "31"])

COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("siren", pa.string()),
    ("statutDiffusionUniteLegale", pa.string()),
    ("unitePurgeeUniteLegale", pa.bool_()),
    ("dateCreationUniteLegale", pa.date32()),
    ("sigleUniteLegale", pa.string()),
    ("sexeUniteLegale", pa.string()),
    ("prenom1UniteLegale", pa.string()),
    ("prenom2UniteLegale", pa.string()),
    ("prenom3UniteLegale", pa.string()),
    ("prenom4UniteLegale", pa.string()),
    ("prenomUsuelUniteLegale", pa.string()),
    ("pseudonymeUniteLegale", pa.string()),
    ("identifiantAssociationUniteLegale", pa.string()),
    ("trancheEffectifsUniteLegale", pa.string()),
    ("anneeEffectifsUniteLegale", pa.int64()),
    ("dateDernierTraitementUniteLegale", pa.timestamp("us")),
    ("nombrePeriodesUniteLegale", pa.int64()),
    ("categorieEntreprise", pa.string()),
    ("anneeCategorieEntreprise", pa.int64()),
    ("dateDebut", pa.date32()),
    ("etatAdministratifUniteLegale", pa.string()),
    ("nomUniteLegale", pa.string()),
    ("nomUsageUniteLegale", pa.string()),
    ("denominationUniteLegale", pa.string()),
    ("denominationUsuelle1UniteLegale", pa.string()),
    ("denominationUsuelle2UniteLegale", pa.string()),
    ("denominationUsuelle3UniteLegale", pa.string()),
    ("categorieJuridiqueUniteLegale", pa.int64()),
    ("activitePrincipaleUniteLegale", pa.string()),
    ("nomenclatureActivitePrincipaleUniteLegale", pa.string()),
    ("nicSiegeUniteLegale", pa.string()),
    ("economieSocialeSolidaireUniteLegale", pa.string()),
    ("societeMissionUniteLegale", pa.string()),
    ("caractereEmployeurUniteLegale", pa.string()),
    ("activitePrincipaleNAF25UniteLegale", pa.string()),
)
SCHEMA = pa.schema(list(COLUMNS), metadata={SYNTHETIC_KEY: b"true"})


def siren_of(index: np.ndarray) -> pa.Array:
    """The SIREN of row `index` (9 digits, unique, increasing)."""
    numbers = pa.array(FIRST_SIREN + index.astype(np.int64) * SIREN_STRIDE)
    return pc.utf8_lpad(pc.cast(numbers, pa.string()), 9, "0")


def _choice(rng: np.random.Generator, values: np.ndarray, n: int, p: np.ndarray | None = None) -> pa.Array:
    return _pick(list(values), rng.choice(len(values), size=n, p=p))


def _pick(values: list[str | None], codes: np.ndarray) -> pa.Array:
    """values[codes], built by Arrow (much faster than converting a NumPy array of strings)."""
    return pa.array(values, pa.string()).take(pa.array(codes.astype(np.int32)))


def _masked(array: pa.Array, keep: np.ndarray) -> pa.Array:
    """`array` with NULL where `keep` is false."""
    return pc.if_else(pa.array(keep), array, pa.scalar(None, array.type))


def _chunk(rng: np.random.Generator, start: int, n: int) -> pa.Table:
    index = np.arange(start, start + n)
    cj = CATEGORIES[rng.choice(len(CATEGORIES), size=n, p=WEIGHTS / WEIGHTS.sum())]
    person = cj == 1000
    association = np.isin(cj, (9220, 9260))
    ess_form = np.isin(cj, list(ESS_FORMS))
    # INSEE flag: O for ESS forms and ~0.2 % of commercial companies, N otherwise, empty for 5 %.
    flag = np.where(ess_form | (rng.random(n) < 0.002), 0, 1)
    flag[rng.random(n) < 0.05] = 2
    active = rng.random(n) < 0.6
    created = rng.integers(0, 365 * 60, size=n) - 365 * 10  # days since 1970, 1960 … 2020
    treated = (created.astype(np.int64) + rng.integers(0, 365 * 5, size=n)) * 86_400_000_000
    category = np.where(person, 3, np.where(rng.random(n) < 0.9, 0, 3))
    category[rng.random(n) < 0.0005] = 1
    category[rng.random(n) < 0.00002] = 2
    name = pc.binary_join_element_wise("[SYNTHÉTIQUE] UNITÉ ", pc.cast(pa.array(index), pa.string()), "")
    surname = pc.binary_join_element_wise(
        "[SYNTHÉTIQUE] NOM", pc.cast(pa.array(index % 5000), pa.string()), ""
    )
    rna = pc.binary_join_element_wise("W", pc.utf8_lpad(pc.cast(pa.array(index), pa.string()), 9, "0"), "")
    nulls = pa.nulls(n, pa.string())
    columns: dict[str, pa.Array] = {
        "siren": siren_of(index),
        "statutDiffusionUniteLegale": _pick(["O", "P"], (rng.random(n) >= 0.97).astype(np.int8)),
        "unitePurgeeUniteLegale": pa.nulls(n, pa.bool_()),
        "dateCreationUniteLegale": pa.array(created.astype("datetime64[D]")),
        "sigleUniteLegale": nulls,
        "sexeUniteLegale": _masked(_choice(rng, np.array(["M", "F"]), n), person),
        "prenom1UniteLegale": _masked(_choice(rng, np.array(["MARIE", "JEAN", "LÉA", "KARIM"]), n), person),
        "prenom2UniteLegale": nulls,
        "prenom3UniteLegale": nulls,
        "prenom4UniteLegale": nulls,
        "prenomUsuelUniteLegale": _masked(
            _choice(rng, np.array(["MARIE", "JEAN", "LÉA", "KARIM"]), n), person
        ),
        "pseudonymeUniteLegale": nulls,
        "identifiantAssociationUniteLegale": _masked(rna, association),
        "trancheEffectifsUniteLegale": _choice(rng, SIZE_BANDS, n),
        "anneeEffectifsUniteLegale": pa.array(rng.integers(2018, 2024, size=n)),
        "dateDernierTraitementUniteLegale": pa.array(treated.astype("datetime64[us]")),
        "nombrePeriodesUniteLegale": pa.array(rng.integers(1, 6, size=n)),
        "categorieEntreprise": _pick(["PME", "ETI", "GE", None], category),
        "anneeCategorieEntreprise": _masked(pa.array(np.full(n, 2022)), ~person),
        "dateDebut": pa.array(created.astype("datetime64[D]")),
        "etatAdministratifUniteLegale": _pick(["A", "C"], (~active).astype(np.int8)),
        "nomUniteLegale": _masked(surname, person),
        "nomUsageUniteLegale": nulls,
        "denominationUniteLegale": _masked(name, ~person),
        "denominationUsuelle1UniteLegale": nulls,
        "denominationUsuelle2UniteLegale": nulls,
        "denominationUsuelle3UniteLegale": nulls,
        "categorieJuridiqueUniteLegale": pa.array(cj.astype(np.int64)),
        "activitePrincipaleUniteLegale": _choice(rng, NAF, n),
        "nomenclatureActivitePrincipaleUniteLegale": _pick(["NAFRev2"], np.zeros(n, np.int8)),
        "nicSiegeUniteLegale": pc.utf8_lpad(
            pc.cast(pa.array(rng.integers(10, 99999, size=n)), pa.string()), 5, "0"
        ),
        "economieSocialeSolidaireUniteLegale": _pick(["O", "N", None], flag),
        "societeMissionUniteLegale": _pick(["O", None], (rng.random(n) >= 0.001).astype(np.int8)),
        "caractereEmployeurUniteLegale": _pick(["O", "N"], (rng.random(n) >= 0.2).astype(np.int8)),
        "activitePrincipaleNAF25UniteLegale": nulls,
    }
    return pa.Table.from_arrays([columns[name] for name, _ in COLUMNS], schema=SCHEMA)


def write_synthetic_stock(path: Path, rows: int, *, seed: int = 42, progress: Progress | None = None) -> Path:
    """Write a synthetic stock of `rows` legal units to `path` (Parquet); return the path."""
    progress = progress or NoProgress()
    rng = np.random.default_rng(seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    progress.start("Stock SIRENE synthétique", rows, unit="unités légales")
    with pq.ParquetWriter(part, SCHEMA, compression="snappy") as writer:
        for start in range(0, rows, ROW_GROUP):
            n = min(ROW_GROUP, rows - start)
            writer.write_table(_chunk(rng, start, n), row_group_size=ROW_GROUP)
            progress.advance(n)
    part.replace(path)
    progress.finish()
    return path
