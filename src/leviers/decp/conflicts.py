"""Which records of a batch bring a new contract, and which reuse a contract key for another one.

A contract is known by its key (buyer SIRET | contract id). Two publications of one key are the
same contract when their fingerprint agrees; when it differs, the buyer reused an id for another
contract (seen in real files: one id for two lots) or republished it with contradictory values,
and the later record goes to quarantine instead of being counted a duplicate or overwriting
anything. A value unknown in one of the two (no date in one publication) contradicts nothing.

The work is split by what it reads, so that each half runs in its own step of the loader:
- `keys_sql`, `batch_pairs_sql` and `firsts_sql` read the batch only (the *prepare* step, in the
  background): the batch's keys, conflicts between its records and the first record of each key;
- `known_sql` and `warehouse_clashes_sql` read the warehouse (the *merge* step): one lookup of the
  batch's keys there, shared by the conflict check and by the merge (new versus known contracts).
"""

from __future__ import annotations

from leviers.decp.normalise import MARCHE, Kind

FINGERPRINT = {
    MARCHE.name: ("date_notification", "montant", "cpv"),
    "concession": ("date_signature", "valeur_globale"),
}
WAREHOUSE = {
    MARCHE.name: ("contracts", "contract_sources"),
    "concession": ("concessions", "concession_sources"),
}


def _differs(kind: Kind) -> str:
    """Two publications contradict each other when a value known in both differs: an unknown
    value (one publication without the date, say) contradicts nothing."""
    return " OR ".join(f"a.{f} <> b.{f}" for f in FINGERPRINT[kind.name])


def _described(kind: Kind) -> str:
    """The earlier contract's fingerprint, as the reason shows it."""
    return " || ', ' || ".join(f"'{f} ' || coalesce(b.{f}::VARCHAR, '?')" for f in FINGERPRINT[kind.name])


def checked_sql(kind: Kind, batch: str, nested: str) -> str:
    """The records compared for conflicts: valid so far (own values and nested lists) and carrying
    the contract's data (a record of a modification alone has no fingerprint)."""
    columns = ", ".join(("record_index", kind.key, *FINGERPRINT[kind.name]))
    return (
        f"(SELECT {columns} FROM {batch} ANTI JOIN {nested} USING (record_index) "
        "WHERE len(violations) = 0 AND NOT modification_only)"
    )


def keys_sql(kind: Kind, batch: str, nested: str) -> str:
    """One row per key of the batch's valid records: its first record carrying the contract's data
    (`first_full`), its first record of any kind (`first_any`: a record of a modification alone,
    in the consolidated file) and how many records carry the contract's data (`n_full`)."""
    return f"""
SELECT {kind.key}, min(record_index) FILTER (WHERE NOT modification_only) AS first_full,
       min(record_index) AS first_any, count(*) FILTER (WHERE NOT modification_only) AS n_full
FROM (SELECT record_index, {kind.key}, modification_only FROM {batch}
      ANTI JOIN {nested} USING (record_index) WHERE len(violations) = 0)
GROUP BY {kind.key}"""


def _why(kind: Kind) -> str:
    """What two contradicting publications of one key may be, in French, ending the reasons."""
    both = "deux marchés" if kind is MARCHE else "deux concessions"
    return f" : {both} sous un même identifiant, ou une republication contradictoire"


def batch_pairs_sql(kind: Kind, batch: str, nested: str, keys: str) -> str:
    """(record_index, reason) of records that differ from the batch's first record of their key;
    only keys met more than once are looked at (`keys`: keys_sql).

    Each record is compared with its key's first record through one aggregate row per key: a
    join of the records with themselves on the key would cost the square of a key's records
    (DuckDB ran it before the join that keeps only the first: 150 s for one record repeated
    50,000 times)."""
    key = kind.key
    fields = FINGERPRINT[kind.name]
    packed = "{" + ", ".join(f"'{f}': {f}" for f in fields) + "}"
    unpacked = ", ".join(f"first.{f} AS {f}" for f in fields)
    return f"""
WITH v AS (SELECT * FROM {checked_sql(kind, batch, nested)}
           SEMI JOIN (SELECT {key} FROM {keys} WHERE n_full > 1) USING ({key})),
firsts AS (
    SELECT {key}, record_index, {unpacked}
    FROM (SELECT {key}, min(record_index) AS record_index, arg_min({packed}, record_index) AS first
          FROM v GROUP BY {key})
)
SELECT a.record_index, 'identifiant déjà utilisé dans ce fichier par l''enregistrement n° '
       || (b.record_index + 1) || ' avec d''autres valeurs (' || {_described(kind)} || '){_why(kind)}' AS reason
FROM v a JOIN firsts b ON a.{key} = b.{key}
WHERE a.record_index <> b.record_index AND ({_differs(kind)})"""


def firsts_sql(kind: Kind, keys: str) -> str:
    """({key}, record_index) of the first valid record of each key of the batch: it brings the
    contract's data when the key is new. A record of a modification alone (consolidated file)
    gives it only when no record of the initial contract exists.

    The first record carrying the contract's data is never refused by batch_pairs_sql (it is the
    one others are compared with); records refused later, in the merge, reuse a key already in
    the warehouse, which is then not new: neither changes which record comes first."""
    return f"SELECT {kind.key}, coalesce(first_full, first_any) AS record_index FROM {keys}"


def known_sql(kind: Kind, firsts: str) -> str:
    """The warehouse's contracts of the batch's keys: the one lookup of the warehouse per batch."""
    warehouse, _ = WAREHOUSE[kind.name]
    fields = ", ".join(FINGERPRINT[kind.name])
    return f"SELECT {kind.key}, {fields}, first_ingestion_id FROM {warehouse} SEMI JOIN {firsts} USING ({kind.key})"


def warehouse_clashes_sql(kind: Kind, batch: str, nested: str, known: str, ingestion_id: int) -> str:
    """(record_index, reason) of records whose key is in the warehouse for a different contract,
    loaded from an earlier batch of this file or from another file."""
    key = kind.key
    _, sources = WAREHOUSE[kind.name]
    return f"""
WITH clashes AS (
    SELECT a.record_index, b.{key}, b.first_ingestion_id, {_described(kind)} AS described
    FROM {checked_sql(kind, batch, nested)} a JOIN {known} b ON a.{key} = b.{key} AND ({_differs(kind)})
),
-- The record of this file that brought a clashing key, looked up for those keys only (as a
-- correlated subquery it would group the whole sources table at every batch).
earlier AS (
    SELECT {key}, min(record_index) + 1 AS number FROM {sources}
    SEMI JOIN clashes USING ({key}) WHERE ingestion_id = {ingestion_id} GROUP BY ALL
)
SELECT c.record_index,
       CASE WHEN c.first_ingestion_id = {ingestion_id}
            THEN 'identifiant déjà utilisé dans ce fichier par l''enregistrement n° ' || e.number
            ELSE 'identifiant déjà présent dans l''entrepôt' END
       || ' avec d''autres valeurs (' || c.described || '){_why(kind)}' AS reason
FROM clashes c LEFT JOIN earlier e USING ({key})"""
