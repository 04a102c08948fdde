"""Generate a synthetic national DECP file: orchestration, timing and the report."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from leviers.decp.synth import calibration as cal
from leviers.decp.synth.batch import INVALID_KINDS, NC, Batch, Context, Options, generate_batch
from leviers.decp.synth.concessions import concession_records
from leviers.decp.synth.consolidated import CSV_SCHEMA, SCHEMA, Names, consolidated_table
from leviers.decp.synth.json2024 import write_json2024
from leviers.decp.synth.pools import Places, build_buyers, build_suppliers
from leviers.errors import LeviersError
from leviers.progress import NoProgress, Progress

FORMATS = ("json2024", "consolide-csv", "consolide-parquet")
EXTENSIONS = {"json2024": "json", "consolide-csv": "csv", "consolide-parquet": "parquet"}


class SynthError(LeviersError):
    """Bad options for the generator, or the output cannot be written."""


@dataclass
class SynthReport:
    path: Path
    format: str
    seed: int
    contracts: int
    concessions: int  # 0 for the consolidated formats (they hold marchés only)
    rows: int  # JSON: records written (contracts + concessions); consolidated: table rows
    modifications: int
    nc_records: int  # records whose considerations are « NC »
    invalid_records: dict[str, int] = field(default_factory=dict)  # deliberate schema breaks, by kind
    size_bytes: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "format": self.format,
            "graine": self.seed,
            "contrats": self.contracts,
            "concessions": self.concessions,
            "lignes": self.rows,
            "modifications": self.modifications,
            "enregistrements_nc": self.nc_records,
            "enregistrements_invalides": self.invalid_records,
            "octets": self.size_bytes,
            "secondes": round(self.seconds, 2),
        }


def default_output(fmt: str, contracts: int, seed: int) -> Path:
    return Path(f"decp-synthetique-{contracts}-g{seed}.{EXTENSIONS[fmt]}")


def build_context(options: Options) -> Context:
    if options.contracts < 1:
        raise SynthError("--contracts : le nombre de contrats doit être au moins 1.")
    if options.seed < 0:
        raise SynthError("--seed : la graine doit être un entier positif ou nul.")
    if not (0 <= options.nc_rate <= 1 and 0 <= options.invalid_rate <= 1):
        raise SynthError("--taux-nc et --taux-invalides doivent être compris entre 0 et 1.")
    if options.end < options.start:
        raise SynthError("la date de fin précède la date de début.")
    rng = np.random.default_rng(np.random.SeedSequence([options.seed, 0]))
    places = Places.build()
    return Context(
        options, places, build_buyers(rng, places), build_suppliers(rng, places, options.contracts)
    )


def _batches(ctx: Context, progress: Progress, report: SynthReport) -> Iterator[Batch]:
    total = ctx.options.contracts
    for number, first in enumerate(range(0, total, cal.BATCH_SIZE)):
        size = min(cal.BATCH_SIZE, total - first)
        batch = generate_batch(ctx, number, first, size)
        report.modifications += int(batch.mod_offsets[-1])
        report.nc_records += int((batch.social == NC).sum())
        for kind, label in INVALID_KINDS.items():
            report.invalid_records[label] = report.invalid_records.get(label, 0) + int(
                (batch.invalid == kind).sum()
            )
        yield batch
        progress.advance(size)


def generate_decp(
    options: Options, out: Path | None = None, fmt: str = "json2024", progress: Progress | None = None
) -> SynthReport:
    """Write `options.contracts` synthetic contracts in `fmt` to `out` (atomically) and report.

    Same options → byte-identical file. Memory stays bounded: contracts are generated and
    written by batches of calibration.BATCH_SIZE.
    """
    if fmt not in FORMATS:
        raise SynthError(f"format « {fmt} » inconnu : choisissez parmi {', '.join(FORMATS)}.")
    progress = progress or NoProgress()
    out = Path(out) if out is not None else default_output(fmt, options.contracts, options.seed)
    started = time.perf_counter()
    ctx = build_context(options)
    report = SynthReport(out, fmt, options.seed, options.contracts, 0, 0, 0, 0)
    tmp = out.with_name(out.name + ".tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        progress.start("Génération des DECP synthétiques", total=options.contracts, unit="marchés")
        try:
            if fmt == "json2024":
                report.concessions = options.concessions
                report.rows = options.contracts + options.concessions
                with tmp.open("wb") as fh:
                    write_json2024(ctx, fh, _batches(ctx, progress, report), _concessions(ctx))
            else:
                names = Names()
                for_csv = fmt == "consolide-csv"
                if for_csv:
                    with pacsv.CSVWriter(
                        str(tmp), CSV_SCHEMA, write_options=pacsv.WriteOptions(quoting_style="needed")
                    ) as writer:
                        for batch in _batches(ctx, progress, report):
                            table = consolidated_table(ctx, batch, names, for_csv=True)
                            report.rows += table.num_rows
                            writer.write_table(table)
                else:
                    with pq.ParquetWriter(str(tmp), SCHEMA, compression="zstd") as pwriter:
                        for batch in _batches(ctx, progress, report):
                            table = consolidated_table(ctx, batch, names, for_csv=False)
                            report.rows += table.num_rows
                            pwriter.write_table(table)
        finally:
            progress.finish()
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SynthError(f"impossible d'écrire {out} : {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    report.size_bytes = out.stat().st_size
    report.seconds = time.perf_counter() - started
    return report


def _concessions(ctx: Context) -> Iterator[list[dict[str, Any]]]:
    total = ctx.options.concessions
    for number, first in enumerate(range(0, total, cal.BATCH_SIZE)):
        yield concession_records(ctx, number, first, min(cal.BATCH_SIZE, total - first))
