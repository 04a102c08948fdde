"""SIRENE formats recognised by `leviers ingest` (importing this module registers them).

A stock file can be applied again (`reapply`): the warehouse may have gained SIRENs since it
was first read (new contracts or subsidies), and `--tout` may ask for every unit. Applying the
same file to an unchanged warehouse changes nothing (every record is then a duplicate).
"""

from __future__ import annotations

from leviers.errors import InputRefused
from leviers.ingestion.files import Sample
from leviers.ingestion.registry import FormatFlags, LoadContext, LoadCounts, register
from leviers.sirene.stock import broken_parquet, inspect, load_stock


class _StockFormat(FormatFlags):
    dataset = "sirene"
    reapply = True

    def __init__(self, format_id: str, kind: str, label: str) -> None:
        self.id = format_id
        self.kind = kind
        self.label = label

    def sniff(self, sample: Sample) -> bool:
        stock = inspect(sample)
        if stock is None:
            # A Parquet file named like the stock that cannot be opened: refuse it at load time
            # with the cause, rather than as an unknown format.
            return self.kind == "parquet" and broken_parquet(sample)
        return stock.kind == self.kind

    def load(self, ctx: LoadContext) -> LoadCounts:
        stock = inspect(ctx.sample)
        if stock is None:
            raise InputRefused(
                ctx.display_path,
                "fichier Parquet illisible (tronqué ou corrompu : téléchargement interrompu ?) — "
                "retéléchargez-le avec `leviers download sirene`",
            )
        return load_stock(ctx, stock, keep_all=ctx.tout)


STOCK_PARQUET = register(
    _StockFormat("sirene-unites-legales-parquet", "parquet", "SIRENE, stock des unités légales (Parquet)")
)
STOCK_CSV = register(
    _StockFormat("sirene-unites-legales-csv", "csv", "SIRENE, stock des unités légales (CSV)")
)
