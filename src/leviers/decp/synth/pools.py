"""Who buys and who supplies: buyers drawn from the real collectivités, synthetic suppliers.

Buyers: the collectivités of the shipped reference — a level (commune, EPCI, département…)
in the proportions measured on real data, then a collectivité of that level in proportion to
its population — plus a pool of synthetic « other public
buyers » (State, hospitals, EPIC, syndicates) with skewed weights. Suppliers: a synthetic
pool, each with a Luhn-valid SIRET, a size category and a seat commune. Every synthetic name
says so.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from leviers.decp.synth import calibration as cal
from leviers.reference import Collectivite, collectivites, communes

# Prefixes of synthetic SIRENs per category of other buyers (real French public bodies use
# these leading digits; collectivités use 20–24, which are kept out).
_PREFIX = {"État": "1", "Établissement hospitalier": "26", "EPIC": "3", "Syndicat mixte": "25"}

# acheteur_categorie of the consolidated file, per type (and nature for statut particulier).
CATEGORY_BY_TYPE = {"commune": "Commune", "epci": "Groupement de communes", "region": "Région"}
CATEGORY_BY_NATURE = {
    "VILLE_DE_PARIS": "Commune",
    "COLLECTIVITE_OUTRE_MER": "Commune",
    "MET69": "Groupement de communes",
    "CEA": "Département",
    "MAYOTTE": "Département outre-mer",
    "CORSE": "Région",
    "CTU": "Région",
}
OVERSEAS_DEPARTEMENTS = ("971", "972", "973", "974", "976")


def _category(c: Collectivite) -> str:
    if c.type == "departement":
        return "Département outre-mer" if c.code in OVERSEAS_DEPARTEMENTS else "Département"
    return CATEGORY_BY_TYPE.get(c.type) or CATEGORY_BY_NATURE[c.nature]


def luhn_digit(digits: np.ndarray) -> np.ndarray:
    """The check digit that makes each row of `digits` (n × L, ints) + digit Luhn-valid."""
    n, length = digits.shape
    total = np.zeros(n, dtype=np.int64)
    # Positions counted from the right once the check digit is appended: the last given digit
    # is doubled, then every other one.
    for j in range(length):
        d = digits[:, length - 1 - j].astype(np.int64)
        if j % 2 == 0:
            d = d * 2
            d = np.where(d > 9, d - 9, d)
        total += d
    return (10 - total % 10) % 10


def _digits_to_str(digits: np.ndarray) -> np.ndarray:
    """n × L int digits → array of strings."""
    chars = (digits + ord("0")).astype(np.uint8)
    return np.array([row.tobytes().decode("ascii") for row in chars], dtype=object)


def make_sirens(rng: np.random.Generator, prefix: str, count: int) -> np.ndarray:
    """`count` distinct Luhn-valid SIRENs starting with `prefix` (digits)."""
    fixed = np.array([int(c) for c in prefix], dtype=np.int64)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < count:
        body = rng.integers(0, 10, size=(count, 8 - len(fixed)))
        digits = np.hstack([np.tile(fixed, (count, 1)), body])
        full = np.hstack([digits, luhn_digit(digits)[:, None]])
        for s in _digits_to_str(full):
            if s not in seen:
                seen.add(s)
                out.append(s)
                if len(out) == count:
                    break
    return np.array(out, dtype=object)


def siret_for(sirens: np.ndarray, nic_numbers: np.ndarray) -> np.ndarray:
    """SIRETs from SIRENs and 4-digit NIC stems (the 5th NIC digit makes the Luhn key)."""
    digits = np.array([[int(c) for c in f"{s}{k:04d}"] for s, k in zip(sirens, nic_numbers, strict=True)])
    check = luhn_digit(digits)
    return np.array(
        [f"{s}{k:04d}{c}" for s, k, c in zip(sirens, nic_numbers, check, strict=True)], dtype=object
    )


@dataclass
class Places:
    """Communes with a population, to draw seats from."""

    code: np.ndarray
    nom: np.ndarray
    departement: np.ndarray
    region: np.ndarray
    code_postal: np.ndarray
    cumulative: np.ndarray  # cumulative population weights, last = 1

    @classmethod
    def build(cls) -> Places:
        rows = sorted((c for c in communes().values() if c.population), key=lambda c: c.code_insee)
        weights = np.array([c.population for c in rows], dtype=np.float64)
        return cls(
            code=np.array([c.code_insee for c in rows], dtype=object),
            nom=np.array([c.nom for c in rows], dtype=object),
            departement=np.array([c.departement_code for c in rows], dtype=object),
            region=np.array([c.region_code for c in rows], dtype=object),
            code_postal=np.array([c.code_postal or c.code_insee for c in rows], dtype=object),
            cumulative=np.cumsum(weights) / weights.sum(),
        )

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.minimum(np.searchsorted(self.cumulative, rng.random(n), side="right"), len(self.code) - 1)

    def index_of(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.code)}


@dataclass
class BuyerPool:
    siret: np.ndarray
    nom: np.ndarray
    categorie: np.ndarray  # acheteur_categorie of the consolidated file
    is_collectivite: np.ndarray  # bool
    place: np.ndarray  # index into Places (seat commune)
    levels: list[
        tuple[np.ndarray, np.ndarray]
    ]  # per calibration.LEVEL_SHARES: (indices, cumulative ∝ population)
    other_cumulative: np.ndarray  # draw among other buyers (skewed)
    n_collectivites: int

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Buyers of `n` contracts: a level, then a collectivité ∝ population; or another buyer."""
        from_collectivite = rng.random(n) < cal.SHARE_COLLECTIVITES
        shares = np.array([p for _, p in cal.LEVEL_SHARES])
        level = rng.choice(len(shares), size=n, p=shares / shares.sum())
        u = rng.random(n)
        out = self.n_collectivites + np.minimum(
            np.searchsorted(self.other_cumulative, u, side="right"), len(self.other_cumulative) - 1
        )
        for k, (indices, cumulative) in enumerate(self.levels):
            mask = from_collectivite & (level == k)
            pos = np.minimum(np.searchsorted(cumulative, u[mask], side="right"), len(indices) - 1)
            out[mask] = indices[pos]
        return out


def _buyer_name(kind: str, nom: str) -> str:
    """Upper case without accents, as SIRENE writes public bodies' names."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", nom) if not unicodedata.combining(ch))
    return f"COMMUNE DE {plain.upper()}" if kind == "commune" else plain.upper()


def build_buyers(rng: np.random.Generator, places: Places) -> BuyerPool:
    place_index = places.index_of()
    rows = sorted((c for c in collectivites().values() if c.population), key=lambda c: c.siren)
    known = set(collectivites())
    sirens = np.array([c.siren for c in rows], dtype=object)
    weights = np.array([c.population for c in rows], dtype=np.float64)
    noms = [_buyer_name(c.type, c.nom) for c in rows]
    categories = [_category(c) for c in rows]
    seats = [place_index.get(c.commune_principale or "", 0) for c in rows]

    n_other = cal.OTHER_BUYERS_POOL
    cats = np.array([c for c, _ in cal.OTHER_BUYER_CATEGORIES], dtype=object)
    probs = np.array([p for _, p in cal.OTHER_BUYER_CATEGORIES])
    other_cat = cats[rng.choice(len(cats), size=n_other, p=probs / probs.sum())]
    other_siren = np.empty(n_other, dtype=object)
    for cat, prefix in _PREFIX.items():
        mask = other_cat == cat
        count = int(mask.sum())
        if count:
            candidates = make_sirens(rng, prefix, count * 2)
            candidates = np.array([s for s in candidates if s not in known][:count], dtype=object)
            other_siren[mask] = candidates
    other_names = [f"{cat.upper()} SYNTHÉTIQUE {i + 1:05d}" for i, cat in enumerate(other_cat)]
    other_seats = places.draw(rng, n_other)
    rank = np.arange(1, n_other + 1, dtype=np.float64)
    other_weights = 1.0 / (rank + 5.0) ** 0.8

    all_sirens = np.concatenate([sirens, other_siren])
    return BuyerPool(
        siret=siret_for(all_sirens, np.ones(len(all_sirens), dtype=np.int64)),
        nom=np.array(noms + other_names, dtype=object),
        categorie=np.array(categories + list(other_cat), dtype=object),
        is_collectivite=np.concatenate([np.ones(len(rows), bool), np.zeros(n_other, bool)]),
        place=np.concatenate([np.array(seats, dtype=np.int64), other_seats]),
        levels=[_level(rows, weights, kind) for kind, _ in cal.LEVEL_SHARES],
        other_cumulative=np.cumsum(other_weights) / other_weights.sum(),
        n_collectivites=len(rows),
    )


def _level(rows: list[Collectivite], weights: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    indices = np.array([i for i, c in enumerate(rows) if c.type == kind], dtype=np.int64)
    w = weights[indices]
    return indices, np.cumsum(w) / w.sum()


@dataclass
class SupplierPool:
    id: np.ndarray
    type_identifiant: np.ndarray
    categorie: np.ndarray  # PME / ETI / GE; None for non-SIRET ids
    nom: np.ndarray
    place: np.ndarray  # index into Places; -1 abroad
    groups: dict[str, tuple[np.ndarray, np.ndarray]]  # key → (indices, cumulative weights)

    def draw(self, rng: np.random.Generator, keys: np.ndarray) -> np.ndarray:
        """One supplier per element of `keys` (PME, ETI, GE, TVA, HORS-UE)."""
        out = np.empty(len(keys), dtype=np.int64)
        u = rng.random(len(keys))
        for key, (indices, cumulative) in self.groups.items():
            mask = keys == key
            if mask.any():
                pos = np.minimum(np.searchsorted(cumulative, u[mask], side="right"), len(indices) - 1)
                out[mask] = indices[pos]
        return out


def build_suppliers(rng: np.random.Generator, places: Places, n_contracts: int) -> SupplierPool:
    total = max(300, int(np.ceil(n_contracts * cal.SUPPLIERS_PER_CONTRACT)))
    # ASSUMPTION: composition of the pool (only shapes concentration; the share of contracts
    # per category is set by calibration.PME_LOGISTIC).
    sizes = {"PME": 0.895, "ETI": 0.07, "GE": 0.025, "TVA": 0.008, "HORS-UE": 0.002}
    counts = {k: max(20, int(total * v)) for k, v in sizes.items()}
    ids: list[np.ndarray] = []
    types: list[str] = []
    cats: list[str | None] = []
    groups: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    start = 0
    for key, count in counts.items():
        if key in ("PME", "ETI", "GE"):
            sirens = _sirens_mixed(rng, count)
            nic = rng.integers(1, 60, size=count)
            ids.append(siret_for(sirens, nic))
            types += ["SIRET"] * count
            cats += [key] * count
        elif key == "TVA":
            countries = rng.choice(np.array(["DE", "BE", "ES", "IT", "LU"], dtype=object), size=count)
            numbers = rng.integers(10**8, 10**9, size=count)
            ids.append(np.array([f"{c}{n}" for c, n in zip(countries, numbers, strict=True)], dtype=object))
            types += ["TVA"] * count
            cats += [None] * count
        else:
            numbers = rng.integers(10**8, 10**9, size=count)
            ids.append(np.array([f"CHE{n}" for n in numbers], dtype=object))
            types += ["HORS-UE"] * count
            cats += [None] * count
        rank = np.arange(1, count + 1, dtype=np.float64)
        weights = 1.0 / (rank + 20.0) ** 0.9  # a few suppliers win many contracts
        groups[key] = (np.arange(start, start + count), np.cumsum(weights) / weights.sum())
        start += count
    all_ids = np.concatenate(ids)
    n = len(all_ids)
    place = places.draw(rng, n)
    abroad = np.array([t != "SIRET" for t in types])
    return SupplierPool(
        id=all_ids,
        type_identifiant=np.array(types, dtype=object),
        categorie=np.array(cats, dtype=object),
        nom=np.array([f"ENTREPRISE SYNTHÉTIQUE {i + 1:06d}" for i in range(n)], dtype=object),
        place=np.where(abroad, -1, place),
        groups=groups,
    )


def _sirens_mixed(rng: np.random.Generator, count: int) -> np.ndarray:
    """Distinct Luhn-valid SIRENs with a first digit from 3 to 9 (private companies' range)."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < count:
        need = count - len(out)
        first = rng.integers(3, 10, size=(need, 1))
        body = rng.integers(0, 10, size=(need, 7))
        digits = np.hstack([first, body])
        full = np.hstack([digits, luhn_digit(digits)[:, None]])
        for s in _digits_to_str(full):
            if s not in seen:
                seen.add(s)
                out.append(s)
    return np.array(out[:count], dtype=object)
