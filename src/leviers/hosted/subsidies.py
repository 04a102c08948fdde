"""Hosted mode: a collectivité workspace's subsidy files (SCDL « subventions ») in PostgreSQL.

A file is read and checked by the very same ingest as `leviers ingest` of subsidies (the readers of
leviers.subsidies: CSV and workbooks of every SCDL version, the pre-decree layouts and lists,
cleaning, quarantine with French reasons, reconciled counts), run into a throwaway DuckDB warehouse
in a temporary folder, with the workspace's SIREN as the grantor of files that do not name one. Its
attribution lines are then copied into `subsidy_lines` of the current workspace, in the transaction
of the workspace session that also records the upload and its audit line. A line already loaded
from another file of the workspace is a duplicate (same natural key, as in the warehouse), so the
counts still reconcile: records = loaded + quarantined + duplicates. The same file twice is loaded
once. A file of another kind (contracts, SIRENE…) is refused before anything is loaded.

Every method runs inside `tenancy.workspace_session`: row-level security keeps it to the workspace.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import psycopg
from psycopg.types.json import Jsonb

from leviers.errors import InputRefused
from leviers.hosted import audit
from leviers.ingestion import files, registry
from leviers.ingestion.load import FileOutcome, ingest_paths
from leviers.ingestion.report import FileReport
from leviers.warehouse import open_warehouse

DATASET = "subventions"
MAX_REASONS = 100  # quarantine reasons kept per file (the count says how many in all)
COPIED = (
    "subsidy_key",
    "attribuant_siren",
    "nom_attribuant",
    "annee",
    "date_convention",
    "reference_decision",
    "nom_beneficiaire",
    "beneficiaire_siren",
    "rna_beneficiaire",
    "objet",
    "montant",
    "montant_beneficiaire",
    "nature",
    "dispositif_aide",
)


def _digest(path: Path) -> bytes:
    found = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            found.update(chunk)
    return found.digest()


def _check_kind(path: Path, display: str) -> None:
    """Refuse, before loading anything, a file that is not a subsidy file (or an archive)."""
    sample = files.sample(path)
    files.refuse_obvious(sample)
    if files.is_archive(sample):
        raise InputRefused(display, "archive refusée ici : déposez les fichiers de subventions un par un")
    found = registry.detect(sample)
    if found is None:
        raise InputRefused(
            display,
            "format non reconnu : un fichier de subventions au format SCDL (CSV, XLSX, ODS) est attendu",
        )
    if found.dataset != DATASET:
        raise InputRefused(
            display, f"ce fichier est lu comme « {found.label} », pas comme un fichier de subventions (SCDL)"
        )


class SubsidyStore:
    """The current workspace's subsidy files (inside `tenancy.workspace_session` on `conn`)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def ingest(self, path: Path, *, attribuant: str | None = None) -> FileOutcome:
        """Load one file; InputRefused (French) when it is not a subsidy file."""
        path = Path(path)
        _check_kind(path, str(path.resolve()))
        digest = _digest(path)
        known = self.conn.execute(
            "SELECT format, records, quarantined FROM subsidy_uploads WHERE sha256 = %s", [digest]
        ).fetchone()
        if known is not None:
            report = FileReport(path.name, digest.hex(), known[0], known[1], 0, known[2], known[1] - known[2])
            return FileOutcome(str(path), [replace(report, status="deja_charge")])
        with tempfile.TemporaryDirectory(prefix="leviers-subventions-") as folder:
            con = open_warehouse(Path(folder) / "depot.duckdb")
            try:
                outcome = ingest_paths(con, [path], attribuant=attribuant)[0]
                outcome.reports = [self._copy(con, r, path.name, digest) for r in outcome.reports]
            finally:
                con.close()
        return outcome

    @staticmethod
    def _notes(notes: list[str]) -> list[str]:
        """The format's notes in the workspace's words: the grantor comes from the workspace's SIREN,
        not from a command-line option (and that it went unused says nothing to the member)."""
        return [
            n.replace("l'option --attribuant", "le SIREN de l'espace")
            for n in notes
            if not n.startswith("--attribuant inutilisé")
        ]

    def _copy(
        self, con: duckdb.DuckDBPyConnection, report: FileReport, name: str, digest: bytes
    ) -> FileReport:
        """The file's lines into the workspace, its upload row and its audit line."""
        report = replace(report, notes=self._notes(report.notes))
        reasons = [
            r[0]
            for r in con.execute(
                "SELECT reason FROM quarantine WHERE ingestion_id = ? ORDER BY record_index, reason LIMIT ?",
                [report.ingestion_id, MAX_REASONS],
            ).fetchall()
        ]
        warnings = con.execute(
            "SELECT count(*) FROM record_warnings WHERE ingestion_id = ?", [report.ingestion_id]
        ).fetchone()
        row = self.conn.execute(
            "INSERT INTO subsidy_uploads (workspace_id, account_id, file_name, sha256, format, records, loaded, "
            "quarantined, duplicates, warnings, reasons, notes) VALUES (leviers_workspace(), leviers_account(), "
            "%s, %s, %s, %s, 0, %s, 0, %s, %s, %s) RETURNING id",
            [
                name[:200],
                digest,
                report.format,
                report.records,
                report.quarantined,
                int(warnings[0]) if warnings else 0,
                Jsonb(reasons),
                Jsonb(report.notes),
            ],
        ).fetchone()
        assert row is not None
        upload = int(row[0])
        columns = ", ".join(COPIED)
        self.conn.execute(
            "CREATE TEMP TABLE sub_stage (subsidy_key text, attribuant_siren text, nom_attribuant text, "
            "annee integer, date_convention date, reference_decision text, nom_beneficiaire text, "
            "beneficiaire_siren text, rna_beneficiaire text, objet text, montant numeric, "
            "montant_beneficiaire numeric, nature text, dispositif_aide text) ON COMMIT DROP"
        )
        # The lines this file brought or met (the same line twice in the file is stored once).
        lines = con.execute(
            f"SELECT DISTINCT {', '.join('s.' + c for c in COPIED)} FROM subsidy_sources AS ss "
            "JOIN subsidies AS s USING (subsidy_key) WHERE ss.ingestion_id = ?",
            [report.ingestion_id],
        )
        with self.conn.cursor().copy(f"COPY sub_stage ({columns}) FROM STDIN") as copy:
            while batch := lines.fetchmany(10_000):
                for line in batch:
                    copy.write_row(line)
        loaded = self.conn.execute(
            f"INSERT INTO subsidy_lines (workspace_id, upload_id, {columns}) "
            f"SELECT leviers_workspace(), %s, {columns} FROM sub_stage ON CONFLICT DO NOTHING",
            [upload],
        ).rowcount
        self.conn.execute("DROP TABLE sub_stage")
        duplicates = report.records - report.quarantined - loaded
        self.conn.execute(
            "UPDATE subsidy_uploads SET loaded = %s, duplicates = %s WHERE id = %s",
            [loaded, duplicates, upload],
        )
        audit.record(
            self.conn,
            "depot_fichier",
            {
                "fichier": "subventions",
                "depot": upload,
                "lignes": report.records,
                "chargees": loaded,
                "ecartees": report.quarantined,
            },
        )
        return replace(report, loaded=loaded, duplicates=duplicates, ingestion_id=upload)

    def uploads(self) -> list[dict[str, Any]]:
        """The workspace's subsidy files, newest first, with their counts and first reasons."""
        return self._uploads("", [])

    def upload(self, upload_id: int) -> dict[str, Any] | None:
        """One subsidy file of the workspace (None when it has none of that id), with its years."""
        found = self._uploads("WHERE u.id = %s", [upload_id])
        if not found:
            return None
        years = self.conn.execute(
            "SELECT DISTINCT annee FROM subsidy_lines WHERE upload_id = %s AND annee IS NOT NULL ORDER BY annee",
            [upload_id],
        ).fetchall()
        return {**found[0], "years": [int(r[0]) for r in years]}

    def _uploads(self, where: str, params: list[Any]) -> list[dict[str, Any]]:
        cur = self.conn.execute(
            "SELECT u.id, u.file_name, u.format, u.records, u.loaded, u.quarantined, u.duplicates, u.warnings, "
            "u.reasons, u.notes, u.at, a.email FROM subsidy_uploads AS u LEFT JOIN accounts AS a "
            f"ON a.id = u.account_id {where} ORDER BY u.at DESC, u.id DESC",
            params,
        )
        names = [d.name for d in cur.description or []]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def by_year(self) -> list[dict[str, Any]]:
        """Per year of the workspace's subsidy lines: lines, distinct beneficiaries (by SIREN, RNA
        number or name), the sum of the amounts per beneficiary and how many lines lack one."""
        cur = self.conn.execute(
            "SELECT annee, count(*) AS lignes, "
            "count(DISTINCT coalesce(beneficiaire_siren, rna_beneficiaire, lower(nom_beneficiaire))) AS beneficiaires, "
            "sum(montant_beneficiaire) AS montant, count(*) FILTER (WHERE montant_beneficiaire IS NULL) AS sans_montant "
            "FROM subsidy_lines GROUP BY annee ORDER BY annee NULLS LAST"
        )
        names = [d.name for d in cur.description or []]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def years(self) -> list[int]:
        """The years of the workspace's subsidy lines, in order."""
        rows = self.conn.execute(
            "SELECT DISTINCT annee FROM subsidy_lines WHERE annee IS NOT NULL ORDER BY annee"
        ).fetchall()
        return [int(r[0]) for r in rows]

    def lines(self, year: int) -> list[dict[str, Any]]:
        """The workspace's subsidy lines of `year` (every grantor), with the columns the SPASER
        report's section reads (leviers.spaser.subsidies.LINE_SCHEMA): never shown as such."""
        cur = self.conn.execute(
            "SELECT annee, attribuant_siren, nom_beneficiaire, beneficiaire_siren, rna_beneficiaire, "
            "montant_beneficiaire FROM subsidy_lines WHERE annee = %s ORDER BY subsidy_key",
            [year],
        )
        names = [d.name for d in cur.description or []]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def delete_upload(self, upload_id: int) -> dict[str, Any] | None:
        """Delete one subsidy file: its lines, its quarantine reasons (on its row) and its row, logged
        `suppression`, in the caller's workspace session. None when the workspace has no such file."""
        if (
            self.conn.execute(
                "SELECT id FROM subsidy_uploads WHERE id = %s FOR UPDATE", [upload_id]
            ).fetchone()
            is None
        ):
            return None
        lines = self.conn.execute("DELETE FROM subsidy_lines WHERE upload_id = %s", [upload_id]).rowcount
        gone = self.conn.execute(
            "DELETE FROM subsidy_uploads WHERE id = %s RETURNING file_name, records, quarantined", [upload_id]
        ).fetchone()
        assert gone is not None
        audit.record(
            self.conn,
            "suppression",
            {
                "fichier": "subventions",
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
