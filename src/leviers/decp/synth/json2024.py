"""Write synthetic DECP in the official 2024 JSON format (schema 2.0.3), streaming with orjson.

Root: `{"leviers": {"synthetique": true, "generateur": …, "graine": S, "contrats": N},
"marches": {"marche": [...], "contrat-concession": [...]}}` — the `leviers` key comes first so
that a streaming reader knows the file is synthetic before the first record. Multi-valued
fields are wrapped as the schema wants (`{"considerationSociale": [...]}`, `[{"titulaire":
{...}}]`). Every record's `objet` starts with « [SYNTHÉTIQUE] » and every id with « SYN ».
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np
import orjson

from leviers.decp.synth import calibration as cal
from leviers.decp.synth.batch import (
    ENV_LABELS,
    INVALID_DATE,
    INVALID_MISSING_MONTANT,
    INVALID_MONTANT_ZERO,
    INVALID_SIRET,
    MODALITES,
    SOCIAL_LABELS,
    TECHNIQUES,
    Batch,
    Context,
    considerations,
)
from leviers.decp.synth.concessions import concession_records
from leviers.decp.synth.cpv import CPV_TABLE

SYNTH_PREFIX = "[SYNTHÉTIQUE] "
GENERATOR = "leviers synth decp"

NATURE_LABELS = [label for label, _ in cal.NATURES]
FORME_LABELS = [label for label, _ in cal.FORMES_PRIX]
TYPES_PRIX_LISTS = [list(labels) for labels, _ in cal.TYPES_PRIX]
LIEU_LABELS = [label for label, _ in cal.LIEU_TYPES]
CPV_CODES = [e.code for e in CPV_TABLE]
CPV_OBJETS = [e.objet for e in CPV_TABLE]


def contract_id(index: int) -> str:
    return f"SYN{index:013d}"


def french_date(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]}"


def dates(values: np.ndarray) -> list[str]:
    return list(np.datetime_as_string(values, unit="D").tolist())


def objet(cpv: int, lot: int, place_nom: str) -> str:
    suffix = f" — lot {lot}" if lot else ""
    return f"{SYNTH_PREFIX}{CPV_OBJETS[cpv]} — {place_nom}{suffix}"


def lieu(kind: int, code: str, postal: str, departement: str) -> dict[str, str]:
    label = LIEU_LABELS[kind]
    value = code if label == "Code commune" else postal if label == "Code postal" else departement
    return {"code": value, "typeCode": label}


def marche_records(ctx: Context, b: Batch) -> Iterator[dict[str, Any]]:
    """The batch's contracts as JSON-ready dictionaries, in the schema's key order."""
    bp, sp, pl = ctx.buyers, ctx.suppliers, ctx.places
    seat = bp.place[b.buyer]
    sirets = bp.siret[b.buyer].tolist()
    seat_code = pl.code[seat].tolist()
    seat_postal = pl.code_postal[seat].tolist()
    seat_dep = pl.departement[seat].tolist()
    seat_nom = pl.nom[seat].tolist()
    notification, publication = dates(b.notification), dates(b.publication)
    mod_date, mod_pub = dates(b.mod_date), dates(b.mod_publication)
    acte_date, acte_pub = dates(b.acte_date), dates(b.acte_publication)
    sup_id, sup_type = sp.id.tolist(), sp.type_identifiant.tolist()
    tit = b.tit_supplier.tolist()
    toff = b.tit_offsets.tolist()
    moff = b.mod_offsets.tolist()
    aoff = b.acte_offsets.tolist()
    mod_montant = b.mod_montant.tolist()
    mod_duree = b.mod_duree.tolist()
    mod_first = b.mod_first_titulaire.tolist()
    cols = {
        name: getattr(b, name).tolist()
        for name in (
            "index", "cpv", "nature", "montant", "duree", "procedure", "technique", "modalite", "ccag",
            "offres", "innovant", "avance", "taux_avance", "groupement", "sous_traitance", "forme_prix",
            "types_prix", "lieu_type", "origine_ue", "origine_fr", "social", "env", "invalid", "lot",
        )
    }  # fmt: skip
    acte_sup = b.acte_supplier.tolist()
    acte_duree = b.acte_duree.tolist()
    acte_montant = b.acte_montant.tolist()
    acte_var = b.acte_variation.tolist()

    def titulaire(s: int) -> dict[str, Any]:
        return {"titulaire": {"typeIdentifiant": sup_type[s], "id": sup_id[s]}}

    for i in range(b.n):
        c = cols
        titulaires_idx = tit[toff[i] : toff[i + 1]]
        record: dict[str, Any] = {
            "id": contract_id(c["index"][i]),
            "acheteur": {"id": sirets[i]},
            "nature": NATURE_LABELS[c["nature"][i]],
            "objet": objet(c["cpv"][i], c["lot"][i], seat_nom[i]),
            "codeCPV": CPV_CODES[c["cpv"][i]],
            "techniques": {"technique": list(TECHNIQUES[c["technique"][i]])},
            "modalitesExecution": {"modaliteExecution": list(MODALITES[c["modalite"][i]])},
            "marcheInnovant": c["innovant"][i],
            "ccag": c["ccag"][i],
            "offresRecues": c["offres"][i],
            "attributionAvance": c["avance"][i],
        }
        if c["avance"][i]:
            record["tauxAvance"] = c["taux_avance"][i]
        record["typeGroupementOperateurs"] = c["groupement"][i]
        record["sousTraitanceDeclaree"] = c["sous_traitance"][i]
        if aoff[i + 1] > aoff[i]:
            record["actesSousTraitance"] = [
                {
                    "acteSousTraitance": {
                        "id": k - aoff[i] + 1,
                        "sousTraitant": {"typeIdentifiant": sup_type[acte_sup[k]], "id": sup_id[acte_sup[k]]},
                        "dureeMois": acte_duree[k],
                        "dateNotification": acte_date[k],
                        "datePublicationDonnees": acte_pub[k],
                        "montant": acte_montant[k],
                        "variationPrix": acte_var[k],
                    }
                }
                for k in range(aoff[i], aoff[i + 1])
            ]
        record["procedure"] = c["procedure"][i]
        record["lieuExecution"] = lieu(c["lieu_type"][i], seat_code[i], seat_postal[i], seat_dep[i])
        record["dureeMois"] = c["duree"][i]
        record["dateNotification"] = notification[i]
        record["datePublicationDonnees"] = publication[i]
        record["montant"] = c["montant"][i]
        record["typesPrix"] = {"typePrix": TYPES_PRIX_LISTS[c["types_prix"][i]]}
        record["formePrix"] = FORME_LABELS[c["forme_prix"][i]]
        if c["origine_ue"][i] == c["origine_ue"][i]:  # not NaN
            record["origineUE"] = c["origine_ue"][i]
            record["origineFrance"] = c["origine_fr"][i]
        record["titulaires"] = [titulaire(s) for s in titulaires_idx]
        record["considerationsSociales"] = {
            "considerationSociale": considerations(
                c["social"][i], SOCIAL_LABELS, "Pas de considération sociale"
            )
        }
        record["considerationsEnvironnementales"] = {
            "considerationEnvironnementale": considerations(
                c["env"][i], ENV_LABELS, "Pas de considération environnementale"
            )
        }
        if moff[i + 1] > moff[i]:
            current = list(titulaires_idx)
            modifications = []
            for m in range(moff[i], moff[i + 1]):
                mod: dict[str, Any] = {
                    "id": m - moff[i] + 1,
                    "dateNotificationModification": mod_date[m],
                    "datePublicationDonneesModification": mod_pub[m],
                }
                if mod_duree[m]:
                    mod["dureeMois"] = mod_duree[m]
                if mod_montant[m] == mod_montant[m]:
                    mod["montant"] = mod_montant[m]
                if mod_first[m] >= 0:
                    current[0] = mod_first[m]
                    mod["titulaires"] = [titulaire(s) for s in current]
                modifications.append({"modification": mod})
            record["modifications"] = modifications
        invalid = c["invalid"][i]
        if invalid == INVALID_MISSING_MONTANT:
            del record["montant"]
        elif invalid == INVALID_SIRET:
            record["acheteur"] = {"id": sirets[i][:13]}
        elif invalid == INVALID_DATE:
            record["dateNotification"] = french_date(notification[i])
        elif invalid == INVALID_MONTANT_ZERO:
            record["montant"] = 0
        yield record


def write_json2024(
    ctx: Context, fh: BinaryIO, batches: Iterator[Batch], concession_batches: Iterator[list[dict[str, Any]]]
) -> None:
    opts = ctx.options
    meta = {"synthetique": True, "generateur": GENERATOR, "graine": opts.seed, "contrats": opts.contracts}
    fh.write(b'{"leviers":' + orjson.dumps(meta) + b',"marches":{"marche":[')
    first = True
    for batch in batches:
        chunks = []
        for record in marche_records(ctx, batch):
            chunks.append(orjson.dumps(record))
        if chunks:
            fh.write((b"" if first else b",") + b",".join(chunks))
            first = False
    fh.write(b'],"contrat-concession":[')
    first = True
    for records in concession_batches:
        if records:
            fh.write((b"" if first else b",") + b",".join(orjson.dumps(r) for r in records))
            first = False
    fh.write(b"]}}\n")


__all__ = ["GENERATOR", "SYNTH_PREFIX", "concession_records", "marche_records", "write_json2024"]
