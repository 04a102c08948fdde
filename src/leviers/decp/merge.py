"""Merge a file's normalised DECP records into the warehouse, set-based.

Counting rule for one file (records = loaded + quarantined + duplicates):
- a record with at least one violation is *quarantined*;
- a valid record is *loaded* when it brings something new: the first record of a contract not
  yet in the warehouse, or a modification (contract key + modification id) not yet known;
- any other valid record is a *duplicate*; its file is still added to the contract's sources.
The first publication of a contract gives its initial data; later publications only add
modifications. A modification updates the contract's current state (amount, duration) and its
history is kept in contract_modifications / concession_modifications.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass

from leviers.decp import normalise
from leviers.decp.records import element_part
from leviers.ingestion.scratch import Scratch
from leviers.warehouse import session


def _acte(field: str) -> str:
    return element_part("a", "acteSousTraitance", field)


def _execution(field: str) -> str:
    return element_part("e.e", "donneesAnnuelles", field)


@dataclass
class MergeCounts:
    loaded: int
    duplicates: int


def _count(scratch: Scratch, sql: str) -> int:
    # fetchall, not fetchone: DuckDB 2 keeps a partly fetched result open on the connection.
    rows = scratch.execute(sql).fetchall()
    return int(rows[0][0]) if rows else 0


def _joins_as_written(scratch: Scratch) -> AbstractContextManager[None]:
    """Build the hash join on its right side as written. DuckDB guesses that a filtered batch
    (semi and anti joins) keeps a fifth of its rows at each step, and would put the batch's wide
    rows into the hash table instead of the small aggregate beside them (measured: 0.12 s of the
    0.31 s of a 120 000-row insert)."""
    return session.scoped(scratch.con, disabled_optimizers="build_side_probe_side")


_SIREN_OF_HOLDER = (
    "CASE WHEN regexp_full_match(holder_id, '[0-9]{14}') THEN left(holder_id, 9) "
    "WHEN regexp_full_match(holder_id, '[0-9]{9}') THEN holder_id END"
)
_HOLDER_TYPE = (
    f"CASE WHEN list_contains({normalise._sql_list(normalise.HOLDER_TYPES)}, type_identifiant) "
    "THEN type_identifiant ELSE type_publie END"
)

MARCHE_COLUMNS = (
    "contract_key, uid, acheteur_id, acheteur_siren, acheteur_nom, id, schema_version, source_format, "
    "nature, objet, procedure, procedure_publiee, cpv, montant, date_notification, date_publication, "
    "duree_mois, lieu_code, lieu_type_code, lieu_nom, forme_prix, types_prix, techniques, "
    "modalites_execution, id_accord_cadre, ccag, marche_innovant, offres_recues, attribution_avance, "
    "taux_avance, type_groupement, sous_traitance_declaree, origine_ue, origine_france, "
    "considerations_sociales, considerations_environnementales, has_social, social_clause, "
    "social_criterion, social_reserved, social_unknown, has_environmental, env_clause, env_criterion, "
    "env_unknown, synthetic"
)
CONCESSION_COLUMNS = (
    "concession_key, uid, autorite_concedante_id, autorite_concedante_siren, autorite_concedante_nom, id, "
    "schema_version, source_format, nature, objet, procedure, lieu_code, lieu_type_code, lieu_nom, duree_mois, "
    "date_signature, date_publication, date_debut_execution, valeur_globale, montant_subvention_publique, "
    "considerations_sociales, considerations_environnementales, has_social, social_clause, social_criterion, "
    "social_reserved, social_unknown, has_environmental, env_clause, env_criterion, env_unknown, synthetic"
)


@dataclass(frozen=True)
class MergeBatch:
    """Names of a batch's relations, as the loader prepared them.

    `clean`: normalised valid records (normalise.record_sql output, refused ones excluded);
    `modifications` / `holders`: their nested rows; `new`: (key, record_index) of the first record
    of each key the warehouse does not know yet; `known`: the batch's keys already in the warehouse
    (see conflicts.py)."""

    clean: str
    modifications: str
    holders: str
    new: str
    known: str
    acts: str | None = None  # marchés: their subcontracting acts, prepared (acts_rows_sql)


def acts_rows_sql(table: str) -> str:
    """One row per subcontracting act of the records of `table`, typed (the columns of
    subcontracting_acts but the key, with record_index). Batch-only work: the prepare step does
    it, so that the merge (the longer step) only joins the new contracts' keys."""
    # Each field cleaned once (inner SELECT), then typed: a macro copies its argument at each use,
    # and typing the raw coalesce directly made this statement's plan cost as much as its run.
    return f"""
SELECT record_index, coalesce(c_id, position::VARCHAR) AS acte_id, lv_digits(c_sous_traitant) AS sous_traitant_id,
       c_type AS sous_traitant_type_identifiant, TRY_CAST(lv_int_clean(c_duree) AS INTEGER) AS duree_mois,
       lv_date_clean(c_notification) AS date_notification, lv_date_clean(c_publication) AS date_publication,
       lv_num_clean(c_montant) AS montant, c_variation AS variation_prix
FROM (
    SELECT record_index, position, lv_clean({_acte("id")}) AS c_id,
           lv_clean(coalesce(a.acteSousTraitance.sousTraitant.id, a.sousTraitant.id)) AS c_sous_traitant,
           lv_clean(coalesce(a.acteSousTraitance.sousTraitant.typeIdentifiant, a.sousTraitant.typeIdentifiant))
               AS c_type,
           lv_clean({_acte("dureeMois")}) AS c_duree, lv_clean({_acte("dateNotification")}) AS c_notification,
           lv_clean({_acte("datePublicationDonnees")}) AS c_publication, lv_clean({_acte("montant")}) AS c_montant,
           lv_clean({_acte("variationPrix")}) AS c_variation
    FROM {normalise.unnested(table, "actes", "a")}
)"""


def merge_marches(scratch: Scratch, batch: MergeBatch, ingestion_id: int, source_format: str) -> MergeCounts:
    """Merge a batch's valid records into the warehouse.

    The warehouse grows with every batch: only the few contracts of the batch that were already
    there (`batch.known`) are compared with it; new contracts get their current state from the
    batch's own modifications. Every statement is thus proportional to the batch, not the warehouse."""
    x = scratch.execute
    clean, modifications, holders, m_new, m_known = (
        batch.clean, batch.modifications, batch.holders, batch.new, batch.known,
    )  # fmt: skip
    if batch.acts is None:
        raise ValueError("merge_marches : les actes de sous-traitance du lot (acts_rows_sql) manquent")
    keys = f"(SELECT record_index, contract_key FROM {clean})"
    # Modifications: the first record carrying each (contract, modification id) brings it.
    scratch.put(
        "m_mods_new",
        f"""WITH m AS (SELECT k.contract_key, m.* FROM {modifications} m JOIN {keys} k USING (record_index)),
        firsts AS (
            SELECT m.* FROM m
            JOIN (SELECT contract_key, modification_id, min(record_index) AS first_index FROM m GROUP BY ALL) f
              ON m.contract_key = f.contract_key AND m.modification_id = f.modification_id
                 AND m.record_index = f.first_index
        )
        SELECT * FROM firsts ANTI JOIN {m_known} USING (contract_key)
        UNION ALL
        SELECT f.* FROM (SELECT * FROM firsts SEMI JOIN {m_known} USING (contract_key)) f
        ANTI JOIN contract_modifications c
          ON c.contract_key = f.contract_key AND c.modification_id = f.modification_id""",
    )
    columns = MARCHE_COLUMNS.replace("source_format", f"'{source_format}' AS source_format")
    with _joins_as_written(scratch):
        x(
            f"""INSERT INTO contracts ({MARCHE_COLUMNS}, current_montant, current_duree_mois, modification_count,
                                  last_modification_date, first_ingestion_id)
        SELECT {columns}, coalesce(s.last_montant, montant), coalesce(s.last_duree, duree_mois),
               coalesce(s.n, 0), s.last_date, {ingestion_id}
        FROM (SELECT * FROM {clean} SEMI JOIN {m_new} USING (record_index)) c
        LEFT JOIN (
            SELECT contract_key,
                   arg_max(montant, modification_id) FILTER (WHERE montant IS NOT NULL) AS last_montant,
                   arg_max(duree_mois, modification_id) FILTER (WHERE duree_mois IS NOT NULL) AS last_duree,
                   count(*) AS n, max(date_notification) AS last_date
            FROM m_mods_new GROUP BY contract_key
        ) s USING (contract_key)"""
        )
    # Suppliers of the initial contract: from every record (the consolidated file has one row per
    # supplier), each (contract, supplier) once, numbered after the ones already known.
    scratch.put(
        "m_holders_new",
        f"""WITH h AS (
            SELECT k.contract_key, h.* FROM {holders} h JOIN {keys} k USING (record_index)
            WHERE h.holder_id IS NOT NULL
        ), firsts AS (
            SELECT * FROM h QUALIFY row_number() OVER (
                PARTITION BY contract_key, holder_id ORDER BY record_index, position) = 1
        )
        SELECT * FROM firsts ANTI JOIN {m_known} USING (contract_key)
        UNION ALL
        SELECT f.* FROM (SELECT * FROM firsts SEMI JOIN {m_known} USING (contract_key)) f
        ANTI JOIN contract_suppliers s
          ON s.contract_key = f.contract_key AND s.modification_id = 0 AND s.titulaire_id = f.holder_id""",
    )
    x(
        f"""INSERT INTO contract_suppliers
        SELECT h.contract_key, 0,
               coalesce(k.known, 0) + row_number() OVER (PARTITION BY h.contract_key ORDER BY h.record_index, h.position),
               h.holder_id, {_HOLDER_TYPE}, {_SIREN_OF_HOLDER}, h.nom
        FROM m_holders_new h
        LEFT JOIN (SELECT contract_key, count(*) AS known
                   FROM (SELECT * FROM contract_suppliers WHERE modification_id = 0) SEMI JOIN {m_known} USING (contract_key)
                   GROUP BY contract_key) k USING (contract_key)"""
    )
    # Subcontracting acts of the new contracts, from the rows prepared with the batch.
    x(
        f"""INSERT INTO subcontracting_acts
        SELECT n.contract_key, a.* EXCLUDE (record_index)
        FROM {batch.acts} a JOIN (SELECT record_index, contract_key FROM {m_new}) n USING (record_index)
        SEMI JOIN {keys} k USING (record_index)"""
    )
    x(
        f"""INSERT INTO contract_modifications
        SELECT contract_key, modification_id, objet_modification, date_notification, date_publication,
               duree_mois, montant, sets_holders, {ingestion_id}
        FROM m_mods_new"""
    )
    # Holders set by the new modifications, unnested from the batch for those only.
    with_holders = f"(SELECT * FROM {clean} SEMI JOIN (SELECT record_index FROM m_mods_new WHERE sets_holders) USING (record_index))"
    new_holders = (
        f"(SELECT record_index * 100000 + position AS record_index, "
        f"coalesce(m.modification.titulaires, m.titulaires) AS titulaires "
        f"FROM {normalise.unnested(with_holders, 'modifications', 'm')})"
    )
    x(
        f"""INSERT INTO contract_suppliers
        SELECT n.contract_key, n.modification_id, h.position, h.holder_id, {_HOLDER_TYPE}, {_SIREN_OF_HOLDER}, h.nom
        FROM ({normalise.holder_rows_sql(new_holders, "titulaires")}) h
        JOIN m_mods_new n ON h.record_index = n.record_index * 100000 + n.position
        WHERE h.holder_id IS NOT NULL"""
    )
    # Current state of the contracts already in the warehouse that received a new modification.
    x(
        f"""UPDATE contracts SET
            current_montant = coalesce(s.last_montant, contracts.montant),
            current_duree_mois = coalesce(s.last_duree, contracts.duree_mois),
            modification_count = s.n,
            last_modification_date = s.last_date
        FROM (
            SELECT contract_key,
                   arg_max(montant, modification_id) FILTER (WHERE montant IS NOT NULL) AS last_montant,
                   arg_max(duree_mois, modification_id) FILTER (WHERE duree_mois IS NOT NULL) AS last_duree,
                   count(*) AS n, max(date_notification) AS last_date
            FROM contract_modifications
            SEMI JOIN (SELECT DISTINCT contract_key FROM m_mods_new SEMI JOIN {m_known} USING (contract_key)) t
                 USING (contract_key)
            GROUP BY contract_key
        ) s
        WHERE contracts.contract_key = s.contract_key"""
    )
    x(f"INSERT INTO contract_sources SELECT contract_key, {ingestion_id}, record_index FROM {keys}")
    valid_count = _count(scratch, f"SELECT count(*) FROM {keys}")
    loaded = _count(
        scratch,
        f"SELECT count(*) FROM (SELECT record_index FROM {m_new} UNION SELECT record_index FROM m_mods_new "
        "UNION SELECT record_index FROM m_holders_new)",
    )
    scratch.release("m_mods_new", "m_holders_new")
    return MergeCounts(loaded=loaded, duplicates=valid_count - loaded)


def merge_concessions(
    scratch: Scratch, batch: MergeBatch, ingestion_id: int, source_format: str
) -> MergeCounts:
    x = scratch.execute
    clean, modifications, holders, c_new = batch.clean, batch.modifications, batch.holders, batch.new
    valid = clean
    columns = CONCESSION_COLUMNS.replace("source_format", f"'{source_format}' AS source_format")
    x(
        f"""INSERT INTO concessions ({CONCESSION_COLUMNS}, current_valeur_globale, current_duree_mois,
                                    modification_count, first_ingestion_id)
        SELECT {columns}, valeur_globale, duree_mois, 0, {ingestion_id}
        FROM {clean} SEMI JOIN {c_new} USING (record_index)"""
    )
    valid_index = f"(SELECT record_index FROM {clean})"
    keys = f"(SELECT record_index, concession_key FROM {clean})"
    scratch.put(
        "c_holders_new",
        f"""WITH h AS (
            SELECT k.concession_key, h.* FROM {holders} h SEMI JOIN {valid_index} v USING (record_index)
            JOIN {keys} k USING (record_index)
            WHERE h.holder_id IS NOT NULL
        ), firsts AS (
            SELECT * FROM h QUALIFY row_number() OVER (
                PARTITION BY concession_key, holder_id ORDER BY record_index, position) = 1
        )
        SELECT f.* FROM firsts f
        ANTI JOIN concession_holders s ON s.concession_key = f.concession_key AND s.concessionnaire_id = f.holder_id""",
    )
    x(
        f"""INSERT INTO concession_holders
        SELECT h.concession_key,
               coalesce(k.known, 0) + row_number() OVER (PARTITION BY h.concession_key ORDER BY h.record_index, h.position),
               h.holder_id, {_HOLDER_TYPE}, {_SIREN_OF_HOLDER}, h.nom
        FROM c_holders_new h
        LEFT JOIN (SELECT concession_key, count(*) AS known FROM concession_holders GROUP BY ALL) k USING (concession_key)"""
    )
    x(
        f"""INSERT INTO concession_execution
        SELECT n.concession_key, lv_date({_execution("datePublicationDonneesExecution")}),
               lv_num({_execution("depensesInvestissement")}),
               list_transform(try_cast({_execution("tarifs")} AS JSON[]),
                   lambda t: CASE WHEN json_type(t, '$.tarif') = 'OBJECT'
                                  THEN {{'intitule_tarif': lv_clean(t->>'$.tarif.intituleTarif'),
                                        'tarif': lv_num(t->>'$.tarif.tarif')}}
                                  ELSE {{'intitule_tarif': lv_clean(t->>'$.intituleTarif'),
                                        'tarif': lv_num(t->>'$.tarif')}} END)
        FROM (SELECT concession_key, execution FROM {clean} SEMI JOIN {c_new} USING (record_index)
              WHERE len(execution) > 0) n,
             unnest(n.execution) AS e(e)"""
    )
    scratch.put(
        "c_mods_new",
        f"""WITH m AS (
            SELECT k.concession_key, m.* FROM {modifications} m SEMI JOIN {valid_index} v USING (record_index)
            JOIN {keys} k USING (record_index)
        )
        SELECT m.* FROM m
        JOIN (SELECT concession_key, modification_id, min(record_index) AS first_index FROM m GROUP BY ALL) f
          ON m.concession_key = f.concession_key AND m.modification_id = f.modification_id
             AND m.record_index = f.first_index
        ANTI JOIN concession_modifications c
          ON c.concession_key = m.concession_key AND c.modification_id = m.modification_id""",
    )
    x(
        f"""INSERT INTO concession_modifications
        SELECT concession_key, modification_id, objet_modification, date_signature, date_publication,
               duree_mois, valeur_globale, {ingestion_id}
        FROM c_mods_new"""
    )
    x(
        """UPDATE concessions SET
            current_valeur_globale = coalesce(s.last_valeur, concessions.valeur_globale),
            current_duree_mois = coalesce(s.last_duree, concessions.duree_mois),
            modification_count = s.n
        FROM (
            SELECT concession_key,
                   arg_max(valeur_globale, modification_id) FILTER (WHERE valeur_globale IS NOT NULL) AS last_valeur,
                   arg_max(duree_mois, modification_id) FILTER (WHERE duree_mois IS NOT NULL) AS last_duree,
                   count(*) AS n
            FROM concession_modifications
            WHERE concession_key IN (SELECT DISTINCT concession_key FROM c_mods_new)
            GROUP BY concession_key
        ) s
        WHERE concessions.concession_key = s.concession_key"""
    )
    x(f"INSERT INTO concession_sources SELECT concession_key, {ingestion_id}, record_index FROM {valid}")
    valid_count = _count(scratch, f"SELECT count(*) FROM {valid}")
    loaded = _count(
        scratch,
        f"SELECT count(*) FROM (SELECT record_index FROM {c_new} UNION SELECT record_index FROM c_mods_new "
        "UNION SELECT record_index FROM c_holders_new)",
    )
    scratch.release("c_mods_new", "c_holders_new")
    return MergeCounts(loaded=loaded, duplicates=valid_count - loaded)
