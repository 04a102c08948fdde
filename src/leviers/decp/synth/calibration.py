"""The rates and distributions of the synthetic DECP, each with where it comes from.

« §4 » and « §5 » refer to `../shared/reference/decp.md` (official OECP figures for 2023 and
the measured volumes of the consolidated file). Values marked ASSUMPTION have no figure in
the reference notes: they are plausible orders of magnitude, documented in docs/synth.md,
and can be changed here.
"""

from __future__ import annotations

from datetime import date

# --- Buyers ------------------------------------------------------------------------------
# §4: collectivités territoriales placed 194 993 of the 243 731 contracts of 2023.
SHARE_COLLECTIVITES = 194_993 / 243_731  # 0.800
# Split of the collectivités' contracts between levels, measured on the real consolidated
# extract (../shared/data/decp/consolide-tabulaire, 5 180 works contracts of H2 2024, buyers
# resolved with leviers.reference): communes 2 626, EPCI 864, départements 242, statut
# particulier 28, régions 24. Within a level, a collectivité is drawn ∝ its population.
LEVEL_SHARES = (
    ("commune", 2626 / 3784),
    ("epci", 864 / 3784),
    ("departement", 242 / 3784),
    ("statut_particulier", 28 / 3784),
    ("region", 24 / 3784),
)
# ASSUMPTION: size of the pool of other public buyers (State, hospitals, EPIC, syndicates);
# §5 counts 29 069 buyers in all, of which the collectivités are the majority.
OTHER_BUYERS_POOL = 6_000
OTHER_BUYER_CATEGORIES = (
    ("État", 0.30),
    ("Établissement hospitalier", 0.30),
    ("EPIC", 0.20),
    ("Syndicat mixte", 0.20),
)

# --- Amounts -----------------------------------------------------------------------------
# Truncated Pareto from the 40 000 € DECP threshold. α chosen so that the mean amount of the
# contracts of 90 000 € and more is 170.6 G€ / 243 731 = 700 k€ (§4, 2023, recensement ≥ 90 k€).
AMOUNT_MIN = 40_000.0
AMOUNT_MAX = 1e9
AMOUNT_ALPHA = 1.05

# --- Suppliers ---------------------------------------------------------------------------
# §5: 216 335 suppliers for 1 845 800 contracts.
SUPPLIERS_PER_CONTRACT = 216_335 / 1_845_800  # 0.117
# §5: 2 114 675 current rows for 1 833 468 contracts → 1.153 titulaires per contract.
TITULAIRES_COUNTS = (1, 2, 3, 4, 5, 8)
TITULAIRES_PROBS = (0.911, 0.055, 0.018, 0.008, 0.004, 0.004)  # mean 1.159
# ASSUMPTION: identifier types of the titulaires.
TITULAIRE_TYPES = (("SIRET", 0.995), ("TVA", 0.004), ("HORS-UE", 0.001))
# §4 (2023): SMEs got 59.9 % of contracts by number and 27.2 % by amount. The category of the
# first titulaire is drawn with P(PME | amount) = 1 / (1 + exp(k (log10 amount − c))); k and c
# solve both figures for the amount distribution above (by numerical integration, see
# docs/synth.md).
PME_LOGISTIC = (1.1377, 5.3742)  # (k, c): 59.9 % by number, 27.2 % by amount
# ASSUMPTION: split of the non-SME titulaires between ETI and GE, and share of SMEs among the
# co-titulaires (second and following), which the official figures do not describe.
ETI_SHARE_OF_NON_PME = 0.45
CO_TITULAIRE_PME_SHARE = 0.60

# --- Modifications -----------------------------------------------------------------------
# §5: 3 283 035 rows in all, 2 114 675 current → 1 168 360 rows of earlier states, i.e.
# 0.55 modification per contract once divided by 1.153 titulaires; 425 737 uid of 1 845 800
# have several rows, multi-titulaire ones included: about 16 % of contracts are modified.
SHARE_MODIFIED = 0.16
MEAN_MODIFICATIONS_IF_MODIFIED = 3.4  # 0.16 × 3.4 = 0.544
MAX_MODIFICATIONS = 30

# --- Social and environmental considerations ---------------------------------------------
# §4 (2023, by number): 18.7 % with a social consideration; collectivités 12.7 %. The rate of
# the other buyers follows: (18.7 − 0.8 × 12.7) / 0.2 = 42.7 %.
SOCIAL_RATE_COLLECTIVITES = 0.127
SOCIAL_RATE_OTHERS = (0.187 - SHARE_COLLECTIVITES * 0.127) / (1 - SHARE_COLLECTIVITES)
# §4 (2023): environmental 29.1 % by number and 39.5 % by amount: P(env | amount) logistic,
# increasing with the amount, solved for both figures.
ENV_LOGISTIC = (0.2838, 8.1635)  # (k, c) with P = 1 / (1 + exp(−k (log10 amount − c)))
# ASSUMPTION: which considerations a contract with at least one carries (independent draws,
# at least one kept).
SOCIAL_KINDS = (("Clause sociale", 0.75), ("Critère social", 0.35), ("Marché réservé", 0.08))
ENV_KINDS = (("Clause environnementale", 0.70), ("Critère environnemental", 0.50))

# --- Dirt (defaults of --taux-nc and --taux-invalides; --propre sets both to 0) -----------
# decp.md §1.4: some sources publish « NC » in the considerations (marked « MQ NC » by MINEF).
DEFAULT_NC_RATE = 0.01
# Records that break the schema (missing required field, 13-digit SIRET, dd/mm/yyyy date,
# zero amount), so that quarantine paths are exercised at scale.
DEFAULT_INVALID_RATE = 0.002

# --- Contract features (ASSUMPTIONS unless stated) ----------------------------------------
NATURES = (("Marché", 0.989), ("Marché de défense ou de sécurité", 0.010), ("Marché de partenariat", 0.001))
# Formal-procedure thresholds of 2024-2025 for collectivités (Delegated Regulation (EU)
# 2023/2495): supplies and services 221 000 € HT, works 5 538 000 € HT.
FORMAL_THRESHOLD_SUPPLIES_SERVICES = 221_000.0
FORMAL_THRESHOLD_WORKS = 5_538_000.0
PROCEDURES_BELOW = (
    ("Procédure adaptée", 0.92),
    ("Marché passé sans publicité ni mise en concurrence préalable", 0.06),
    ("Appel d'offres ouvert", 0.02),
)
PROCEDURES_ABOVE = (
    ("Appel d'offres ouvert", 0.75),
    ("Appel d'offres restreint", 0.10),
    ("Procédure avec négociation", 0.10),
    ("Dialogue compétitif", 0.03),
    ("Marché passé sans publicité ni mise en concurrence préalable", 0.02),
)
MEAN_OFFERS_MAPA = 3.0  # offresRecues = 1 + Poisson(mean − 1); « sans publicité » → 1
MEAN_OFFERS_FORMAL = 4.5
SHARE_ACCORD_CADRE = 0.30
SHARE_INNOVANT = 0.005
SHARE_AVANCE = 0.20
TAUX_AVANCE = (0.0, 0.05, 0.10, 0.20, 0.30)  # 0 with attributionAvance = true: rate unknown
SHARE_SOUS_TRAITANCE_TRAVAUX = 0.30
SHARE_SOUS_TRAITANCE_AUTRES = 0.10
SHARE_ACTES_IF_SOUS_TRAITANCE = 0.40
SHARE_PAS_DE_CCAG = 0.15
FORMES_PRIX = (("Unitaire", 0.45), ("Forfaitaire", 0.45), ("Mixte", 0.10))
TYPES_PRIX = (
    (("Définitif ferme",), 0.45),
    (("Définitif révisable",), 0.35),
    (("Définitif actualisable",), 0.15),
    (("Définitif ferme", "Définitif révisable"), 0.04),
    (("Provisoire",), 0.01),
)
LIEU_TYPES = (("Code commune", 0.50), ("Code postal", 0.40), ("Code département", 0.10))
DUREE_MEDIAN_MONTHS = 12
DUREE_SIGMA = 0.8
PUBLICATION_DELAY_DAYS = 60  # data must be published within two months of notification

# Concessions: ASSUMPTION one per hundred contracts (JSON format only; the consolidated file
# has no concessions).
CONCESSIONS_PER_CONTRACT = 0.01

# Default notification period: the 2024 format applies to contracts notified from 2024-01-01.
DEFAULT_START = date(2024, 1, 1)
DEFAULT_END = date(2025, 12, 31)

# The records are written by batches of this many contracts; each batch has its own random
# stream derived from (seed, batch number), so a file depends on N and the seed only.
BATCH_SIZE = 20_000
