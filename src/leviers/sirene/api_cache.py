"""The answers of the Recherche d'entreprises API kept on disk, with their date.

One SQLite file (`reponses.sqlite3`) in the cache folder: one row per (API address, SIREN) with
the payload as received and when it was received. A run reuses the answers younger than its
threshold instead of asking again, so an interrupted run resumes without re-asking what it got,
and an answer from a test server never stands for the public API. Each `put` is one SQLite
transaction: a crash loses at most the answers not yet put.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

from leviers.errors import LeviersError
from leviers.paths import cache_dir
from leviers.sirene.api import Answer, parse_payload

FILE_NAME = "reponses.sqlite3"
READ_CHUNK = 500


def default_cache_dir() -> Path:
    return cache_dir() / "recherche-entreprises"


class CacheError(LeviersError):
    """The cache folder or file cannot be used."""


class AnswerCache:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_cache_dir()
        self.path = self.folder / FILE_NAME
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=True)
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute(
                """CREATE TABLE IF NOT EXISTS answers (
                    source   TEXT NOT NULL,  -- base URL of the API
                    siren    TEXT NOT NULL,
                    asked_at REAL NOT NULL,  -- Unix time of the answer
                    found    INTEGER NOT NULL,
                    body     BLOB NOT NULL,  -- the payload as received
                    PRIMARY KEY (source, siren)
                ) WITHOUT ROWID"""
            )
        except OSError as exc:
            raise CacheError(
                f"dossier de cache {self.folder} inaccessible ({exc.strerror or exc}) : "
                "donnez-en un autre avec --cache"
            ) from exc
        except sqlite3.Error as exc:
            raise CacheError(
                f"cache {self.path} illisible ({exc}) : supprimez ce fichier (les réponses seront "
                "redemandées) ou donnez un autre dossier avec --cache"
            ) from exc

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> AnswerCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fresh(self, source: str, sirens: Collection[str], since: float) -> set[str]:
        """Which of `sirens` have an answer received at `since` (Unix time) or later."""
        wanted = sirens if isinstance(sirens, set | frozenset) else set(sirens)
        if not wanted:
            return set()
        try:
            rows = self._db.execute(
                "SELECT siren FROM answers WHERE source = ? AND asked_at >= ?", (source, since)
            ).fetchall()
        except sqlite3.Error as exc:
            raise CacheError(f"cache {self.path} illisible ({exc}) : supprimez ce fichier") from exc
        return {siren for (siren,) in rows if siren in wanted}

    def read(self, source: str, sirens: Sequence[str], since: float) -> Iterator[Answer]:
        """The answers about `sirens` received at `since` or later, a few hundred at a time (memory
        stays bounded); a damaged entry is left out, so that its SIREN is asked again."""
        for start in range(0, len(sirens), READ_CHUNK):
            chunk = sirens[start : start + READ_CHUNK]
            try:
                rows = self._db.execute(
                    "SELECT siren, asked_at, body FROM answers WHERE source = ? AND asked_at >= ? "
                    f"AND siren IN ({', '.join('?' for _ in chunk)})",
                    (source, since, *chunk),
                ).fetchall()
            except sqlite3.Error as exc:
                raise CacheError(f"cache {self.path} illisible ({exc}) : supprimez ce fichier") from exc
            for siren, asked_at, body in rows:
                try:
                    result = parse_payload(siren, body)
                except Exception:
                    continue
                yield Answer(siren, result, bytes(body), float(asked_at))

    def put(self, source: str, answers: Sequence[Answer]) -> None:
        if not answers:
            return
        try:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?)",
                [(source, a.siren, a.asked_at, int(a.found), a.body) for a in answers],
            )
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise CacheError(
                f"impossible d'écrire dans le cache {self.path} ({exc}) : disque plein ? "
                "Donnez un autre dossier avec --cache"
            ) from exc

    def count(self, source: str) -> int:
        row = self._db.execute("SELECT count(*) FROM answers WHERE source = ?", (source,)).fetchone()
        return int(row[0]) if row else 0
