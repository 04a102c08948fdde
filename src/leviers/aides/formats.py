"""Scheme catalogue formats recognised by `leviers ingest` (importing this module registers them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from leviers.aides import aidesterritoires, readers
from leviers.aides.loader import load_schemes
from leviers.aides.records import SchemeRecord
from leviers.ingestion.files import Sample
from leviers.ingestion.registry import FormatFlags, LoadContext, LoadCounts, register

DATASET = "aides"


class _Dispositif(FormatFlags):
    """The dispositif-aide schema, as CSV or as JSON: the same load, its own reader."""

    dataset = DATASET

    def __init__(
        self,
        format_id: str,
        label: str,
        sniff: Callable[[Sample], bool],
        read: Callable[[str, Path], Iterable[SchemeRecord]],
    ) -> None:
        self.id = format_id
        self.label = label
        self._sniff = sniff
        self._read = read

    def sniff(self, sample: Sample) -> bool:
        return self._sniff(sample)

    def load(self, ctx: LoadContext) -> LoadCounts:
        ctx.progress.start(self.label, None, unit="dispositifs")
        counts = load_schemes(ctx, self._read(ctx.display_path, ctx.path))
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


DISPOSITIF_CSV = register(
    _Dispositif(
        "dispositif-aide-csv",
        "Catalogue de dispositifs d'aide, schéma Etalab dispositif-aide (CSV)",
        readers.sniff_csv,
        readers.read_csv,
    )
)
DISPOSITIF_JSON = register(
    _Dispositif(
        "dispositif-aide-json",
        "Catalogue de dispositifs d'aide, schéma Etalab dispositif-aide (JSON)",
        readers.sniff_json,
        readers.read_json,
    )
)
AIDES_TERRITOIRES = register(_AidesTerritoires())
