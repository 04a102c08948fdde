"""Faults of the warehouse told in plain French, with the next step.

DuckDB and the operating system report a full disk, a file locked by another process or a damaged
file in English, in several shapes, and sometimes hidden behind a second error (a failed commit
ends the transaction, so the rollback that follows fails too). `explain()` recognises them along
the exception chain and returns the error to show; `open_warehouse` and every face use it, so a
fault reads the same whichever command met it.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from pathlib import Path

from leviers.errors import DiskFull, WarehouseBusy, WarehouseDamaged, WarehouseError

_DISK_FULL = (
    "no space left on device",
    "disk quota exceeded",
    # DuckDB caps its temporary files at 90 % of the free space of their disk by default.
    "max_temp_directory_size",
)
_DAMAGED = (
    "corrupt database file",
    "not a valid duckdb database file",
    "could not read enough bytes from file",
)
_NEWER_DUCKDB = ("newer version of duckdb", "trying to read a database file with version number")
_LOCK = re.compile(r"could not set lock on file", re.IGNORECASE)
_PID = re.compile(r"\(PID (\d+)\)")
_FILE = re.compile(r'file "([^"]+)"')
_BLOCK = re.compile(r"block at location (\d+)")

# Set once a damaged file was reported in this process: the file is then never recorded as good.
damage_reported = False


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not other for other in seen):
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _text(exc: BaseException) -> str:
    return str(exc)


def explain(exc: BaseException, path: Path | None = None) -> WarehouseError | None:
    """The French error for a fault of the warehouse or its disk found in `exc` or the exceptions
    it chains to; None when `exc` is none of them (a bug, a bad input…). `path`: the warehouse."""
    chain = _chain(exc)
    for item in chain:
        if isinstance(item, WarehouseError):
            return item
    for item in chain:
        text = _text(item)
        lowered = text.lower()
        if (isinstance(item, OSError) and item.errno in (errno.ENOSPC, errno.EDQUOT)) or any(
            marker in lowered for marker in _DISK_FULL
        ):
            return disk_full(_where(item, text, path))
        if _LOCK.search(text):
            return busy(path or _file_in(text), _pid_in(text))
        if any(marker in lowered for marker in _NEWER_DUCKDB):
            return WarehouseError(
                f"l'entrepôt {path or _file_in(text) or ''} a été écrit par une version plus récente "
                "de DuckDB que celle de ce Leviers : mettez Leviers à jour. L'entrepôt n'a pas été modifié."
            )
        if any(marker in lowered for marker in _DAMAGED):
            return damaged(path or _file_in(text), _detail(lowered, text))
    return None


def _file_in(text: str) -> Path | None:
    match = _FILE.search(text)
    return Path(match.group(1)) if match else None


def _pid_in(text: str) -> int | None:
    match = _PID.search(text)
    return int(match.group(1)) if match else None


def _where(item: BaseException, text: str, path: Path | None) -> Path | None:
    if isinstance(item, OSError) and item.filename:
        return Path(os.fsdecode(item.filename))
    return _file_in(text) or path


def _detail(lowered: str, text: str) -> str:
    block = _BLOCK.search(text)
    if block:
        return f"bloc à l'octet {int(block.group(1)):,} illisible : somme de contrôle fausse".replace(
            ",", " "
        )
    if "not a valid duckdb" in lowered:
        return "en-tête illisible : fichier abîmé ou qui n'est pas un entrepôt"
    if "could not read enough bytes" in lowered:
        return "fichier tronqué"
    return "lecture impossible"


def french_size(size: float) -> str:
    """A byte count as people read it: 300 octets, 12,5 Mo, 1,2 Go."""
    for unit, scale in (("Go", 1024**3), ("Mo", 1024**2), ("Ko", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".", ",")
    return f"{int(size)} octets"


def disk_full(where: Path | None = None) -> DiskFull:
    place = ""
    if where is not None:
        directory = where if where.is_dir() else where.parent
        try:
            free = shutil.disk_usage(directory).free
        except OSError:
            place = f" ({directory})"
        else:
            place = f" : il reste {french_size(free)} dans {directory}"
    return DiskFull(
        f"espace disque insuffisant, entrepôt inchangé{place}. Libérez de la place (ou placez "
        "l'entrepôt sur un autre disque avec --db), puis relancez la commande : ce qui était déjà "
        "chargé est conservé et reconnu."
    )


def holder(pid: int) -> str | None:
    """What process `pid` runs, as its user would name it (`leviers serve --port 8000`), read from
    /proc; None where /proc does not tell (another system, another PID namespace, a process gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    argv = [part.decode("utf-8", errors="replace") for part in raw.split(b"\0") if part]
    if not argv:
        return None
    for index, arg in enumerate(argv):
        name = Path(arg).name
        # `leviers …`, `python -m leviers …` or `python …/bin/leviers …`
        if name == "leviers" and (index == 0 or argv[index - 1] == "-m" or "/" in arg):
            command = " ".join(["leviers", *argv[index + 1 :]])
            break
    else:
        command = " ".join([Path(argv[0]).name, *argv[1:]])
    command = " ".join(command.split())  # one line, whatever the arguments hold
    return command if len(command) <= 100 else command[:99] + "…"


def busy(path: Path | None, pid: int | None) -> WarehouseBusy:
    where = f" {path}" if path is not None else ""
    if pid is None:
        who = "un autre processus"
    elif pid == os.getpid():
        who = "ce même processus (une autre connexion)"
    else:
        command = holder(pid)
        who = f"« {command} » (processus {pid})" if command else f"le processus {pid}"
    hint = ""
    if pid is not None and (holder(pid) or "").startswith("leviers serve"):
        hint = " (un serveur `leviers serve` s'arrête par Ctrl+C dans son terminal)"
    return WarehouseBusy(
        f"l'entrepôt{where} est utilisé par {who} : relancez la commande quand il sera terminé{hint}. "
        "L'entrepôt n'a pas été modifié."
    )


def damaged(path: Path | None, detail: str) -> WarehouseDamaged:
    global damage_reported
    damage_reported = True
    where = f" {path}" if path is not None else ""
    return WarehouseDamaged(
        f"l'entrepôt{where} est endommagé ({detail}) ; rien n'y a été écrit. Restaurez une copie de "
        "sauvegarde (vérifiez-la avec `leviers entrepot verifier --db COPIE`), ou recréez l'entrepôt "
        "en rechargeant vos fichiers avec `leviers ingest` dans un nouveau fichier."
    )
