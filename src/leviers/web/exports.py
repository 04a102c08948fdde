"""CSV and XLSX exports of the filtered contracts.

The CSV is streamed from the database in batches (any size, constant memory); the workbook is
written by xlsxwriter in constant-memory mode to a temporary file, then sent and deleted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterator
from typing import Any

import xlsxwriter
from starlette.background import BackgroundTask
from starlette.responses import FileResponse, StreamingResponse

from leviers import __version__
from leviers.web.definitions import DEFINITIONS
from leviers.web.errors import BadRequest
from leviers.web.queries import contracts as q
from leviers.web.store import Store

XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, minus the header row
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filename(extension: str) -> str:
    return f"leviers-contrats-{dt.date.today():%Y%m%d}.{extension}"


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return value


def csv_lines(store: Store, filters: q.ContractFilters, sort: str) -> Iterator[bytes]:
    # The export owns its cursor: the request's cursor is closed before streaming starts.
    with store.cursor() as con:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([name for name, _ in q.EXPORT_COLUMNS])
        for batch in q.export_batches(con, filters, sort=sort):
            for row in batch:
                writer.writerow([_csv_value(v) for v in row])
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue().encode("utf-8")


def csv_response(store: Store, filters: q.ContractFilters, sort: str) -> StreamingResponse:
    return StreamingResponse(
        csv_lines(store, filters, sort),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename("csv")}"'},
    )


def write_workbook(store: Store, filters: q.ContractFilters, sort: str, path: str) -> int:
    """Write the filtered contracts to an XLSX file at `path`; returns the number of contracts."""
    with store.cursor() as con:
        total = q.count(con, filters)
        if total["contrats"] > XLSX_MAX_ROWS:
            raise BadRequest(
                f"{total['contrats']:,} contrats dépassent la limite d'un classeur Excel "
                f"({XLSX_MAX_ROWS:,} lignes) : ajoutez des filtres ou utilisez l'export CSV.".replace(
                    ",", "\u202f"
                )
            )
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_urls": False})
        try:
            bold = workbook.add_format({"bold": True})
            date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
            amount_format = workbook.add_format({"num_format": "#,##0.00"})
            sheet = workbook.add_worksheet("contrats")
            names = [name for name, _ in q.EXPORT_COLUMNS]
            sheet.write_row(0, 0, names, bold)
            formats = {
                i: date_format
                if name.startswith("date")
                else amount_format
                if name.startswith("montant")
                else None
                for i, name in enumerate(names)
            }
            r = 1
            for batch in q.export_batches(con, filters, sort=sort):
                for row in batch:
                    for c, value in enumerate(row):
                        if value is None:
                            continue
                        cell_format = formats[c]
                        if isinstance(value, dt.date):
                            sheet.write_datetime(
                                r, c, dt.datetime(value.year, value.month, value.day), cell_format
                            )
                        elif isinstance(value, bool):
                            sheet.write_boolean(r, c, value)
                        elif cell_format is not None:
                            sheet.write(r, c, value, cell_format)
                        else:
                            sheet.write(r, c, value)
                    r += 1
            about = workbook.add_worksheet("à propos")
            lines: list[tuple[str, str]] = [
                ("Export", f"Leviers {__version__}, le {dt.datetime.now():%d/%m/%Y à %H:%M}"),
                ("Nombre de contrats", str(total["contrats"])),
                ("Dont synthétiques", str(total["contrats_synthetiques"])),
                ("Filtres", "; ".join(f"{k} = {v}" for k, v in filters.to_dict().items()) or "aucun"),
                ("Tri", q.SORTS[sort][0]),
                ("Source", "Données essentielles de la commande publique (DECP)"),
                ("Licence des données", "Licence Ouverte / Open Licence 2.0 (Etalab)"),
                ("Montants", "euros hors taxes ; montant initial notifié (montant_initial_ht)"),
                ("Valeurs inconnues", "cellules vides : inconnu n'est jamais 0 ni « non »"),
            ]
            lines += [
                (f"Définition : {DEFINITIONS[k].label}", DEFINITIONS[k].rule)
                for k in ("contrats", "montant", "connu")
            ]
            about.set_column(0, 0, 28)
            about.set_column(1, 1, 120)
            for i, (label, text) in enumerate(lines):
                about.write(i, 0, label, bold)
                about.write(i, 1, text)
        finally:
            workbook.close()
    return int(total["contrats"])


def xlsx_response(store: Store, filters: q.ContractFilters, sort: str) -> FileResponse:
    handle, path = tempfile.mkstemp(prefix="leviers-export-", suffix=".xlsx")
    os.close(handle)
    try:
        write_workbook(store, filters, sort, path)
    except BaseException:
        os.unlink(path)
        raise
    return FileResponse(
        path,
        media_type=XLSX_MEDIA,
        filename=_filename("xlsx"),
        background=BackgroundTask(os.unlink, path),
    )
