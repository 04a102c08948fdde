"""Vectorised generation of one batch of synthetic contracts (marchés) and concessions.

A batch is a set of numpy arrays (one value per contract, or flat arrays with per-contract
offsets for the lists: titulaires, modifications, subcontracting acts). The writers turn it
into JSON 2024 records or consolidated rows. All randomness comes from the batch's own
generator, so a batch depends only on (seed, batch number, size).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from leviers.decp.synth import calibration as cal
from leviers.decp.synth.cpv import CPV_TABLE, TRAVAUX
from leviers.decp.synth.pools import BuyerPool, Places, SupplierPool

CPV_CUMULATIVE = np.cumsum([e.weight for e in CPV_TABLE]) / sum(e.weight for e in CPV_TABLE)
CPV_IS_WORKS = np.array([e.type == TRAVAUX for e in CPV_TABLE])
CPV_ORIGIN = np.array([e.origin_applies for e in CPV_TABLE])

SOCIAL_LABELS = [k for k, _ in cal.SOCIAL_KINDS]
ENV_LABELS = [k for k, _ in cal.ENV_KINDS]
NC = -1  # considerations mask meaning « NC » was published

# Kinds of deliberately invalid records.
INVALID_NONE = 0
INVALID_MISSING_MONTANT = 1
INVALID_SIRET = 2
INVALID_DATE = 3
INVALID_MONTANT_ZERO = 4
INVALID_KINDS = {
    INVALID_MISSING_MONTANT: "montant absent",
    INVALID_SIRET: "SIRET de l'acheteur à 13 chiffres",
    INVALID_DATE: "date de notification au format JJ/MM/AAAA",
    INVALID_MONTANT_ZERO: "montant nul",
}

TECHNIQUES = (("Sans objet",), ("Accord-cadre",))
MODALITES = (("Sans objet",), ("Tranches",), ("Bons de commande",), ("Marchés subséquents",))


@dataclass(frozen=True)
class Options:
    contracts: int
    seed: int
    nc_rate: float = cal.DEFAULT_NC_RATE
    invalid_rate: float = cal.DEFAULT_INVALID_RATE
    start: date = cal.DEFAULT_START
    end: date = cal.DEFAULT_END

    @property
    def concessions(self) -> int:
        return round(self.contracts * cal.CONCESSIONS_PER_CONTRACT)


@dataclass
class Context:
    options: Options
    places: Places
    buyers: BuyerPool
    suppliers: SupplierPool


def _choice(rng: np.random.Generator, table: tuple[tuple[object, float], ...], n: int) -> np.ndarray:
    probs = np.array([p for _, p in table], dtype=np.float64)
    return rng.choice(len(table), size=n, p=probs / probs.sum())


def _offsets(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def _group_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Running sums of `values` restarting at each group (groups of `counts` consecutive items)."""
    total = np.cumsum(values)
    before = np.concatenate([[0], total])[_offsets(counts)[:-1]]
    return total - np.repeat(before, counts)


def _consideration_mask(
    rng: np.random.Generator, has: np.ndarray, kinds: tuple[tuple[str, float], ...]
) -> np.ndarray:
    """Bit mask of the considerations (bit i = kinds[i]); 0 = « Pas de … »."""
    n = len(has)
    mask = np.zeros(n, dtype=np.int64)
    for bit, (_, p) in enumerate(kinds):
        mask |= (rng.random(n) < p).astype(np.int64) << bit
    mask = np.where(has & (mask == 0), 1, mask)  # at least one: the first kind (a clause)
    return np.where(has, mask, 0)


def _logistic(k: float, c: float, amounts: np.ndarray, increasing: bool) -> np.ndarray:
    z = k * (np.log10(amounts) - c)
    return 1.0 / (1.0 + np.exp(z if not increasing else -z))


@dataclass
class Batch:
    n: int
    index: np.ndarray  # global contract number
    buyer: np.ndarray
    cpv: np.ndarray
    nature: np.ndarray  # index into cal.NATURES
    montant: np.ndarray
    notification: np.ndarray  # datetime64[D]
    publication: np.ndarray
    duree: np.ndarray
    procedure: np.ndarray  # label strings (object)
    technique: np.ndarray  # index into TECHNIQUES
    modalite: np.ndarray  # index into MODALITES
    ccag: np.ndarray  # label strings
    offres: np.ndarray
    innovant: np.ndarray
    avance: np.ndarray
    taux_avance: np.ndarray  # nan when no avance
    groupement: np.ndarray  # label strings
    sous_traitance: np.ndarray
    forme_prix: np.ndarray  # index into cal.FORMES_PRIX
    types_prix: np.ndarray  # index into cal.TYPES_PRIX
    lieu_type: np.ndarray  # index into cal.LIEU_TYPES
    origine_ue: np.ndarray  # nan when not applicable
    origine_fr: np.ndarray
    social: np.ndarray  # bit mask over SOCIAL_LABELS, 0 « Pas de », NC = -1
    env: np.ndarray
    invalid: np.ndarray  # INVALID_* kind
    lot: np.ndarray  # lot number in the object, 0 = none
    # titulaires (flat, with offsets)
    tit_offsets: np.ndarray
    tit_supplier: np.ndarray
    # modifications (flat, with offsets)
    mod_offsets: np.ndarray
    mod_date: np.ndarray
    mod_publication: np.ndarray
    mod_montant: np.ndarray  # nan: unchanged
    mod_duree: np.ndarray  # 0: unchanged
    mod_first_titulaire: np.ndarray  # supplier replacing the first titulaire, -1: unchanged
    # subcontracting acts (flat, with offsets)
    acte_offsets: np.ndarray
    acte_supplier: np.ndarray
    acte_duree: np.ndarray
    acte_date: np.ndarray
    acte_publication: np.ndarray
    acte_montant: np.ndarray
    acte_variation: np.ndarray  # label strings


VARIATIONS = np.array(["Ferme", "Révisable", "Actualisable"], dtype=object)


def generate_batch(ctx: Context, batch_number: int, first: int, n: int) -> Batch:
    opts = ctx.options
    rng = np.random.default_rng(np.random.SeedSequence([opts.seed, 1, batch_number]))
    buyer = ctx.buyers.draw(rng, n)
    is_coll = ctx.buyers.is_collectivite[buyer]
    cpv = np.minimum(np.searchsorted(CPV_CUMULATIVE, rng.random(n), side="right"), len(CPV_TABLE) - 1)
    works = CPV_IS_WORKS[cpv]

    # Amounts: truncated Pareto by inverse transform, rounded to the cent.
    u = rng.random(n)
    ratio = (cal.AMOUNT_MIN / cal.AMOUNT_MAX) ** cal.AMOUNT_ALPHA
    montant = np.round(cal.AMOUNT_MIN / (1.0 - u * (1.0 - ratio)) ** (1.0 / cal.AMOUNT_ALPHA), 2)

    days = (opts.end - opts.start).days + 1
    notification = np.datetime64(opts.start.isoformat(), "D") + rng.integers(0, days, n)
    publication = notification + rng.integers(0, cal.PUBLICATION_DELAY_DAYS, n)
    duree = np.clip(
        np.round(np.exp(rng.normal(np.log(cal.DUREE_MEDIAN_MONTHS), cal.DUREE_SIGMA, n))), 1, 120
    ).astype(np.int64)

    formal = montant >= np.where(works, cal.FORMAL_THRESHOLD_WORKS, cal.FORMAL_THRESHOLD_SUPPLIES_SERVICES)
    below = np.array([p for p, _ in cal.PROCEDURES_BELOW], dtype=object)[
        _choice(rng, cal.PROCEDURES_BELOW, n)
    ]
    above = np.array([p for p, _ in cal.PROCEDURES_ABOVE], dtype=object)[
        _choice(rng, cal.PROCEDURES_ABOVE, n)
    ]
    procedure = np.where(formal, above, below)
    sans_pub = procedure == "Marché passé sans publicité ni mise en concurrence préalable"
    mean_offers = np.where(formal, cal.MEAN_OFFERS_FORMAL, cal.MEAN_OFFERS_MAPA)
    offres = np.where(sans_pub, 1, 1 + rng.poisson(mean_offers - 1.0))

    accord_cadre = rng.random(n) < cal.SHARE_ACCORD_CADRE
    technique = accord_cadre.astype(np.int64)
    modalite = np.where(
        accord_cadre,
        np.where(rng.random(n) < 0.7, 2, 3),
        np.where(rng.random(n) < 0.8, 0, 1),
    )
    ccag_default = np.array([e.ccag for e in CPV_TABLE], dtype=object)[cpv]
    ccag = np.where(rng.random(n) < cal.SHARE_PAS_DE_CCAG, "Pas de CCAG", ccag_default)
    innovant = rng.random(n) < cal.SHARE_INNOVANT
    avance = rng.random(n) < cal.SHARE_AVANCE
    taux_avance = np.where(
        avance, np.array(cal.TAUX_AVANCE)[rng.integers(0, len(cal.TAUX_AVANCE), n)], np.nan
    )
    sous_traitance = rng.random(n) < np.where(
        works, cal.SHARE_SOUS_TRAITANCE_TRAVAUX, cal.SHARE_SOUS_TRAITANCE_AUTRES
    )
    forme_prix = _choice(rng, cal.FORMES_PRIX, n)
    types_prix = _choice(rng, cal.TYPES_PRIX, n)
    lieu_type = _choice(rng, cal.LIEU_TYPES, n)
    origin = CPV_ORIGIN[cpv]
    ue = np.round(rng.uniform(0.5, 1.0, n), 2)
    origine_ue = np.where(origin, ue, np.nan)
    origine_fr = np.where(origin, np.round(ue * rng.uniform(0.2, 1.0, n), 2), np.nan)
    nature = _choice(rng, cal.NATURES, n)
    lot = np.where(rng.random(n) < 0.3, rng.integers(1, 9, n), 0)

    # Considerations, calibrated on §4 (2023).
    p_social = np.where(is_coll, cal.SOCIAL_RATE_COLLECTIVITES, cal.SOCIAL_RATE_OTHERS)
    social = _consideration_mask(rng, rng.random(n) < p_social, cal.SOCIAL_KINDS)
    p_env = _logistic(*cal.ENV_LOGISTIC, montant, increasing=True)
    env = _consideration_mask(rng, rng.random(n) < p_env, cal.ENV_KINDS)
    nc = rng.random(n) < opts.nc_rate
    social = np.where(nc, NC, social)
    env = np.where(nc, NC, env)

    # Titulaires: count, then the first one's category from the amount (SME calibration).
    counts_table = tuple(zip(cal.TITULAIRES_COUNTS, cal.TITULAIRES_PROBS, strict=True))
    n_tit = np.array(cal.TITULAIRES_COUNTS)[_choice(rng, counts_table, n)]
    tit_offsets = _offsets(n_tit)
    total_tit = int(tit_offsets[-1])
    first_pos = tit_offsets[:-1]
    id_types = np.array([t for t, _ in cal.TITULAIRE_TYPES], dtype=object)[
        _choice(rng, cal.TITULAIRE_TYPES, total_tit)
    ]
    size_keys = np.where(
        rng.random(total_tit) < cal.CO_TITULAIRE_PME_SHARE,
        "PME",
        np.where(rng.random(total_tit) < cal.ETI_SHARE_OF_NON_PME, "ETI", "GE"),
    ).astype(object)
    p_pme = _logistic(*cal.PME_LOGISTIC, montant, increasing=False)
    first_key = np.where(
        rng.random(n) < p_pme, "PME", np.where(rng.random(n) < cal.ETI_SHARE_OF_NON_PME, "ETI", "GE")
    ).astype(object)
    size_keys[first_pos] = first_key
    keys = np.where(id_types == "SIRET", size_keys, id_types)
    tit_supplier = ctx.suppliers.draw(rng, keys)
    # Co-titulaires must differ (the schema wants unique items): shift repeats to a neighbour.
    contract_of = np.repeat(np.arange(n), n_tit)
    for _ in range(3):
        order = np.lexsort((tit_supplier, contract_of))
        sorted_sup, sorted_con = tit_supplier[order], contract_of[order]
        dup = np.zeros(total_tit, dtype=bool)
        dup[1:] = (sorted_sup[1:] == sorted_sup[:-1]) & (sorted_con[1:] == sorted_con[:-1])
        if not dup.any():
            break
        tit_supplier[order[dup]] = (tit_supplier[order[dup]] + 1 + rng.integers(0, 50, int(dup.sum()))) % len(
            ctx.suppliers.id
        )
    groupement = np.where(
        n_tit > 1, np.where(rng.random(n) < 0.7, "Conjoint", "Solidaire"), "Pas de groupement"
    ).astype(object)

    # Modifications (§5).
    modified = rng.random(n) < cal.SHARE_MODIFIED
    n_mod = np.where(
        modified,
        np.minimum(rng.geometric(1.0 / cal.MEAN_MODIFICATIONS_IF_MODIFIED, n), cal.MAX_MODIFICATIONS),
        0,
    )
    mod_offsets = _offsets(n_mod)
    total_mod = int(mod_offsets[-1])
    mod_contract = np.repeat(np.arange(n), n_mod)
    mod_date = notification[mod_contract] + _group_cumsum(rng.integers(15, 121, total_mod), n_mod)
    mod_publication = mod_date + rng.integers(0, 31, total_mod)
    effect = rng.random(total_mod)
    change_montant = (effect < 0.6) | (effect >= 0.9)
    change_duree = effect >= 0.6
    # Amounts and durations compound over the successive modifications of a contract.
    log_factor = np.where(change_montant, np.log(rng.uniform(1.0, 1.25, total_mod)), 0.0)
    mod_montant = np.where(
        change_montant, np.round(montant[mod_contract] * np.exp(_group_cumsum(log_factor, n_mod)), 2), np.nan
    )
    added = np.where(change_duree, rng.integers(1, 13, total_mod), 0)
    mod_duree = np.where(change_duree, duree[mod_contract] + _group_cumsum(added, n_mod), 0)
    new_first = rng.random(total_mod) < 0.04
    replacement = ctx.suppliers.draw(rng, np.full(total_mod, "PME", dtype=object))
    # The replacement must not be one of the other co-titulaires: rare, shifted if so.
    mod_first = np.where(new_first, replacement, -1)
    for m in np.flatnonzero(new_first):
        c = mod_contract[m]
        current = set(tit_supplier[tit_offsets[c] : tit_offsets[c + 1]].tolist())
        while int(mod_first[m]) in current:
            mod_first[m] = (mod_first[m] + 1) % len(ctx.suppliers.id)

    # Subcontracting acts.
    has_actes = sous_traitance & (rng.random(n) < cal.SHARE_ACTES_IF_SOUS_TRAITANCE)
    n_actes = np.where(has_actes, rng.integers(1, 4, n), 0)
    acte_offsets = _offsets(n_actes)
    total_actes = int(acte_offsets[-1])
    acte_contract = np.repeat(np.arange(n), n_actes)
    acte_supplier = ctx.suppliers.draw(rng, np.full(total_actes, "PME", dtype=object))
    acte_duree = np.maximum(1, np.round(duree[acte_contract] * rng.uniform(0.2, 1.0, total_actes))).astype(
        np.int64
    )
    acte_date = notification[acte_contract] + rng.integers(0, 121, total_actes)
    acte_publication = acte_date + rng.integers(0, 31, total_actes)
    acte_montant = np.maximum(1.0, np.round(montant[acte_contract] * rng.uniform(0.02, 0.3, total_actes), 2))
    acte_variation = VARIATIONS[rng.choice(3, size=total_actes, p=[0.5, 0.35, 0.15])]

    invalid = np.where(
        rng.random(n) < opts.invalid_rate, rng.integers(1, len(INVALID_KINDS) + 1, n), INVALID_NONE
    )

    return Batch(
        n=n,
        index=np.arange(first, first + n),
        buyer=buyer,
        cpv=cpv,
        nature=nature,
        montant=montant,
        notification=notification,
        publication=publication,
        duree=duree,
        procedure=procedure,
        technique=technique,
        modalite=modalite,
        ccag=ccag,
        offres=offres,
        innovant=innovant,
        avance=avance,
        taux_avance=taux_avance,
        groupement=groupement,
        sous_traitance=sous_traitance,
        forme_prix=forme_prix,
        types_prix=types_prix,
        lieu_type=lieu_type,
        origine_ue=origine_ue,
        origine_fr=origine_fr,
        social=social,
        env=env,
        invalid=invalid,
        lot=lot,
        tit_offsets=tit_offsets,
        tit_supplier=tit_supplier,
        mod_offsets=mod_offsets,
        mod_date=mod_date,
        mod_publication=mod_publication,
        mod_montant=mod_montant,
        mod_duree=mod_duree,
        mod_first_titulaire=mod_first,
        acte_offsets=acte_offsets,
        acte_supplier=acte_supplier,
        acte_duree=acte_duree,
        acte_date=acte_date,
        acte_publication=acte_publication,
        acte_montant=acte_montant,
        acte_variation=acte_variation,
    )


def considerations(mask: int, labels: list[str], none_label: str) -> list[str]:
    """The published list for a mask: labels, « Pas de … », or ["NC"]."""
    if mask == NC:
        return ["NC"]
    if mask == 0:
        return [none_label]
    return [label for bit, label in enumerate(labels) if mask >> bit & 1]
