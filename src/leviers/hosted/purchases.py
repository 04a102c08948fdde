"""Hosted mode's private store: a collectivité workspace's purchase lines in PostgreSQL, behind the
same `PrivateStore` methods as local mode's DuckDB file (leviers.purchases.store), so the SPASER
shares read them unchanged.

A file is read and checked by the very same ingest as `leviers ingest --prive` (readers, cleaning,
quarantine with French reasons, reconciled counts), run into a throwaway DuckDB store in a temporary
folder; its clean lines are then copied into `purchase_lines` of the current workspace, in the
transaction of the workspace session that also records the upload and its audit line. A line already
loaded from another file of the workspace is a duplicate (same key, as in the local store), so the
counts still reconcile: records = loaded + quarantined + duplicates. The same file twice is loaded
once. Every method runs inside `tenancy.workspace_session`: row-level security keeps it to the
workspace whatever the query says.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
from psycopg.types.json import Jsonb

from leviers.hosted import audit
from leviers.ingestion.load import FileOutcome
from leviers.ingestion.report import FileReport
from leviers.progress import Progress
from leviers.purchases.store import GROUPS_SCHEMA, GROUPS_SQL, LINE_COLUMNS, LocalStore

MAX_REASONS = 100  # quarantine reasons kept per file (the count says how many in all)
COPIED = ("purchase_key", "occurrence", *LINE_COLUMNS)


def _digest(path: Path) -> bytes:
    found = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            found.update(chunk)
    return found.digest()


class PostgresStore:
    """The current workspace's purchases (inside `tenancy.workspace_session` on `conn`)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def ingest(
        self,
        paths: Iterable[Path],
        progress: Progress | None = None,
        *,
        acheteur: str | None = None,
        montant: str | None = None,
    ) -> list[FileOutcome]:
        return [self._one(Path(p), progress, acheteur, montant) for p in paths]

    def _one(
        self, path: Path, progress: Progress | None, acheteur: str | None, montant: str | None
    ) -> FileOutcome:
        digest = _digest(path)
        known = self.conn.execute(
            "SELECT records, loaded, quarantined, duplicates FROM purchase_uploads WHERE sha256 = %s",
            [digest],
        ).fetchone()
        if known is not None:
            report = FileReport(path.name, digest.hex(), "achats", known[0], 0, known[2], known[0] - known[2])
            return FileOutcome(str(path), [replace(report, status="deja_charge")])
        with (
            tempfile.TemporaryDirectory(prefix="leviers-depot-") as folder,
            LocalStore(Path(folder) / "prive.duckdb") as local,
        ):
            outcome = local.ingest([path], progress, acheteur=acheteur, montant=montant)[0]
            reports = []
            for report in outcome.reports:
                reports.append(self._copy(local, report, path.name, digest))
        outcome.reports = reports
        return outcome

    def _copy(self, local: LocalStore, report: FileReport, name: str, digest: bytes) -> FileReport:
        """The file's clean lines into the workspace, its upload row and its audit line."""
        reasons = [
            r[0]
            for r in local.con.execute(
                "SELECT reason FROM quarantine WHERE ingestion_id = ? ORDER BY record_index, reason LIMIT ?",
                [report.ingestion_id, MAX_REASONS],
            ).fetchall()
        ]
        warnings = local.con.execute(
            "SELECT count(*) FROM record_warnings WHERE ingestion_id = ?", [report.ingestion_id]
        ).fetchone()
        row = self.conn.execute(
            "INSERT INTO purchase_uploads (workspace_id, account_id, file_name, sha256, records, loaded, "
            "quarantined, duplicates, warnings, reasons, notes) VALUES (leviers_workspace(), leviers_account(), "
            "%s, %s, %s, 0, %s, 0, %s, %s, %s) RETURNING id",
            [
                name[:200],
                digest,
                report.records,
                report.quarantined,
                int(warnings[0]) if warnings else 0,
                Jsonb(reasons),
                Jsonb(report.notes),
            ],
        ).fetchone()
        assert row is not None
        upload = int(row[0])
        self.conn.execute(
            "CREATE TEMP TABLE pur_stage (purchase_key text, occurrence integer, acheteur_siren text, annee integer, "
            "fournisseur_nom text, fournisseur_siren text, departement_code text, montant_ht numeric(18, 2), "
            "montant_ttc numeric(18, 2), categorie text, entite text) ON COMMIT DROP"
        )
        columns = ", ".join(("CAST(purchase_key AS VARCHAR)", *COPIED[1:]))
        lines = local.con.execute(
            f"SELECT {columns} FROM purchase_lines WHERE ingestion_id = ?", [report.ingestion_id]
        )
        with self.conn.cursor().copy(f"COPY pur_stage ({', '.join(COPIED)}) FROM STDIN") as copy:
            while batch := lines.fetchmany(10_000):
                for line in batch:
                    copy.write_row(line)
        loaded = self.conn.execute(
            f"INSERT INTO purchase_lines (workspace_id, upload_id, {', '.join(COPIED)}) "
            f"SELECT leviers_workspace(), %s, {', '.join(COPIED)} FROM pur_stage ON CONFLICT DO NOTHING",
            [upload],
        ).rowcount
        self.conn.execute("DROP TABLE pur_stage")
        duplicates = report.records - report.quarantined - loaded
        self.conn.execute(
            "UPDATE purchase_uploads SET loaded = %s, duplicates = %s WHERE id = %s",
            [loaded, duplicates, upload],
        )
        audit.record(
            self.conn,
            "depot_fichier",
            {"depot": upload, "lignes": report.records, "chargees": loaded, "ecartees": report.quarantined},
        )
        return replace(report, loaded=loaded, duplicates=duplicates, ingestion_id=upload)

    def line_groups(self, siren: str, year: int) -> pa.Table:
        cursor = self.conn.execute(GROUPS_SQL.format(param="%s"), [siren, year])
        return pa.Table.from_pylist(
            [dict(zip(GROUPS_SCHEMA.names, r, strict=True)) for r in cursor.fetchall()], schema=GROUPS_SCHEMA
        )

    def years(self, siren: str) -> list[int]:
        rows = self.conn.execute(
            "SELECT DISTINCT annee FROM purchase_lines WHERE acheteur_siren = %s ORDER BY annee", [siren]
        ).fetchall()
        return [int(r[0]) for r in rows]

    def uploads(self) -> list[dict[str, Any]]:
        """The workspace's deposited files, newest first, with their counts and first reasons."""
        return self._uploads("", [])

    def _uploads(self, where: str, params: list[Any]) -> list[dict[str, Any]]:
        cur = self.conn.execute(
            "SELECT u.id, u.file_name, u.records, u.loaded, u.quarantined, u.duplicates, u.warnings, u.reasons, "
            "u.notes, u.at, a.email FROM purchase_uploads AS u LEFT JOIN accounts AS a ON a.id = u.account_id "
            f"{where} ORDER BY u.at DESC, u.id DESC",
            params,
        )
        names = [d.name for d in cur.description or []]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def upload(self, upload_id: int) -> dict[str, Any] | None:
        """One deposited file of the workspace (None when it has none of that id: row-level security
        hides another workspace's), with the years its lines hold."""
        found = [u for u in self._uploads("WHERE u.id = %s", [upload_id])]
        if not found:
            return None
        years = self.conn.execute(
            "SELECT DISTINCT annee FROM purchase_lines WHERE upload_id = %s ORDER BY annee", [upload_id]
        ).fetchall()
        return {**found[0], "years": [int(r[0]) for r in years]}

    def delete_upload(self, upload_id: int) -> dict[str, Any] | None:
        """Delete one deposited file: its lines, its quarantine reasons (kept on its row) and its row,
        logged `suppression`; all in the caller's workspace session, so one transaction. None when the
        workspace has no such file (nothing is deleted nor logged)."""
        row = self.conn.execute(
            "SELECT id FROM purchase_uploads WHERE id = %s FOR UPDATE", [upload_id]
        ).fetchone()
        if row is None:
            return None
        lines = self.conn.execute("DELETE FROM purchase_lines WHERE upload_id = %s", [upload_id]).rowcount
        gone = self.conn.execute(
            "DELETE FROM purchase_uploads WHERE id = %s RETURNING file_name, records, quarantined",
            [upload_id],
        ).fetchone()
        assert gone is not None
        audit.record(
            self.conn,
            "suppression",
            {
                "depot": upload_id,
                "lignes": int(gone[1]),
                "chargees_supprimees": lines,
                "ecartees": int(gone[2]),
            },
        )
        return {
            "file_name": gone[0],
            "records": int(gone[1]),
            "deleted_lines": lines,
            "quarantined": int(gone[2]),
        }

    def close(self) -> None:
        """Nothing to close: the connection belongs to the workspace session."""
