"""Scheme catalogue formats recognised by `leviers ingest` (importing this module registers them)."""

from __future__ import annotations

from leviers.aides import aidesterritoires, readers
from leviers.aides.loader import load_schemes
from leviers.ingestion.files import Sample
from leviers.ingestion.registry import FormatFlags, LoadContext, LoadCounts, register

DATASET = "aides"


class _DispositifCsv(FormatFlags):
    id = "dispositif-aide-csv"
    dataset = DATASET
    label = "Catalogue de dispositifs d'aide, schéma Etalab dispositif-aide (CSV)"

    def sniff(self, sample: Sample) -> bool:
        return readers.sniff_csv(sample)

    def load(self, ctx: LoadContext) -> LoadCounts:
        ctx.progress.start(self.label, None, unit="dispositifs")
        counts = load_schemes(ctx, readers.read_csv(ctx.display_path, ctx.path))
        ctx.progress.finish()
        return counts


class _DispositifJson(FormatFlags):
    id = "dispositif-aide-json"
    dataset = DATASET
    label = "Catalogue de dispositifs d'aide, schéma Etalab dispositif-aide (JSON)"

    def sniff(self, sample: Sample) -> bool:
        return readers.sniff_json(sample)

    def load(self, ctx: LoadContext) -> LoadCounts:
        ctx.progress.start(self.label, None, unit="dispositifs")
        counts = load_schemes(ctx, readers.read_json(ctx.display_path, ctx.path))
        ctx.progress.finish()
        return counts


class _AidesTerritoires(FormatFlags):
    id = "aides-territoires-json"
    dataset = DATASET
    label = "Aides d'Aides-territoires (export de `leviers download aides` ou réponse de l'API)"

    def sniff(self, sample: Sample) -> bool:
        return aidesterritoires.sniff(sample)

    def load(self, ctx: LoadContext) -> LoadCounts:
        records = aidesterritoires.read(ctx.display_path, ctx.path)
        ctx.progress.start(self.label, len(records), unit="aides")
        counts = load_schemes(ctx, records)
        ctx.progress.finish()
        return counts


DISPOSITIF_CSV = register(_DispositifCsv())
DISPOSITIF_JSON = register(_DispositifJson())
AIDES_TERRITOIRES = register(_AidesTerritoires())
