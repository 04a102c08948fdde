-- The private store (local mode: a DuckDB file beside the warehouse, store.py). Never part of the
-- warehouse, its serving copy or any export. The ingestion log and quarantine tables are the
-- warehouse's own DDL (warehouse/schema/10_ingestion.sql), applied here too: a purchase file's log
-- row and its quarantined records are private as well.

CREATE TABLE IF NOT EXISTS private_meta (
    key   VARCHAR NOT NULL,
    value VARCHAR NOT NULL
);

-- One row per purchase (payment, mandat or order line) of a buyer's own accounting records.
CREATE TABLE IF NOT EXISTS purchase_lines (
    purchase_key          UHUGEINT NOT NULL,  -- md5 (as a number) of the line's values
    occurrence            INTEGER NOT NULL,  -- 1, 2…: identical lines of one sheet are distinct purchases
    acheteur_siren        VARCHAR NOT NULL,  -- the buyer (column of the file, else `--acheteur`)
    acheteur_id           VARCHAR,           -- SIRET or SIREN as published or given
    acheteur_nom          VARCHAR,
    acheteur_source       VARCHAR NOT NULL,  -- fichier | option
    fournisseur_nom       VARCHAR,
    fournisseur_id_publie VARCHAR,           -- supplier identifier as published
    fournisseur_siret     VARCHAR,           -- 14 digits, NULL when the file gives a SIREN or nothing readable
    fournisseur_siren     VARCHAR,           -- 9 digits; NULL = unknown supplier identity (status unknown)
    fournisseur_cle_ok    BOOLEAN,           -- the identifier's Luhn check digit holds (NULL: no identifier)
    code_postal           VARCHAR,           -- supplier's postal code as published
    departement_code      VARCHAR,           -- supplier's département, from the postal code
    montant_ht            DECIMAL(18, 2),    -- € HT; NULL when the file does not give it
    montant_ttc           DECIMAL(18, 2),    -- € TTC; NULL when the file does not give it
    montant_source        VARCHAR NOT NULL,  -- colonne (the column's name says HT/TTC) | option (--montant)
    date_achat            DATE,              -- the purchase's date (see date_type)
    date_type             VARCHAR,           -- mandat | paiement | commande | facture | non précisée
    annee                 INTEGER NOT NULL,  -- year of date_achat, else the exercice
    exercice              INTEGER,           -- budget year column, when published
    compte                VARCHAR,           -- nature account / imputation (M57, M14) as published
    categorie             VARCHAR,           -- purchase category / family as published
    entite                VARCHAR,           -- buying entity (service, direction, budget) as published
    reference_contrat     VARCHAR,           -- contract reference
    numero_piece          VARCHAR,           -- mandat / invoice / order number
    objet                 VARCHAR,
    ingestion_id          BIGINT NOT NULL,   -- → ingestions (of the private store)
    record_index          BIGINT NOT NULL    -- 0-based position of the record in the file
);
