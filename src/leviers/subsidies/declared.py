"""Beneficiaries that the grantor declares associations: the title of its file says so.

Collectivités often publish their subsidies to associations as a dataset of its own
(« Subventions aux associations du département de Loire-Atlantique », « subventions directes
attribuées aux associations 2017 »): the publisher states what every line's beneficiary is. That
statement is evidence about the beneficiaries (an association is of the ESS by law, loi
n° 2014-856, art. 1er, II, 1°), but a one-sided one: such a file cannot list a beneficiary outside
the ESS, so a share of its lines « vers l'ESS » would be 100 % by construction. Leviers therefore
keeps these lines' status **unknown** for every share and rank, and shows their amount apart, in
the family « Associations déclarées par l'attribuant » (70_ess_money.sql); SIRENE, the lists or an
RNA number, when loaded, decide instead (docs/ess.md).

Only the file's own name is read (the way data.gouv.fr and the portals name a dataset's file);
nothing is guessed from the beneficiaries' names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from leviers.subsidies.grantor import slug

ASSOCIATIONS = "association_declaree"

# « subventions aux associations », « subventions directes attribuées aux associations »,
# « sub_asso » (the Sarthe's file): the subsidy word, at most three words, then the associations;
# never across a word that excludes them (« subventions hors associations »).
_TITLE = re.compile(
    r"(?:^|-)(subventions?|sub)-(?:(?!hors-|sauf-|non-|autres?-)[a-z]+-){0,3}?(associations?|asso)(?:-|$)"
)


@dataclass(frozen=True)
class Declaration:
    famille: str  # ASSOCIATIONS
    preuve: str  # French: what in the file says so

    def note(self) -> str:
        """The line of the load report that says what the declaration changes."""
        return (
            f"bénéficiaires déclarés associations par l'attribuant ({self.preuve}) : leurs montants sont "
            "donnés à part, statut ESS inconnu tant que SIRENE, une liste ou un numéro RNA ne le confirme pas"
        )


def from_file_name(file_name: str) -> Declaration | None:
    """The declaration the file's name makes, None when it makes none."""
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    found = _TITLE.search(slug(stem))
    if found is None:
        return None
    return Declaration(ASSOCIATIONS, f"nom du fichier « {file_name} »")
