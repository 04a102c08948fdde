"""Subsidy formats recognised by `leviers ingest` (importing this module registers them).

A file is a subsidy file when, among its first rows, one is a header that names (after header
variant mapping) an amount, a beneficiary, and a grantor or a convention, or heads a list of
amounts per beneficiary: see headers.py. The file's extension does not matter for CSV (UTF-8,
cp1252 or UTF-16 with a BOM: see text.py); spreadsheets are recognised by their magic bytes
and extension (.xlsx, .xlsm, .xls, .ods).
"""

from __future__ import annotations

from leviers.ingestion.files import Sample
from leviers.ingestion.registry import LoadContext, LoadCounts, register
from leviers.subsidies import readers
from leviers.subsidies.loader import load_table


class SubsidyCsv:
    id = "subventions-csv"
    dataset = "subventions"
    label = "Subventions (SCDL, formats antérieurs, listes de montants par bénéficiaire), CSV"

    def sniff(self, sample: Sample) -> bool:
        if sample.head.startswith(readers.SPREADSHEET_MAGIC):
            return False
        if b"\x00" in sample.head[:8192] and sample.utf16_head() is None:
            return False  # binary; UTF-16 text has NUL bytes too, and is read
        return readers.sniff_csv(sample.head)

    def load(self, ctx: LoadContext) -> LoadCounts:
        table, rows = readers.read_csv(ctx.path, ctx.display_path)
        return load_table(ctx, table, rows, self.id)


class SubsidySpreadsheet:
    id = "subventions-tableur"
    dataset = "subventions"
    label = "Subventions (SCDL, formats antérieurs, listes de montants par bénéficiaire), classeur XLSX, XLSM, XLS ou ODS"

    def sniff(self, sample: Sample) -> bool:
        if not readers.is_spreadsheet(sample.head, sample.suffix):
            return False
        return readers.sniff_spreadsheet(sample.path, str(sample.path))

    def load(self, ctx: LoadContext) -> LoadCounts:
        table, rows = readers.read_spreadsheet(ctx.path, ctx.display_path)
        return load_table(ctx, table, rows, self.id)


CSV = register(SubsidyCsv())
SPREADSHEET = register(SubsidySpreadsheet())
