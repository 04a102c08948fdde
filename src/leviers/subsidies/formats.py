"""Subsidy formats recognised by `leviers ingest` (importing this module registers them).

A file is a subsidy file when, among its first rows, one is a header that names (after header
variant mapping) an amount, a beneficiary, and a grantor or a convention, or heads a list of
amounts per beneficiary: see headers.py. The file's extension does not matter: CSV is read in
UTF-8, cp1252 or UTF-16 with a BOM (text.py); workbooks (XLS, XLSX/XLSM, ODS) are recognised by
their content (spreadsheets.py), so that an XLSX named `.xls` or a download without extension
loads too.
"""

from __future__ import annotations

from leviers.errors import InputRefused
from leviers.ingestion.files import Sample
from leviers.ingestion.registry import FormatFlags, LoadContext, LoadCounts, register
from leviers.subsidies import readers, spreadsheets
from leviers.subsidies.loader import load_table


class SubsidyCsv(FormatFlags):
    id = "subventions-csv"
    dataset = "subventions"
    label = "Subventions (SCDL, formats antérieurs, listes de montants par bénéficiaire), CSV"

    def sniff(self, sample: Sample) -> bool:
        if sample.head.startswith(spreadsheets.MAGIC):
            return False
        if b"\x00" in sample.head[:8192] and sample.utf16_head() is None:
            return False  # binary; UTF-16 text has NUL bytes too, and is read
        return readers.sniff_csv(sample.head, sample.path.name)

    def load(self, ctx: LoadContext) -> LoadCounts:
        table, rows = readers.read_csv(ctx.path, ctx.display_path)
        return load_table(ctx, table, rows, self.id)


class SubsidySpreadsheet(FormatFlags):
    id = "subventions-tableur"
    dataset = "subventions"
    label = "Subventions (SCDL, formats antérieurs, listes de montants par bénéficiaire), classeur XLS, XLSX, XLSM ou ODS"

    def sniff(self, sample: Sample) -> bool:
        book = spreadsheets.workbook(sample.path, str(sample.path), sample.head, sample.suffix)
        return book is not None and bool(book.read)

    def load(self, ctx: LoadContext) -> LoadCounts:
        try:
            book = spreadsheets.workbook(ctx.path, ctx.display_path, ctx.sample.head, ctx.sample.suffix)
        finally:
            spreadsheets.forget()
        if book is None:
            raise InputRefused(ctx.display_path, "classeur illisible")
        table, rows = spreadsheets.read(book, ctx.display_path)
        return load_table(ctx, table, rows, self.id)


CSV = register(SubsidyCsv())
SPREADSHEET = register(SubsidySpreadsheet())
