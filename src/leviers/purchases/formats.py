"""Purchase formats recognised by `leviers ingest --prive` (importing this module registers them).

A file is a purchase file when, among its first rows, one is a purchase header (headers.py): a
supplier column and an amount column. Purchase files are private: they load only into the private
store (`leviers ingest --prive`), and `leviers ingest` without it refuses them (leviers.ingestion,
the `private` flag).
"""

from __future__ import annotations

from leviers.ingestion.files import Sample
from leviers.ingestion.registry import FormatFlags, LoadContext, LoadCounts, register
from leviers.purchases import loader, readers
from leviers.subsidies import spreadsheets


class PurchaseCsv(FormatFlags):
    id = "achats-csv"
    dataset = "achats"
    label = "Achats de l'acheteur (mandats, paiements, commandes ; données privées, --prive), CSV"
    private = True
    deferred_transaction = True  # DuckDB's CSV reader may fail on an irregular row: read again by rows

    def sniff(self, sample: Sample) -> bool:
        if sample.head.startswith(spreadsheets.MAGIC):
            return False
        if b"\x00" in sample.head[:8192] and sample.utf16_head() is None:
            return False
        return readers.sniff_csv(sample.head)

    def load(self, ctx: LoadContext) -> LoadCounts:
        return loader.load(ctx, readers.read_csv(ctx.path, ctx.display_path), self.id)


class PurchaseSpreadsheet(FormatFlags):
    id = "achats-tableur"
    dataset = "achats"
    label = "Achats de l'acheteur (mandats, paiements, commandes ; données privées, --prive), classeur XLSX, XLS ou ODS"
    private = True
    deferred_transaction = True

    def sniff(self, sample: Sample) -> bool:
        return readers.sniff_workbook(sample.path, sample.head, sample.suffix)

    def load(self, ctx: LoadContext) -> LoadCounts:
        staged = readers.read_workbook(ctx.path, ctx.display_path, ctx.sample.head, ctx.sample.suffix)
        return loader.load(ctx, staged, self.id)


CSV = register(PurchaseCsv())
SPREADSHEET = register(PurchaseSpreadsheet())
