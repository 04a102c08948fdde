"""Write synthetic DECP as the national consolidated table (decp-processing `schema_base.json`).

One row per contract × titulaire × state, where state 0 is the initial contract and state k
the contract after its k-th modification (`modification_id`), each row carrying the full
current values (amount and duration forward-filled, titulaires as modified); `donneesActuelles`
marks the latest state. Lists are joined with ", " and « Pas de … » values become « Sans objet »,
as decp-processing does (for the considerations and the CCAG; « Pas de groupement » is kept,
see below), and « NC » becomes empty, as decp-processing's cleaning does. Only marchés: the consolidated file has no concessions.
Codes and identifiers are written as text (decp-processing types some as integers, which
would drop leading zeros). Coordinates and distances, which need geocoding, stay empty.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from leviers.decp.synth import calibration as cal
from leviers.decp.synth.batch import (
    ENV_LABELS,
    INVALID_DATE,
    INVALID_MISSING_MONTANT,
    INVALID_MONTANT_ZERO,
    INVALID_SIRET,
    MODALITES,
    NC,
    SOCIAL_LABELS,
    TECHNIQUES,
    Batch,
    Context,
)
from leviers.decp.synth.cpv import CPV_TABLE
from leviers.decp.synth.json2024 import (
    CPV_CODES,
    FORME_LABELS,
    LIEU_LABELS,
    NATURE_LABELS,
    contract_id,
    objet,
)
from leviers.reference.data import read_rows

SOURCE_DATASET = "leviers-synthetique"

# The 58 columns of decp-processing reference/schema_base.json, in order.
SCHEMA = pa.schema(
    [
        ("uid", pa.string()),
        ("id", pa.string()),
        ("nature", pa.string()),
        ("acheteur_id", pa.string()),
        ("acheteur_nom", pa.string()),
        ("titulaire_id", pa.string()),
        ("titulaire_typeIdentifiant", pa.string()),
        ("titulaire_nom", pa.string()),
        ("objet", pa.string()),
        ("montant", pa.float64()),
        ("type", pa.string()),
        ("codeCPV", pa.string()),
        ("procedure", pa.string()),
        ("techniques", pa.string()),
        ("dureeMois", pa.int32()),
        ("dureeRestanteMois", pa.float64()),
        ("offresRecues", pa.int32()),
        ("dateNotification", pa.date32()),
        ("datePublicationDonnees", pa.date32()),
        ("formePrix", pa.string()),
        ("typesPrix", pa.string()),
        ("attributionAvance", pa.bool_()),
        ("tauxAvance", pa.float64()),
        ("marcheInnovant", pa.bool_()),
        ("modalitesExecution", pa.string()),
        ("considerationsSociales", pa.string()),
        ("considerationsEnvironnementales", pa.string()),
        ("ccag", pa.string()),
        ("sousTraitanceDeclaree", pa.bool_()),
        ("typeGroupementOperateurs", pa.string()),
        ("origineUE", pa.float64()),
        ("origineFrance", pa.float64()),
        ("lieuExecution_code", pa.string()),
        ("lieuExecution_typeCode", pa.string()),
        ("idAccordCadre", pa.string()),
        ("titulaire_distance", pa.int32()),
        ("acheteur_categorie", pa.string()),
        ("acheteur_commune_code", pa.string()),
        ("acheteur_commune_nom", pa.string()),
        ("acheteur_departement_code", pa.string()),
        ("acheteur_departement_nom", pa.string()),
        ("acheteur_region_code", pa.string()),
        ("acheteur_region_nom", pa.string()),
        ("acheteur_latitude", pa.float64()),
        ("acheteur_longitude", pa.float64()),
        ("titulaire_categorie", pa.string()),
        ("titulaire_commune_code", pa.string()),
        ("titulaire_commune_nom", pa.string()),
        ("titulaire_departement_code", pa.string()),
        ("titulaire_departement_nom", pa.string()),
        ("titulaire_region_code", pa.string()),
        ("titulaire_region_nom", pa.string()),
        ("titulaire_latitude", pa.float64()),
        ("titulaire_longitude", pa.float64()),
        ("modification_id", pa.int32()),
        ("donneesActuelles", pa.bool_()),
        ("sourceDataset", pa.string()),
        ("sourceFile", pa.string()),
    ]
)
# The CSV keeps dates as text so that a malformed one (deliberate dirt) can be written as is.
CSV_SCHEMA = pa.schema([pa.field(f.name, pa.string()) if f.type == pa.date32() else f for f in SCHEMA])


def _joined(mask: int, labels: list[str]) -> str | None:
    if mask == NC:
        return None  # decp-processing replaces every « NC » string by null
    if mask == 0:
        return "Sans objet"
    return ", ".join(label for bit, label in enumerate(labels) if mask >> bit & 1)


def _sans_objet(label: str) -> str:
    return "Sans objet" if label.startswith("Pas de") else label


def _ffill_index(defined: np.ndarray) -> np.ndarray:
    """For each position, the last position ≤ it where `defined` is True (True at group starts)."""
    idx = np.where(defined, np.arange(len(defined)), 0)
    return np.maximum.accumulate(idx)


class Names:
    """Names of départements and régions, for the *_nom columns."""

    def __init__(self) -> None:
        self.departement = {r["code"]: r["nom"] for r in read_rows("departements.csv")}
        self.region = {r["code"]: r["nom"] for r in read_rows("regions.csv")}


def consolidated_table(ctx: Context, b: Batch, names: Names, *, for_csv: bool) -> pa.Table:
    opts = ctx.options
    bp, sp, pl = ctx.buyers, ctx.suppliers, ctx.places
    n = b.n
    n_mod = np.diff(b.mod_offsets)
    n_tit = np.diff(b.tit_offsets)
    n_states = 1 + n_mod
    state_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(n_states, out=state_offsets[1:])
    total_states = int(state_offsets[-1])
    state_contract = np.repeat(np.arange(n), n_states)
    state_seq = np.arange(total_states) - np.repeat(state_offsets[:-1], n_states)
    is_initial = state_seq == 0
    mod_index = np.where(is_initial, 0, b.mod_offsets[state_contract] + state_seq - 1)

    def per_state(initial: np.ndarray, modified: np.ndarray) -> np.ndarray:
        if len(modified) == 0:
            return initial[state_contract]
        return np.where(is_initial, initial[state_contract], modified[mod_index])

    date_state = per_state(b.notification, b.mod_date)
    pub_state = per_state(b.publication, b.mod_publication)
    montant_values = per_state(b.montant, b.mod_montant)
    montant_from = _ffill_index(is_initial | ~np.isnan(montant_values))
    montant_state = montant_values[montant_from]
    duree_values = per_state(b.duree, b.mod_duree)
    duree_state = duree_values[_ffill_index(is_initial | (duree_values > 0))]
    first_values = per_state(np.full(n, -1), b.mod_first_titulaire)
    first_state = first_values[_ffill_index(is_initial | (first_values >= 0))]

    rows_per_state = n_tit[state_contract]
    row_state = np.repeat(np.arange(total_states), rows_per_state)
    row_offsets = np.zeros(total_states + 1, dtype=np.int64)
    np.cumsum(rows_per_state, out=row_offsets[1:])
    position = np.arange(len(row_state)) - np.repeat(row_offsets[:-1], rows_per_state)
    row_contract = state_contract[row_state]
    supplier = b.tit_supplier[b.tit_offsets[row_contract] + position]
    replaced = (position == 0) & (first_state[row_state] >= 0)
    supplier = np.where(replaced, first_state[row_state], supplier)

    invalid = b.invalid[row_contract]
    initial_amount = is_initial[montant_from][row_state]
    montant = montant_state[row_state].astype(np.float64)
    montant_mask = (invalid == INVALID_MISSING_MONTANT) & initial_amount
    montant = np.where((invalid == INVALID_MONTANT_ZERO) & initial_amount, 0.0, montant)
    duree = duree_state[row_state]
    notification = date_state[row_state]
    reference = np.datetime64((opts.end + timedelta(days=1)).isoformat(), "D")
    end = notification + np.round(duree * 30.5).astype("timedelta64[D]")
    restante = np.clip(np.round((end - reference).astype(np.int64) / 30.0, 1), 0, duree)

    # Per-contract text, then spread to rows.
    cpv = b.cpv
    seat = bp.place[b.buyer]
    seat_nom = pl.nom[seat]
    sirets = bp.siret[b.buyer]
    ids = np.array([contract_id(i) for i in b.index.tolist()], dtype=object)
    acheteur_id = np.where(
        b.invalid == INVALID_SIRET, np.array([s[:13] for s in sirets], dtype=object), sirets
    )
    uid = np.array([a + i for a, i in zip(sirets.tolist(), ids.tolist(), strict=True)], dtype=object)
    objets = np.array(
        [
            objet(c, lot, nom)
            for c, lot, nom in zip(cpv.tolist(), b.lot.tolist(), seat_nom.tolist(), strict=True)
        ],
        dtype=object,
    )
    lieu_label = np.array(LIEU_LABELS, dtype=object)[b.lieu_type]
    lieu_code = np.where(
        lieu_label == "Code commune",
        pl.code[seat],
        np.where(lieu_label == "Code postal", pl.code_postal[seat], pl.departement[seat]),
    )
    social = np.array([_joined(m, SOCIAL_LABELS) for m in b.social.tolist()], dtype=object)
    env = np.array([_joined(m, ENV_LABELS) for m in b.env.tolist()], dtype=object)
    techniques = np.array([", ".join(TECHNIQUES[t]) for t in range(len(TECHNIQUES))], dtype=object)[
        b.technique
    ]
    modalites = np.array([", ".join(MODALITES[m]) for m in range(len(MODALITES))], dtype=object)[b.modalite]
    types_prix = np.array([", ".join(t) for t, _ in cal.TYPES_PRIX], dtype=object)[b.types_prix]
    ccag = np.array([_sans_objet(c) for c in b.ccag.tolist()], dtype=object)
    # « Pas de groupement » stays: decp-processing's clean_null_equivalent maps a column named
    # « typeGroupement », which the consolidated table does not have.
    groupement = b.groupement
    cpv_type = np.array([e.type for e in CPV_TABLE], dtype=object)[cpv]

    acheteur_dep = pl.departement[seat]
    acheteur_reg = pl.region[seat]
    sup_place = sp.place[supplier]
    abroad = sup_place < 0
    safe_place = np.where(abroad, 0, sup_place)

    def text(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
        return pa.array(values.tolist(), type=pa.string(), mask=mask)

    def lookup(mapping: dict[str, str], codes: np.ndarray) -> np.ndarray:
        return np.array([mapping.get(c) for c in codes.tolist()], dtype=object)

    rc = row_contract
    date_text = np.datetime_as_string(notification, unit="D").astype(object)
    bad_date = (invalid == INVALID_DATE) & is_initial[row_state]
    if for_csv:
        french = np.array(
            [f"{d[8:10]}/{d[5:7]}/{d[0:4]}" for d in date_text[bad_date].tolist()], dtype=object
        )
        date_text[bad_date] = french
        date_col = text(date_text)
        pub_col = text(np.datetime_as_string(pub_state[row_state], unit="D").astype(object))
    else:
        date_col = pa.array(notification, type=pa.date32(), mask=bad_date)
        pub_col = pa.array(pub_state[row_state], type=pa.date32())

    taux = b.taux_avance[rc]
    ue, fr = b.origine_ue[rc], b.origine_fr[rc]
    nulls_f = pa.nulls(len(rc), type=pa.float64())
    columns: dict[str, Any] = {
        "uid": text(uid[rc]),
        "id": text(ids[rc]),
        "nature": text(np.array(NATURE_LABELS, dtype=object)[b.nature][rc]),
        "acheteur_id": text(acheteur_id[rc]),
        "acheteur_nom": text(bp.nom[b.buyer][rc]),
        "titulaire_id": text(sp.id[supplier]),
        "titulaire_typeIdentifiant": text(sp.type_identifiant[supplier]),
        "titulaire_nom": text(sp.nom[supplier]),
        "objet": text(objets[rc]),
        "montant": pa.array(montant, type=pa.float64(), mask=montant_mask),
        "type": text(cpv_type[rc]),
        "codeCPV": text(np.array(CPV_CODES, dtype=object)[cpv][rc]),
        "procedure": text(b.procedure[rc]),
        "techniques": text(techniques[rc]),
        "dureeMois": pa.array(duree, type=pa.int32()),
        "dureeRestanteMois": pa.array(restante, type=pa.float64()),
        "offresRecues": pa.array(b.offres[rc], type=pa.int32()),
        "dateNotification": date_col,
        "datePublicationDonnees": pub_col,
        "formePrix": text(np.array(FORME_LABELS, dtype=object)[b.forme_prix][rc]),
        "typesPrix": text(types_prix[rc]),
        "attributionAvance": pa.array(b.avance[rc]),
        "tauxAvance": pa.array(taux, type=pa.float64(), mask=np.isnan(taux)),
        "marcheInnovant": pa.array(b.innovant[rc]),
        "modalitesExecution": text(modalites[rc]),
        "considerationsSociales": text(social[rc]),
        "considerationsEnvironnementales": text(env[rc]),
        "ccag": text(ccag[rc]),
        "sousTraitanceDeclaree": pa.array(b.sous_traitance[rc]),
        "typeGroupementOperateurs": text(groupement[rc]),
        "origineUE": pa.array(ue, type=pa.float64(), mask=np.isnan(ue)),
        "origineFrance": pa.array(fr, type=pa.float64(), mask=np.isnan(fr)),
        "lieuExecution_code": text(lieu_code[rc]),
        "lieuExecution_typeCode": text(lieu_label[rc]),
        "idAccordCadre": pa.nulls(len(rc), type=pa.string()),
        "titulaire_distance": pa.nulls(len(rc), type=pa.int32()),
        "acheteur_categorie": text(bp.categorie[b.buyer][rc]),
        "acheteur_commune_code": text(pl.code[seat][rc]),
        "acheteur_commune_nom": text(seat_nom[rc]),
        "acheteur_departement_code": text(acheteur_dep[rc]),
        "acheteur_departement_nom": text(lookup(names.departement, acheteur_dep)[rc]),
        "acheteur_region_code": text(acheteur_reg[rc]),
        "acheteur_region_nom": text(lookup(names.region, acheteur_reg)[rc]),
        "acheteur_latitude": nulls_f,
        "acheteur_longitude": nulls_f,
        "titulaire_categorie": text(sp.categorie[supplier]),
        "titulaire_commune_code": text(pl.code[safe_place], abroad),
        "titulaire_commune_nom": text(pl.nom[safe_place], abroad),
        "titulaire_departement_code": text(pl.departement[safe_place], abroad),
        "titulaire_departement_nom": text(lookup(names.departement, pl.departement[safe_place]), abroad),
        "titulaire_region_code": text(pl.region[safe_place], abroad),
        "titulaire_region_nom": text(lookup(names.region, pl.region[safe_place]), abroad),
        "titulaire_latitude": nulls_f,
        "titulaire_longitude": nulls_f,
        "modification_id": pa.array(state_seq[row_state], type=pa.int32()),
        "donneesActuelles": pa.array(state_seq[row_state] == n_mod[rc]),
        "sourceDataset": pa.array([SOURCE_DATASET] * len(rc), type=pa.string()),
        "sourceFile": pa.array(
            [f"leviers:synth:decp?graine={opts.seed}&contrats={opts.contracts}"] * len(rc), type=pa.string()
        ),
    }
    schema = CSV_SCHEMA if for_csv else SCHEMA
    return pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)
