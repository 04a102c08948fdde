"""Synthetic warehouse tables shaped like the national DECP, for benchmarks and rate checks.

Everything is generated in DuckDB SQL from a hash of the row number (deterministic, no Python
loop): 1.85 M contracts and about 3.4 M contract × supplier rows take a few seconds. Every row is
labelled synthetic (`synthetic = true`, names and objects prefixed « [SYNTHÉTIQUE] »). The rates
below are the generator's configuration; the tests check that national shares find them again
within sampling error. (The `leviers synth decp` generator built with the reference data can
replace this one later.)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import duckdb

from leviers.warehouse import catalog

SYNTHETIC_PREFIX = "[SYNTHÉTIQUE]"


@dataclass(frozen=True)
class SyntheticConfig:
    contracts: int = 1_850_000
    buyers: int = 29_000
    suppliers: int = 216_000
    concessions: int = 20_000
    first_year: int = 2019
    last_year: int = 2026
    collectivite_buyers: float = 0.7  # share of buyers taken from ref_collectivites when loaded
    social_clause: float = 0.15
    social_criterion: float = 0.08
    social_reserved: float = 0.02
    env_clause: float = 0.22
    env_criterion: float = 0.15
    unknown_nc: float = 0.02
    unknown_mq: float = 0.02
    unknown_absent: float = 0.01
    innovative: float = 0.03
    advance: float = 0.30
    subcontracting: float = 0.10
    field_unknown: float = 0.10  # marcheInnovant, attributionAvance, sousTraitanceDeclaree
    offers_unknown: float = 0.20
    single_offer: float = 0.20
    amount_missing: float = 0.02
    framework: float = 0.15
    pme: float = 0.60  # supplier pool: categorie_entreprise
    eti: float = 0.10
    ge: float = 0.10  # the rest: unknown category
    ess: float = 0.08  # supplier pool: INSEE ESS flag O (→ ESS)
    non_ess: float = 0.80  # flag N (→ non ESS); the rest: no flag (→ inconnu)
    foreign_supplier: float = 0.01  # titulaires without SIREN
    legal_units: bool = True  # SIRENE rows for the suppliers
    ess_status: bool = True  # with INSEE's ESS flag

    def expected_share(self, kind: str) -> float:
        """The national share the generator's rates imply (among known values)."""
        if kind == "social":
            return 1 - (1 - self.social_clause) * (1 - self.social_criterion) * (1 - self.social_reserved)
        if kind == "environmental":
            return 1 - (1 - self.env_clause) * (1 - self.env_criterion)
        if kind == "sme":
            return self.pme / (self.pme + self.eti + self.ge)
        if kind == "ess_suppliers":
            return self.ess / (self.ess + self.non_ess)
        return float(asdict(self)[kind])


# u(i, 'tag'): a uniform number in [0, 1) from the row number and a tag, stable across runs. One
# string is hashed: DuckDB's multi-argument hash(i, tag) gives strongly correlated values across tags.
_MACROS = """
CREATE OR REPLACE TEMP MACRO syn_u(i, tag) AS (hash(tag || i::VARCHAR) >> 11)::DOUBLE / 9007199254740992.0;
CREATE OR REPLACE TEMP MACRO syn_normal(i, tag) AS
    sqrt(-2 * ln(greatest(syn_u(i, tag || '1'), 1e-12))) * cos(2 * pi() * syn_u(i, tag || '2'));
"""


def _reference_sirens(con: duckdb.DuckDBPyConnection, wanted: int) -> int:
    """Copy up to `wanted` collectivité SIRENs of the reference (if loaded) into syn_ref."""
    if not catalog.has_relation(con, "ref_collectivites"):
        con.execute("CREATE OR REPLACE TEMP TABLE syn_ref AS SELECT NULL::VARCHAR AS siren, 0 AS k LIMIT 0")
        return 0
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE syn_ref AS
        SELECT siren, (row_number() OVER (ORDER BY hash(siren), siren) - 1)::INTEGER AS k
        FROM ref_collectivites QUALIFY k < {int(wanted)}"""
    )
    return int(con.execute("SELECT count(*) FROM syn_ref").fetchall()[0][0])


def generate(con: duckdb.DuckDBPyConnection, config: SyntheticConfig = SyntheticConfig()) -> dict[str, int]:
    """Insert synthetic rows into the warehouse tables of `con`; returns row counts per table."""
    c = config
    x = con.execute
    x(_MACROS)
    from_ref = _reference_sirens(con, int(c.buyers * c.collectivite_buyers))
    years = c.last_year - c.first_year + 1
    x(
        f"""CREATE OR REPLACE TEMP TABLE syn_buyers AS
        SELECT b, siren, siren || lpad((1 + floor(syn_u(b, 'nic') * 99998))::INTEGER::VARCHAR, 5, '0') AS siret
        FROM (SELECT b, coalesce(r.siren, '9' || lpad(b::VARCHAR, 8, '0')) AS siren
              FROM range({c.buyers}) t(b) LEFT JOIN syn_ref r ON r.k = b)"""
    )
    social = f"""CASE WHEN v2 THEN CASE
            WHEN us < {c.unknown_nc} THEN ['NC']
            WHEN us < {c.unknown_nc + c.unknown_mq} THEN ['MQ']
            WHEN us < {c.unknown_nc + c.unknown_mq + c.unknown_absent} THEN NULL
            ELSE list_filter([CASE WHEN syn_u(i, 'sc') < {c.social_clause} THEN 'Clause sociale' END,
                              CASE WHEN syn_u(i, 'sk') < {c.social_criterion} THEN 'Critère social' END,
                              CASE WHEN syn_u(i, 'sr') < {c.social_reserved} THEN 'Marché réservé' END],
                             lambda x: x IS NOT NULL) END END"""
    env = f"""CASE WHEN v2 THEN CASE
            WHEN ue < {c.unknown_nc} THEN ['NC']
            WHEN ue < {c.unknown_nc + c.unknown_mq} THEN ['MQ']
            WHEN ue < {c.unknown_nc + c.unknown_mq + c.unknown_absent} THEN NULL
            ELSE list_filter([CASE WHEN syn_u(i, 'ec') < {c.env_clause} THEN 'Clause environnementale' END,
                              CASE WHEN syn_u(i, 'ek') < {c.env_criterion} THEN 'Critère environnemental' END],
                             lambda x: x IS NOT NULL) END END"""

    def known_flag(tag: str, rate: float) -> str:
        return f"CASE WHEN v2 AND syn_u(i, '{tag}?') >= {c.field_unknown} THEN syn_u(i, '{tag}') < {rate} END"

    x(
        f"""CREATE OR REPLACE TEMP TABLE syn_c AS
        SELECT i, b.siret AS acheteur_id, b.siren AS acheteur_siren,
               make_date({c.first_year} + floor(syn_u(i, 'y') * {years})::INTEGER, 1, 1)
                   + floor(syn_u(i, 'd') * 365)::INTEGER AS date_notification,
               syn_u(i, 's') AS us, syn_u(i, 'e') AS ue,
               CASE WHEN syn_u(i, 'm') < 0.72 THEN 0 WHEN syn_u(i, 'm') < 0.86 THEN 1
                    WHEN syn_u(i, 'm') < 0.96 THEN 2 ELSE 3 END AS mods,
               CASE WHEN syn_u(i, 'k') < 0.85 THEN 1 WHEN syn_u(i, 'k') < 0.95 THEN 2
                    ELSE 3 + floor(syn_u(i, 'k2') * 3)::INTEGER END AS k
        FROM range({c.contracts}) t(i)
        JOIN syn_buyers b ON b.b = floor({c.buyers} * pow(syn_u(i, 'b'), 2))::BIGINT"""
    )
    x(
        """CREATE OR REPLACE TEMP TABLE syn_c2 AS
        SELECT *, year(date_notification) >= 2024 AS v2 FROM syn_c"""
    )
    x(
        f"""CREATE OR REPLACE TEMP TABLE syn_contracts AS
        SELECT i, acheteur_id, acheteur_siren, date_notification, v2, mods, k,
            {social} AS cs, {env} AS ce,
            CASE WHEN syn_u(i, 'a?') < {c.amount_missing} THEN NULL
                 ELSE round(least(exp(11 + 1.2 * syn_normal(i, 'a')), 1e9), 2) END AS montant,
            list_element(['45','45','45','45','30','33','34','09','15','50','71','72','79','80','85','90','98'],
                         1 + floor(syn_u(i, 'cpv') * 17)::INTEGER) || '000000' AS cpv,
            CASE WHEN syn_u(i, 'p') < 0.60 THEN 'Procédure adaptée'
                 WHEN syn_u(i, 'p') < 0.85 THEN 'Appel d''offres ouvert'
                 WHEN syn_u(i, 'p') < 0.93 THEN 'Marché passé sans publicité ni mise en concurrence préalable'
                 ELSE 'Procédure avec négociation' END AS procedure,
            syn_u(i, 'f') < {c.framework} AS framework,
            {known_flag("in", c.innovative)} AS marche_innovant,
            {known_flag("av", c.advance)} AS attribution_avance,
            {known_flag("st", c.subcontracting)} AS sous_traitance_declaree,
            CASE WHEN v2 AND syn_u(i, 'o?') >= {c.offers_unknown} THEN
                 CASE WHEN syn_u(i, 'o') < {c.single_offer} THEN 1
                      ELSE 2 + floor(syn_u(i, 'o2') * 6)::INTEGER END END AS offres_recues
        FROM syn_c2"""
    )
    social_pos = "['Clause sociale', 'Critère social', 'Marché réservé']"
    env_pos = "['Clause environnementale', 'Critère environnemental']"

    def flags(column: str, positives: str, names: list[tuple[str, str]], prefix: str) -> str:
        has = f"CASE WHEN {column} IS NULL OR list_has_any({column}, ['NC', 'MQ']) THEN NULL ELSE list_has_any({column}, {positives}) END"
        parts = [f"{has} AS has_{prefix}"]
        for alias, label in names:
            parts.append(
                f"CASE WHEN ({has}) IS NOT NULL THEN list_contains({column}, '{label}') END AS {alias}"
            )
        unknown = (
            f"CASE WHEN NOT v2 THEN 'format 2019' WHEN {column} IS NULL THEN 'absent' "
            f"WHEN list_contains({column}, 'NC') THEN 'NC' WHEN list_contains({column}, 'MQ') THEN 'MQ' END"
        )
        return ", ".join(parts) + f", {unknown}"

    x(
        f"""INSERT INTO contracts BY NAME
        SELECT acheteur_id || '|S' || i AS contract_key, acheteur_id || 'S' || i AS uid,
            acheteur_id, acheteur_siren, 'S' || i AS id,
            CASE WHEN v2 THEN '2.0' ELSE '1.5' END AS schema_version, 'synthetique' AS source_format,
            CASE WHEN NOT v2 AND framework THEN 'Accord-cadre' ELSE 'Marché' END AS nature,
            '{SYNTHETIC_PREFIX} marché n° ' || i AS objet, procedure, cpv, montant,
            date_notification, date_notification AS date_publication, 12 AS duree_mois,
            CASE WHEN v2 THEN CASE WHEN framework THEN ['Accord-cadre'] ELSE ['Sans objet'] END END AS techniques,
            marche_innovant, offres_recues, attribution_avance, sous_traitance_declaree,
            cs AS considerations_sociales, ce AS considerations_environnementales,
            {flags("cs", social_pos, [("social_clause", "Clause sociale"), ("social_criterion", "Critère social"), ("social_reserved", "Marché réservé")], "social")} AS social_unknown,
            {flags("ce", env_pos, [("env_clause", "Clause environnementale"), ("env_criterion", "Critère environnemental")], "environmental")} AS env_unknown,
            CASE WHEN mods > 0 AND montant IS NOT NULL THEN round(montant * (1 + 0.1 * mods), 2) ELSE montant END
                AS current_montant,
            mods AS modification_count, true AS synthetic, 0 AS first_ingestion_id
        FROM syn_contracts"""
    )
    x(
        f"""INSERT INTO contract_suppliers BY NAME
        SELECT s.acheteur_id || '|S' || s.i AS contract_key, m.m AS modification_id, p.p::SMALLINT AS position,
               CASE WHEN is_foreign THEN 'FR' || lpad(sup::VARCHAR, 11, '0') ELSE siren || '00012' END AS titulaire_id,
               CASE WHEN is_foreign THEN 'TVA' ELSE 'SIRET' END AS titulaire_type_identifiant,
               CASE WHEN is_foreign THEN NULL ELSE siren END AS titulaire_siren
        FROM syn_contracts s
        JOIN range(4) m(m) ON m.m <= s.mods
        JOIN range(1, 6) p(p) ON p.p <= s.k,
             LATERAL (SELECT floor({c.suppliers} * pow(syn_u(s.i * 8 + p.p, 'sup'), 1.5))::BIGINT AS sup) q,
             LATERAL (SELECT (800000000 + q.sup)::VARCHAR AS siren,
                             syn_u(s.i * 8 + p.p, 'tva') < {c.foreign_supplier} AS is_foreign) r"""
    )
    x(
        f"""INSERT INTO concessions BY NAME
        SELECT b.siret || '|C' || i AS concession_key, b.siret AS autorite_concedante_id,
               b.siren AS autorite_concedante_siren, 'C' || i AS id,
               CASE WHEN year(d) >= 2024 THEN '2.0' ELSE '1.5' END AS schema_version,
               'synthetique' AS source_format,
               CASE WHEN syn_u(i, 'cn') < 0.2 THEN 'Concession de travaux' ELSE 'Délégation de service public' END AS nature,
               '{SYNTHETIC_PREFIX} concession n° ' || i AS objet, 'Procédure négociée ouverte' AS procedure,
               d AS date_signature, round(exp(13 + syn_normal(i, 'cv')), 2) AS valeur_globale,
               round(exp(13 + syn_normal(i, 'cv')), 2) AS current_valeur_globale,
               CASE WHEN year(d) >= 2024 THEN syn_u(i, 'cr') < {c.social_reserved} END AS social_reserved,
               CASE WHEN year(d) >= 2024 THEN syn_u(i, 'cr') < {c.social_reserved} END AS has_social,
               CASE WHEN year(d) < 2024 THEN 'format 2019' END AS social_unknown,
               true AS synthetic, 0 AS first_ingestion_id
        FROM (SELECT i, make_date({c.first_year} + floor(syn_u(i, 'cy') * {years})::INTEGER, 1, 1)
                        + floor(syn_u(i, 'cd') * 365)::INTEGER AS d,
                     floor({c.buyers} * pow(syn_u(i, 'cb'), 2))::BIGINT AS bb
              FROM range({c.concessions}) t(i)) q
        JOIN syn_buyers b ON b.b = q.bb"""
    )
    if c.legal_units:
        # SIRENE legal units of the suppliers: size category and INSEE's ESS flag (O / N / empty),
        # from which the warehouse's ess_status view derives ESS / non ESS / inconnu.
        ess_flag = "NULL"
        if c.ess_status:
            ess_flag = (
                f"CASE WHEN syn_u(p, 'ess') < {c.ess} THEN 'O' "
                f"WHEN syn_u(p, 'ess') < {c.ess + c.non_ess} THEN 'N' END"
            )
        x(
            f"""INSERT INTO legal_units BY NAME
            SELECT (800000000 + p)::VARCHAR AS siren, '{SYNTHETIC_PREFIX} entreprise ' || p AS denomination,
                CASE WHEN syn_u(p, 'cat') < {c.pme} THEN 'PME' WHEN syn_u(p, 'cat') < {c.pme + c.eti} THEN 'ETI'
                     WHEN syn_u(p, 'cat') < {c.pme + c.eti + c.ge} THEN 'GE' END AS categorie_entreprise,
                {ess_flag} AS economie_sociale_solidaire, 'A' AS etat_administratif,
                true AS synthetic, 0 AS first_ingestion_id, 0 AS ingestion_id
            FROM range({c.suppliers}) t(p)"""
        )
    for table in ("syn_c", "syn_c2", "syn_contracts", "syn_buyers", "syn_ref"):
        x(f"DROP TABLE IF EXISTS {table}")
    counts = {}
    for table in ("contracts", "contract_suppliers", "concessions"):
        where = "true" if table == "contract_suppliers" else "synthetic"
        counts[table] = int(con.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchall()[0][0])
    counts["buyers_from_reference"] = from_ref
    return counts
