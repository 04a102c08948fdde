"""Synthetic concession contracts (contrats de concession) in the 2024 JSON shape.

ASSUMPTIONS (no official figure stored): natures, procedures, durations, values and the
share of concessions with execution data; considerations use the same 2023 rates as
contracts (§4), with « Concession réservée » instead of « Marché réservé ».
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np

from leviers.decp.synth import calibration as cal
from leviers.decp.synth.batch import NC, Context, considerations

SYNTH_PREFIX = "[SYNTHÉTIQUE] "
NATURES = (
    ("Délégation de service public", 0.60),
    ("Concession de service public", 0.20),
    ("Concession de service", 0.15),
    ("Concession de travaux", 0.05),
)
PROCEDURES = (
    ("Procédure négociée ouverte", 0.70),
    ("Procédure non négociée ouverte", 0.20),
    ("Procédure négociée restreinte", 0.07),
    ("Procédure non négociée restreinte", 0.03),
)
OBJETS = (
    ("Exploitation du service public d'eau potable", "Prix du m³ d'eau"),
    ("Exploitation du service public d'assainissement collectif", "Redevance assainissement par m³"),
    ("Restauration scolaire", "Prix du repas enfant"),
    ("Transport urbain de voyageurs", "Ticket à l'unité"),
    ("Gestion d'une piscine intercommunale", "Entrée adulte"),
    ("Stationnement payant sur voirie et en ouvrage", "Heure de stationnement"),
    ("Gestion d'un multi-accueil petite enfance", "Heure d'accueil (tarif moyen)"),
    ("Gestion d'un camping municipal", "Nuitée emplacement"),
    ("Fourrière automobile", "Enlèvement d'un véhicule"),
    ("Réseau de chaleur urbain", "Abonnement annuel"),
)
SOCIAL_LABELS = ["Clause sociale", "Critère social", "Concession réservée"]
ENV_LABELS = ["Clause environnementale", "Critère environnemental"]


def _pick(rng: np.random.Generator, table: tuple[tuple[str, float], ...]) -> str:
    probs = np.array([p for _, p in table])
    return table[int(rng.choice(len(table), p=probs / probs.sum()))][0]


def _mask(rng: np.random.Generator, rate: float, kinds: int, probs: tuple[float, ...]) -> int:
    if rng.random() >= rate:
        return 0
    mask = sum(1 << bit for bit in range(kinds) if rng.random() < probs[bit])
    return mask or 1


def concession_records(ctx: Context, batch_number: int, first: int, n: int) -> list[dict[str, Any]]:
    opts = ctx.options
    rng = np.random.default_rng(np.random.SeedSequence([opts.seed, 2, batch_number]))
    bp, sp, pl = ctx.buyers, ctx.suppliers, ctx.places
    buyers = bp.draw(rng, n)
    span = (opts.end - opts.start).days + 1
    social_probs = tuple(p for _, p in cal.SOCIAL_KINDS)
    env_probs = tuple(p for _, p in cal.ENV_KINDS)
    pme = sp.groups["PME"][0]
    records = []
    for i in range(n):
        b = int(buyers[i])
        signature = opts.start + timedelta(days=int(rng.integers(0, span)))
        objet, tarif_label = OBJETS[int(rng.integers(0, len(OBJETS)))]
        duree = int(rng.integers(36, 241))
        valeur = round(float(100_000.0 / (1.0 - rng.random() * (1 - (1e5 / 2e9) ** 1.0))), 2)
        n_holders = 1 if rng.random() < 0.95 else 2
        holders = rng.choice(pme, size=n_holders, replace=False)
        social_rate = cal.SOCIAL_RATE_COLLECTIVITES if bp.is_collectivite[b] else cal.SOCIAL_RATE_OTHERS
        social = _mask(rng, social_rate, 3, social_probs)
        env = _mask(rng, 0.291, 2, env_probs)
        if rng.random() < opts.nc_rate:
            social = env = NC
        record: dict[str, Any] = {
            "id": f"SYNC{first + i:012d}",
            "autoriteConcedante": {"id": str(bp.siret[b])},
            "nature": _pick(rng, NATURES),
            "objet": f"{SYNTH_PREFIX}{objet} — {pl.nom[bp.place[b]]}",
            "procedure": _pick(rng, PROCEDURES),
            "dureeMois": duree,
            "dateSignature": str(signature),
            "datePublicationDonnees": str(
                signature + timedelta(days=int(rng.integers(0, cal.PUBLICATION_DELAY_DAYS)))
            ),
            "dateDebutExecution": str(signature + timedelta(days=int(rng.integers(0, 91)))),
            "valeurGlobale": valeur,
            "montantSubventionPublique": 0
            if rng.random() < 0.7
            else round(valeur * float(rng.uniform(0.01, 0.2)), 2),
        }
        if rng.random() < 0.5:
            record["donneesExecution"] = [
                {
                    "donneesAnnuelles": {
                        "datePublicationDonneesExecution": str(signature + timedelta(days=365 * (year + 1))),
                        "depensesInvestissement": round(valeur * float(rng.uniform(0, 0.05)), 2),
                        "tarifs": [
                            {
                                "tarif": {
                                    "intituleTarif": tarif_label,
                                    "tarif": round(float(rng.uniform(0.5, 30)), 2),
                                }
                            }
                        ],
                    }
                }
                for year in range(int(rng.integers(1, 3)))
            ]
        record["concessionnaires"] = [
            {"concessionnaire": {"typeIdentifiant": "SIRET", "id": str(sp.id[h])}} for h in holders
        ]
        record["considerationsSociales"] = {
            "considerationSociale": considerations(social, SOCIAL_LABELS, "Pas de considération sociale")
        }
        record["considerationsEnvironnementales"] = {
            "considerationEnvironnementale": considerations(
                env, ENV_LABELS, "Pas de considération environnementale"
            )
        }
        if rng.random() < 0.2:
            mods = []
            when = signature
            for k in range(int(rng.integers(1, 4))):
                when = when + timedelta(days=int(rng.integers(60, 400)))
                mods.append(
                    {
                        "modification": {
                            "id": k + 1,
                            "dateSignatureModification": str(when),
                            "datePublicationDonneesModification": str(
                                when + timedelta(days=int(rng.integers(0, 31)))
                            ),
                            "valeurGlobale": round(valeur * (1 + 0.05 * (k + 1)), 2),
                        }
                    }
                )
            record["modifications"] = mods
        records.append(record)
    return records
