"""When a SIREN, a code or a year matches nothing: an error (exit 1) that says why, with a hint.

An empty table with exit 0 reads as « this collectivité bought nothing », which is rarely true: the
SIREN was mistyped, the year is not loaded, or the buyer is not a collectivité. The commands call
`nothing_found()` when their filters leave no row; it looks at what the warehouse holds (who
published contracts, concessions or subsidies, and which years) and names the nearest thing: the
years of that SIREN, a SIREN one typo away, the collectivités whose name was typed instead of a
SIREN (with the search index of `leviers.reference.search`), the codes present at that level, or
`--par acheteur` for a buyer that is not a collectivité. Only run on that error path: it reads the
warehouse's publishers and the shipped reference (about two seconds on national data).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import duckdb

from leviers.errors import LeviersError
from leviers.reference import collectivites, luhn_ok
from leviers.reference.data import Collectivite
from leviers.reference.search import SearchEntry, SearchIndex, within_one_edit

SHOWN = 5  # names or codes listed in a hint

# Who published what, per SIREN and year: (table, SIREN, SIRET, name, year). Fixed SQL, no value.
_SOURCES = {
    "contracts": "SELECT acheteur_siren, acheteur_id, acheteur_nom, year(date_notification) FROM contracts",
    "concessions": (
        "SELECT autorite_concedante_siren, autorite_concedante_id, autorite_concedante_nom, "
        "year(date_signature) FROM concessions"
    ),
    "subsidies": "SELECT attribuant_siren, id_attribuant, nom_attribuant, annee FROM subsidies",
}
CONTRACT_TABLES = ("contracts", "concessions")
ALL_TABLES = ("contracts", "concessions", "subsidies")


class NothingFound(LeviersError):
    """The filters of a command match nothing in the warehouse (exit 1, with a hint)."""


@dataclass
class Publisher:
    siren: str
    names: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)  # SIRETs
    years: set[int] = field(default_factory=set)
    unknown_year: bool = False


def publishers(con: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> dict[str, Publisher]:
    """Every SIREN that published in `tables`, with its names, SIRETs and years."""
    present = {
        row[0]
        for row in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()
    }
    parts = [_SOURCES[t] for t in tables if t in present]
    found: dict[str, Publisher] = {}
    if not parts:
        return found
    rows = con.execute(
        "SELECT s, list(DISTINCT i), list(DISTINCT n) FILTER (WHERE n IS NOT NULL), "
        "list(DISTINCT y) FILTER (WHERE y IS NOT NULL), bool_or(y IS NULL) "
        f"FROM ({' UNION ALL '.join(parts)}) AS p(s, i, n, y) WHERE s IS NOT NULL GROUP BY s"
    ).fetchall()
    for siren, ids, names, years, unknown in rows:
        found[siren] = Publisher(
            siren,
            sorted(names or [])[:3],
            {i for i in ids if i},
            {int(y) for y in years or []},
            bool(unknown),
        )
    return found


def nothing_found(
    con: duckdb.DuckDBPyConnection,
    *,
    what: str,
    siren: str | None = None,
    code: str | None = None,
    level: str | None = None,
    annee: int | None = None,
    tables: Sequence[str] = CONTRACT_TABLES,
    asked: str | None = None,
) -> NothingFound:
    """The error for filters that left no row: `what` names what was looked for (« aucun
    indicateur », « aucun flux »), the filters are those the user gave (`asked` says how they were
    typed when not as options)."""
    known = publishers(con, tables)
    asked = asked or " ".join(
        part
        for part in (
            f"--par {level}" if level and (code or siren) else "",
            f"--siren {siren}" if siren else "",
            f"--code {code}" if code else "",
            f"--annee {annee}" if annee is not None else "",
        )
        if part
    )
    head = f"{what} pour {asked}" if asked else what
    if not known:
        return NothingFound(
            f"{head} : l'entrepôt ne contient encore aucune donnée de ce type — chargez des fichiers avec "
            "`leviers ingest` (voir `leviers download --help`)."
        )
    if siren is not None:
        reason = _siren(known, siren, annee, level)
    elif code is not None and level is not None:
        reason = _code(known, code, level, annee)
    elif annee is not None:
        reason = f"l'entrepôt n'a rien pour {annee} ; années présentes : {_years(_all_years(known))}."
    else:
        reason = "aucune ligne ne correspond."
    return NothingFound(f"{head} : {reason}")


# --------------------------------------------------------------------------- SIREN


def _label(siren: str, publisher: Publisher | None = None) -> str:
    reference = collectivites().get(siren)
    if reference is not None:
        return f"{reference.nom} ({siren})"
    if publisher is not None and publisher.names:
        return f"{publisher.names[0]} ({siren})"
    return f"le SIREN {siren}"


def _siren(known: dict[str, Publisher], typed: str, annee: int | None, level: str | None) -> str:
    siren = typed.replace(" ", "").strip()
    if not (siren.isascii() and siren.isdigit()):
        return _by_name(known, typed)
    if len(siren) == 14:
        siren = siren[:9]
    if len(siren) != 9:
        return f"un SIREN a 9 chiffres (« {typed} » en a {len(siren)})." + _near_sirens(known, siren)
    publisher = known.get(siren)
    reference = collectivites().get(siren)
    if publisher is not None:
        if level == "collectivite" and reference is None:
            return (
                f"{_label(siren, publisher)} n'est pas une collectivité (commune, EPCI, département, région) : "
                f"pour un autre acheteur public, demandez --par acheteur ou --par unite_legale --siren {siren}."
            )
        if annee is not None and annee not in publisher.years:
            return f"{_label(siren, publisher)} n'a rien publié pour {annee} ; ses années : {_years(publisher.years)}."
        return (
            f"{_label(siren, publisher)} est dans l'entrepôt, mais aucune ligne ne correspond à ces filtres."
        )
    if not luhn_ok(siren):
        return (
            f"{siren} n'est pas un SIREN (sa clé de contrôle est fausse : une faute de frappe ?)."
            + _near_sirens(known, siren)
        )
    if reference is not None:
        return (
            f"{_label(siren)} est une collectivité, mais l'entrepôt n'a aucune de ses données : chargez-les "
            "avec `leviers ingest`."
        )
    return "ce SIREN n'a rien publié dans l'entrepôt." + _near_sirens(known, siren)


def _near_sirens(known: dict[str, Publisher], siren: str) -> str:
    near = sorted(s for s in known if within_one_edit(siren, s))[:SHOWN]
    if not near:
        return ""
    return " SIREN proche(s) dans l'entrepôt : " + ", ".join(_label(s, known[s]) for s in near) + "."


def _by_name(known: dict[str, Publisher], typed: str) -> str:
    """A name typed where a SIREN was expected: the collectivités and buyers of that name."""
    reference = collectivites()
    entries: list[SearchEntry] = []
    for siren, publisher in known.items():
        ref = reference.get(siren)
        names = tuple(dict.fromkeys([*([ref.nom] if ref else []), *publisher.names]))
        if not names:
            continue
        entries.append(
            SearchEntry(
                siren=siren,
                names=names,
                type=ref.type if ref else "autre",
                nature=ref.nature if ref else None,
                competences=ref.competences if ref else (),
                population=ref.population if ref else None,
                collectivite=ref is not None,
                code=ref.code if ref and ref.type == "commune" else None,
                departements=ref.departements if ref else (),
            )
        )
    found = SearchIndex(entries).search(typed, limit=SHOWN)
    text = f"« {typed} » n'est pas un SIREN (9 chiffres)."
    if found:
        text += " Dans l'entrepôt : " + ", ".join(_label(e.siren, known[e.siren]) for e in found) + "."
    return text


# --------------------------------------------------------------------------- codes


def _code(known: dict[str, Publisher], typed: str, level: str, annee: int | None) -> str:
    if level in ("unite_legale", "collectivite"):
        return _siren(known, typed, annee, level)
    if level == "acheteur":
        siret = typed.replace(" ", "")
        publisher = known.get(siret[:9])
        if publisher is not None and len(siret) == 14 and siret not in publisher.ids:
            sirets = ", ".join(sorted(publisher.ids)[:SHOWN])
            return f"ce SIRET n'a rien publié ; SIRET de {_label(siret[:9], publisher)} dans l'entrepôt : {sirets}."
        return _siren(known, siret, annee, level)
    reference = collectivites()
    key = "departement_code" if level == "departement" else "region_code"
    present: set[str] = set()
    for siren, publisher in known.items():
        ref = reference.get(siren)
        value = getattr(ref, key) if ref else None
        if value and (annee is None or annee in publisher.years):
            present.add(value)
    names = _area_names(reference.values(), level)
    word = "département" if level == "departement" else "région"
    this, of, of_any = ("ce", "du", "d'aucun") if level == "departement" else ("cette", "de la", "d'aucune")
    if typed in present:
        return f"rien pour {this} {word} avec ces filtres."
    listed = ", ".join(f"{c} ({names[c]})" if c in names else c for c in sorted(present)[: SHOWN * 2])
    more = "…" if len(present) > SHOWN * 2 else ""
    near = difflib.get_close_matches(typed, sorted(present), n=1, cutoff=0.5)
    suggestion = f" Vouliez-vous dire {near[0]} ?" if near else ""
    where = f" en {annee}" if annee is not None else ""
    if not present:
        return f"aucune collectivité {of_any} {word} n'a publié{where} dans l'entrepôt."
    return (
        f"aucune collectivité {of} {word} « {typed} » n'a publié{where} dans l'entrepôt.{suggestion} "
        f"Codes présents : {listed}{more}."
    )


def _area_names(reference: Iterable[Collectivite], level: str) -> dict[str, str]:
    return {c.code: c.nom for c in reference if c.type == level}


# --------------------------------------------------------------------------- years


def _all_years(known: dict[str, Publisher]) -> set[int]:
    return {y for p in known.values() for y in p.years}


def _years(years: Iterable[int]) -> str:
    """2019, 2021–2024: runs of consecutive years shortened."""
    ordered = sorted(set(years))
    if not ordered:
        return "aucune (dates inconnues)"
    runs: list[list[int]] = [[ordered[0]]]
    for year in ordered[1:]:
        if year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)
