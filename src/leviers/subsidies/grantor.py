"""The grantor of a subsidy file that does not name it, and the year of a file with no date.

Some subsidy files list amounts per beneficiary without saying who granted them (payments to
associations, the list annexed to a budget). Their grantor comes from outside the file, and is
never guessed:

1. the SIREN the user gives (`leviers ingest --attribuant SIREN`): source `option --attribuant`;
2. else the file name, when it designates one collectivité of the shipped reference: its SIREN
   (`224900019_subventions….csv`, the way data.gouv.fr and the SCDL name files), or a
   département's code and name side by side (`72-Sarthe_…`): source `nom du fichier`.

A file name that designates several grantors, a SIREN that is not a collectivité of the
reference, or a département whose competences another collectivité exercises (Paris, Corsica,
Alsace, Martinique…: which one depends on the year) is not guessed: the file is refused with a
message that suggests `--attribuant`.

The year of a file with no date nor year column is the one year its name states
(`…_2018.csv`), flagged `nom du fichier`; else it stays unknown (NULL).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache

from leviers.errors import InputRefused
from leviers.reference import collectivites, is_valid_siren, resolve_buyer
from leviers.reference.data import read_rows

SOURCE_FILE = "fichier"
SOURCE_FILE_NAME = "nom du fichier"
SOURCE_OPTION = "option --attribuant"

SUGGESTION = (
    "indiquez l'attribuant avec `leviers ingest --attribuant SIREN …` (SIREN de la collectivité "
    "qui a attribué ces subventions)"
)


@dataclass(frozen=True)
class Grantor:
    """A grantor known from outside the file."""

    siren: str
    nom: str | None  # the collectivité's name in the reference; None for another body
    source: str  # SOURCE_OPTION | SOURCE_FILE_NAME
    evidence: str  # French, after "d'après": "l'option --attribuant", "« 72-sarthe » dans le nom du fichier"

    def describe(self) -> str:
        """French, for the report line: "Département de la Sarthe (SIREN 227200029)"."""
        if self.nom:
            return f"{self.nom} (SIREN {self.siren})"
        return f"SIREN {self.siren} (pas une collectivité du référentiel : nom inconnu)"


def from_option(siren: str) -> Grantor:
    """The grantor given with --attribuant (already checked: nine digits, valid key)."""
    buyer = resolve_buyer(siren)
    nom = buyer.collectivite.nom if buyer.collectivite is not None else None
    return Grantor(siren=buyer.siren, nom=nom, source=SOURCE_OPTION, evidence="l'option --attribuant")


def slug(text: str) -> str:
    """Lower case, no accents, every run of other characters than letters and digits → '-'."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


@dataclass(frozen=True)
class _Departement:
    code: str
    nom: str
    siren: str | None  # None when another collectivité exercises its competences
    collectivite_siren: str


@cache
def _departements() -> list[_Departement]:
    return [
        _Departement(row["code"], row["nom"], row["siren"] or None, row["collectivite_siren"])
        for row in read_rows("departements.csv")
    ]


def _departement_in(name_slug: str, d: _Departement) -> str | None:
    """The part of the file name that gives the département's code and name together, if any."""
    code, nom = re.escape(slug(d.code)), re.escape(slug(d.nom))
    found = re.search(rf"(?:^|-)({code}-{nom}|{nom}-{code})(?:-|$)", name_slug)
    return found.group(1) if found else None


def from_file_name(file_name: str, display: str) -> Grantor | None:
    """The grantor the file name designates, None when it designates none; InputRefused when it
    is ambiguous (never a guess)."""
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    candidates: dict[str, list[str]] = {}  # SIREN → what in the name designates it
    unknown: list[str] = []
    for token in re.findall(r"(?<!\d)\d{9}(?!\d)", stem):
        if not is_valid_siren(token):
            continue  # nine digits that are not a SIREN (a date and time, a number…)
        if token in collectivites():
            candidates.setdefault(token, []).append(f"le SIREN {token}")
        else:
            unknown.append(token)
    name_slug = slug(stem)
    for d in _departements():
        part = _departement_in(name_slug, d)
        if part is None:
            continue
        if d.siren is None:
            raise InputRefused(
                display,
                f"le nom du fichier désigne le département {d.code} {d.nom} (« {part} »), qui n'a pas de "
                f"SIREN propre : ses compétences sont exercées par une autre collectivité (SIREN "
                f"{d.collectivite_siren} aujourd'hui) et l'attribuant dépend de l'année ; Leviers ne le devine "
                f"pas : {SUGGESTION}",
            )
        candidates.setdefault(d.siren, []).append(f"« {part} »")
    if unknown:
        raise InputRefused(
            display,
            f"le nom du fichier contient {', '.join(unknown)}, qui n'est pas le SIREN d'une collectivité du "
            f"référentiel : Leviers ne devine pas l'attribuant ; {SUGGESTION}",
        )
    if len(candidates) > 1:
        listed = " ; ".join(
            f"{collectivites()[siren].nom} (SIREN {siren}, d'après {' et '.join(why)})"
            for siren, why in candidates.items()
        )
        raise InputRefused(
            display,
            f"le nom du fichier désigne plusieurs attribuants possibles ({listed}) : Leviers ne devine pas ; "
            f"{SUGGESTION}",
        )
    if not candidates:
        return None
    ((siren, why),) = candidates.items()
    return Grantor(
        siren=siren,
        nom=collectivites()[siren].nom,
        source=SOURCE_FILE_NAME,
        evidence=" et ".join(why) + " dans le nom du fichier",
    )


def year_from_file_name(file_name: str) -> int | None:
    """The one plausible year (1990 to next year + 1) the file name states, else None."""
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    years = {int(y) for y in re.findall(r"(?<!\d)(?:19|20)\d{2}(?!\d)", stem)}
    plausible = {y for y in years if 1990 <= y <= date.today().year + 2}
    if len(years) != 1 or len(plausible) != 1:
        return None  # none, or several: unknown rather than a guess
    return plausible.pop()
