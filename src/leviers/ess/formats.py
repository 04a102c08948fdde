"""ESS list formats recognised by `leviers ingest` (importing this module registers them)."""

from __future__ import annotations

from leviers.errors import InputRefused
from leviers.ess import csvlists, lemarche
from leviers.ess.lists import load_list
from leviers.ingestion.files import Sample
from leviers.ingestion.registry import FormatFlags, LoadContext, LoadCounts, register


class _MarcheInclusion(FormatFlags):
    id = "ess-marche-inclusion-json"
    dataset = "ess-liste"
    label = "Structures inclusives SIAE, EA, ESAT : Marché de l'inclusion (JSON) ou data·inclusion (Parquet, JSON)"

    def sniff(self, sample: Sample) -> bool:
        return lemarche.sniff(sample)

    def load(self, ctx: LoadContext) -> LoadCounts:
        ctx.progress.start("Liste des structures inclusives", None, unit="structures")
        rows, notes = lemarche.read_file(ctx.display_path, ctx.path)
        counts = load_list(ctx, "siae", [rows])
        counts.notes.extend(notes)
        ctx.progress.finish()
        return counts


class _CsvList(FormatFlags):
    dataset = "ess-liste"

    def __init__(self, kind: str, format_id: str, label: str) -> None:
        self.kind = kind
        self.id = format_id
        self.label = label

    def sniff(self, sample: Sample) -> bool:
        layout = csvlists.sniff_layout(sample)
        return layout is not None and layout.kind == self.kind

    def load(self, ctx: LoadContext) -> LoadCounts:
        layout = csvlists.sniff_layout(ctx.sample)
        if layout is None:
            raise InputRefused(ctx.display_path, "colonne SIREN ou SIRET introuvable dans l'en-tête")
        ctx.progress.start(self.label, None, unit="lignes")
        counts = load_list(ctx, self.kind, csvlists.read(ctx.display_path, ctx.path, layout))
        ctx.progress.finish()
        return counts


MARCHE_INCLUSION = register(_MarcheInclusion())
ESUS_CSV = register(
    _CsvList(
        csvlists.ESUS, "ess-esus-csv", "Liste des entreprises agréées ESUS (CSV ou classeur XLSX, XLS, ODS)"
    )
)
ESS_FRANCE_CSV = register(
    _CsvList(csvlists.ESS_FRANCE, "ess-france-csv", "Liste des entreprises de l'ESS, ESS France (CSV)")
)
