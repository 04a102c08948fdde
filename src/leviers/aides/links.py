"""Subsidy lines linked to the schemes they were paid through (docs/aides.md, « Money per scheme »).

A line of SCDL subsidies is linked to at most one scheme of the catalogue (the shipped regulations
and the warehouse's schemes), by the first rule that applies:

1. **certaine** — the line publishes the scheme (SCDL `dispositifAide`, pre-decree `SUB_DISPOSITIF`):
   its value is the scheme's id (the dispositif-aide UUID the SCDL asks for), or the scheme's title
   (compared in the search key) when the line's grantor is one of the scheme's porteurs;
2. **grantor and purpose** — the line's grantor (`idAttribuant`'s SIREN) is a porteur of the scheme
   (its SIREN in `porteurs`) and the line's `objet` holds words of the scheme's title, compared in
   the search key, a final « s » or « x » ignored; the title's generic words (aide, soutien,
   structures, ESS…, GENERIC below) and numbers are not counted:
   - **probable**: every counted word of the title (at least two), or an acronym of the title
     (AMPLI, PTCE, CAE), is in the objet;
   - **possible**: at least two of its words are, or the only word of a one-word title is.
   When several schemes of the grantor fit a line equally well (same confidence, same share of
   their words found), the line is left unlinked: an ambiguous line is never split nor guessed.

Anything else stays unlinked. The rules never read amounts nor beneficiaries.

The links are a derived table, like the beneficiaries' ESS status: computed from the warehouse
(and the regulations shipped with Leviers) by `build`, which the web's serving copy runs each
time the warehouse changes, so that they follow every load.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import duckdb
import orjson

from leviers.aides.scheme import Scheme
from leviers.warehouse.search_key import search_key

CONFIDENCES: dict[str, str] = {
    "certaine": "le dispositif est nommé par la ligne de subvention (champ dispositifAide)",
    "probable": "l'attribuant porte le dispositif et l'objet reprend tous les mots du titre, ou son sigle",
    "possible": "l'attribuant porte le dispositif et l'objet reprend une partie des mots du titre",
}
METHODS = {
    "dispositif_aide": "dispositifAide publié",
    "attribuant_objet": "attribuant et objet",
}

# Words of titles that say nothing of which scheme it is: French function words, the kinds of aid
# and of organisations every scheme of the ESS names, and the calls' generic forms.
GENERIC = frozenset(
    " ".join(
        (
            "a au aux avec d de des du dans en et l la le les leur leurs par pour sur un une son sa ses",
            "vos votre nos notre ou",
            "aide aides soutien soutenir subvention subventions dispositif dispositifs programme",
            "projet projets structure structures entreprise entreprises organisme organismes acteur acteurs",
            "ess economie solidaire ami appel appels region regional regionale regionaux regionales",
            "nouvelle nouvelles",
        )
    ).split(" ")
)
_ACRONYM = re.compile(r"\b[A-Z]{3,6}\b")
_NUMBER = re.compile(r"^\d+$")

# The table's definition (DuckDB); the serving copy holds it (leviers.web.store).
TABLE = "subsidy_scheme_links"
DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    subsidy_key     VARCHAR NOT NULL,   -- -> subsidies (one line: one beneficiary of one subsidy)
    dispositif_id   VARCHAR NOT NULL,   -- the scheme's id (a UUID): aides_dispositifs.id or a shipped regulation's
    confiance       VARCHAR NOT NULL,   -- certaine | probable | possible (links.CONFIDENCES)
    methode         VARCHAR NOT NULL,   -- dispositif_aide | attribuant_objet
    mots_trouves    VARCHAR[],          -- words of the title found in the objet (attribuant_objet)
    mots_titre      INTEGER             -- words of the title counted (attribuant_objet)
)
"""

_views = itertools.count()


def stem(word: str) -> str:
    """A word compared without its final « s » or « x » (plural), when longer than three letters."""
    return word[:-1] if len(word) > 3 and word[-1] in "sx" else word


def title_words(title: str) -> tuple[list[str], list[str]]:
    """The counted words of a scheme's title (search key, stemmed, generic words and numbers left
    out) and, among them, its acronyms (AMPLI, PTCE: written in capitals in the title)."""
    acronyms = {stem(search_key(a)) for a in _ACRONYM.findall(title)} - GENERIC
    words: list[str] = []
    for word in search_key(title).split():
        if word in GENERIC or _NUMBER.match(word) or (len(word) < 3 and word not in acronyms):
            continue
        stemmed = stem(word)
        if stemmed not in words and stemmed not in GENERIC:
            words.append(stemmed)
    return words, [w for w in words if w in acronyms]


def porteur_sirens(scheme: Scheme) -> list[str]:
    """SIRENs of the scheme's porteurs (financer, instructor…) as published; none when unknown."""
    text = scheme.values.get("porteurs")
    if not text:
        return []
    try:
        porteurs = orjson.loads(text)
    except orjson.JSONDecodeError:
        return []
    found: list[str] = []
    for porteur in porteurs if isinstance(porteurs, list) else []:
        siren = str(porteur.get("siren") or "").replace(" ", "") if isinstance(porteur, dict) else ""
        if re.fullmatch(r"\d{9}", siren) and siren not in found:
            found.append(siren)
    return found


@dataclass(frozen=True)
class Keys:
    """What the rules compare of a scheme."""

    id: str
    titre_cle: str
    porteurs: list[str]
    mots: list[str]
    sigles: list[str]


def keys(scheme: Scheme) -> Keys:
    words, acronyms = title_words(scheme.titre)
    return Keys(scheme.id, search_key(scheme.titre), porteur_sirens(scheme), words, acronyms)


def _arrow_tables(schemes: Iterable[Scheme]) -> tuple[Any, Any]:
    import pyarrow as pa

    ids: dict[str, list[Any]] = {"cle": [], "dispositif_id": [], "porteur_siren": [], "par": []}
    words: dict[str, list[Any]] = {"porteur_siren": [], "dispositif_id": [], "mot": [], "sigle": [], "n": []}
    for scheme in schemes:
        k = keys(scheme)
        if not k.id:
            continue
        ids["cle"].append(k.id.lower())
        ids["dispositif_id"].append(k.id)
        ids["porteur_siren"].append(None)
        ids["par"].append("id")
        for siren in k.porteurs:
            if k.titre_cle:
                ids["cle"].append(k.titre_cle)
                ids["dispositif_id"].append(k.id)
                ids["porteur_siren"].append(siren)
                ids["par"].append("titre")
            for word in k.mots:
                words["porteur_siren"].append(siren)
                words["dispositif_id"].append(k.id)
                words["mot"].append(word)
                words["sigle"].append(word in k.sigles)
                words["n"].append(len(k.mots))
    id_table = pa.table(
        {
            "cle": pa.array(ids["cle"], pa.string()),
            "dispositif_id": pa.array(ids["dispositif_id"], pa.string()),
            "porteur_siren": pa.array(ids["porteur_siren"], pa.string()),
            "par": pa.array(ids["par"], pa.string()),
        }
    )
    word_table = pa.table(
        {
            "porteur_siren": pa.array(words["porteur_siren"], pa.string()),
            "dispositif_id": pa.array(words["dispositif_id"], pa.string()),
            "mot": pa.array(words["mot"], pa.string()),
            "sigle": pa.array(words["sigle"], pa.bool_()),
            "n": pa.array(words["n"], pa.int32()),
        }
    )
    return id_table, word_table


# `{ids}`, `{words}`: the registered scheme tables; `{subsidies}`: the lines (subsidy_key,
# attribuant_siren, objet, dispositif_aide). The objet's words are compared stemmed as title_words
# does (a final s or x dropped from words of more than three letters).
LINK_SQL = """
WITH named AS (
    SELECT s.subsidy_key, i.dispositif_id
    FROM {subsidies} AS s JOIN {ids} AS i ON i.par = 'id' AND i.cle = lower(trim(s.dispositif_aide))
    WHERE s.dispositif_aide IS NOT NULL
    UNION
    SELECT s.subsidy_key, i.dispositif_id
    FROM {subsidies} AS s
    JOIN {ids} AS i ON i.par = 'titre' AND i.porteur_siren = s.attribuant_siren
                   AND i.cle = lv_search_key(s.dispositif_aide)
    WHERE s.dispositif_aide IS NOT NULL
),
certain AS (
    SELECT subsidy_key, any_value(dispositif_id) AS dispositif_id
    FROM named GROUP BY subsidy_key HAVING count(DISTINCT dispositif_id) = 1
),
candidates AS (
    SELECT s.subsidy_key, s.attribuant_siren, s.objet
    FROM {subsidies} AS s
    WHERE s.objet IS NOT NULL
      AND s.attribuant_siren IN (SELECT porteur_siren FROM {words})
      AND s.subsidy_key NOT IN (SELECT subsidy_key FROM named)
),
tokens AS (
    SELECT DISTINCT subsidy_key, attribuant_siren,
           regexp_replace(unnest(string_split(lv_search_key(objet), ' ')), '^(.{{3,}})[sx]$', '\\1') AS mot
    FROM candidates
),
hits AS (
    SELECT t.subsidy_key, w.dispositif_id, count(*) AS trouves, any_value(w.n) AS n,
           bool_or(w.sigle) AS sigle, list(w.mot ORDER BY w.mot) AS mots
    FROM tokens AS t JOIN {words} AS w ON w.porteur_siren = t.attribuant_siren AND w.mot = t.mot
    GROUP BY t.subsidy_key, w.dispositif_id
),
graded AS (
    SELECT *,
           CASE WHEN sigle OR (n >= 2 AND trouves = n) THEN 'probable'
                WHEN trouves >= 2 OR n = 1 THEN 'possible' END AS confiance,
           trouves / n AS part
    FROM hits
),
best AS (
    SELECT * FROM graded
    WHERE confiance IS NOT NULL
    QUALIFY rank() OVER (
        PARTITION BY subsidy_key ORDER BY confiance = 'probable' DESC, part DESC, trouves DESC
    ) = 1
)
SELECT subsidy_key, dispositif_id, 'certaine' AS confiance, 'dispositif_aide' AS methode,
       NULL::VARCHAR[] AS mots_trouves, NULL::INTEGER AS mots_titre
FROM certain
UNION ALL
SELECT subsidy_key, dispositif_id, confiance, 'attribuant_objet', mots, n::INTEGER
FROM best
QUALIFY count(*) OVER (PARTITION BY subsidy_key) = 1
"""


def link_sql(subsidies: str, ids: str, words: str) -> str:
    return LINK_SQL.format(subsidies=subsidies, ids=ids, words=words)


def build(
    con: duckdb.DuckDBPyConnection,
    schemes: Iterable[Scheme],
    *,
    subsidies: str = "subsidies",
    table: str = TABLE,
) -> int:
    """(Re)write `table` with the links of every line of `subsidies` to `schemes`; returns how many.

    `subsidies` and `table` are names from the callers (never from input). The connection must
    know the search-key macro (leviers.warehouse.search_key.define)."""
    id_table, word_table = _arrow_tables(schemes)
    suffix = next(_views)
    ids, words = f"lv_link_ids_{suffix}", f"lv_link_words_{suffix}"
    con.register(ids, id_table)
    con.register(words, word_table)
    try:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(DDL.replace(f"EXISTS {TABLE}", f"EXISTS {table}"))
        con.execute(
            f"INSERT INTO {table} SELECT * FROM ({link_sql(subsidies, ids, words)}) ORDER BY dispositif_id, subsidy_key"
        )
    finally:
        con.unregister(ids)
        con.unregister(words)
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def reason(link: dict[str, Any], porteur: str | None = None) -> str:
    """Why a line is linked, in French, from its row of the table."""
    if link["methode"] == "dispositif_aide":
        return "Dispositif nommé par la ligne de subvention (dispositifAide)."
    words = ", ".join(link.get("mots_trouves") or [])
    count = len(link.get("mots_trouves") or [])
    who = f" ({porteur})" if porteur else ""
    return (
        f"L'attribuant porte le dispositif{who} ; mots du titre trouvés dans l'objet : {words} "
        f"({count} sur {link.get('mots_titre')})."
    )
