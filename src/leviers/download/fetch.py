"""Resumable, checksummed HTTP download of one file.

The bytes go to `<dest>.part`; a small `<dest>.part.json` remembers the URL, the server's
validator (ETag or Last-Modified) and the announced checksum, so that a later call resumes
with an HTTP Range request only if it is the same file. When the last byte is in, the
checksum is verified and the part is renamed atomically to `dest`: `dest` never holds a
partial or unverified file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from leviers import __version__
from leviers.download.checksum import Checksum
from leviers.download.errors import ChecksumMismatch, DiskError, DownloadError
from leviers.progress import NoProgress, Progress

CHUNK_SIZE = 1 << 20
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")
_UNSATISFIED_RANGE = re.compile(r"bytes\s+\*/(\d+)")


@dataclass(frozen=True)
class DownloadResult:
    path: Path  # the verified file
    url: str
    size: int  # bytes
    checksum: Checksum | None  # as announced by the publisher (None: nothing to verify)
    verified: bool  # the announced checksum was checked and matched
    resumed_from: int  # bytes already on disk when this call started (0: fresh download)
    attempts: int  # HTTP requests made for the body (retries included)
    skipped: bool  # `dest` was already there with the announced checksum: nothing downloaded

    def as_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "url": self.url,
            "size": self.size,
            "checksum_type": self.checksum.type if self.checksum else None,
            "checksum": self.checksum.value if self.checksum else None,
            "verified": self.verified,
            "resumed_from": self.resumed_from,
            "attempts": self.attempts,
            "skipped": self.skipped,
        }


class _Interrupted(Exception):
    """A transient failure after which the download can resume (network cut, 5xx, 429…)."""

    def __init__(self, message: str, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait  # seconds the server asked to wait (Retry-After), None when it said nothing


# A server asking to wait longer than this is not waited for: the error says to run the command later.
MAX_RETRY_AFTER = 120.0


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header given in seconds (HTTP dates are not honoured: None)."""
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())


def _human(n: float) -> str:
    for unit in ("o", "Ko", "Mo", "Go"):
        if n < 1024 or unit == "Go":
            return f"{n:.1f} {unit}".replace(".", ",")
        n /= 1024
    return f"{n} o"


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _file_digest(path: Path, checksum: Checksum) -> str:
    hasher = checksum.new_hasher()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK_SIZE * 4):
            hasher.update(block)
    return hasher.hexdigest()


def _remove(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _http_error(url: str, status: int) -> DownloadError:
    if status in (404, 410):
        return DownloadError(
            f"{url} : fichier introuvable (HTTP {status}) — vérifiez l'identifiant ou l'adresse."
        )
    if status in (401, 403):
        return DownloadError(f"{url} : accès refusé par le serveur (HTTP {status}).")
    return DownloadError(f"{url} : le serveur a répondu HTTP {status}.")


def download_file(
    url: str,
    dest: Path,
    *,
    checksum: Checksum | None = None,
    size: int | None = None,
    progress: Progress | None = None,
    client: httpx.Client | None = None,
    retries: int = 3,
    retry_wait: float = 1.0,
    timeout: float = 60.0,
    description: str | None = None,
    max_size: int | None = None,
) -> DownloadResult:
    """Download `url` to `dest`, resuming a previous `.part`, verifying `checksum` if given.

    `size` (bytes), when announced, is used for the progress bar and the free-space check.
    Transient failures (connection cut, timeout, HTTP 5xx, HTTP 429 after its Retry-After) are
    retried `retries` times, each time resuming where the file stopped; after that a DownloadError
    says to run the command again, which resumes. A checksum mismatch deletes the partial file.
    `max_size` (bytes) bounds the file: a larger announced or received size stops the download
    and deletes the partial file.
    """
    progress = progress or NoProgress()
    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    sidecar = dest.with_name(dest.name + ".part.json")
    if max_size is not None and size is not None and size > max_size:
        raise DownloadError(
            f"{url} : {_human(size)} annoncés, au-delà de la limite de {_human(max_size)} — fichier non téléchargé."
        )
    if checksum is not None and not Checksum.supported(checksum.type):
        checksum = None  # an unknown algorithm cannot be verified; say so through `verified`
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DiskError(f"impossible de créer le dossier {dest.parent} : {exc.strerror or exc}") from exc

    if checksum is not None and dest.exists() and checksum.matches(_file_digest(dest, checksum)):
        return DownloadResult(dest, url, dest.stat().st_size, checksum, True, 0, 0, True)

    state: dict[str, object] = {"url": url, "checksum": [checksum.type, checksum.value] if checksum else None}
    previous = _read_sidecar(sidecar)
    if part.exists() and (previous is None or {k: previous.get(k) for k in state} != state):
        _remove(part, sidecar)  # a part of another file (or of an older version): start over
        previous = None
    resumed_from = part.stat().st_size if part.exists() else 0

    own_client = client is None
    http = client or httpx.Client(
        timeout=timeout, follow_redirects=True, headers={"User-Agent": f"leviers/{__version__}"}
    )
    label = description or f"Téléchargement de {dest.name}"
    progress.start(label, total=size)
    progress.advance(resumed_from)
    attempts = 0
    try:
        while True:
            attempts += 1
            try:
                _fetch_once(http, url, part, sidecar, state, size, progress, label, max_size)
                break
            except _Interrupted as exc:
                if exc.wait is not None and exc.wait > MAX_RETRY_AFTER:
                    raise DownloadError(
                        f"{url} : le serveur demande d'attendre {exc.wait:.0f} s avant de réessayer ({exc}) ; "
                        "relancez la commande plus tard, elle reprendra là où elle s'est arrêtée."
                    ) from None
                if attempts > retries:
                    done = part.stat().st_size if part.exists() else 0
                    raise DownloadError(
                        f"téléchargement de {url} interrompu après {attempts} tentatives ({exc}) ; "
                        f"{_human(done)} sont conservés dans {part} : relancez la même commande "
                        "pour reprendre là où il s'est arrêté."
                    ) from None
                time.sleep(exc.wait if exc.wait is not None else retry_wait * attempts)
    finally:
        if own_client:
            http.close()
        progress.finish()

    final_size = part.stat().st_size
    if size is not None and final_size != size:
        _remove(part, sidecar)
        raise DownloadError(
            f"{url} : {final_size} octets reçus, {size} annoncés — fichier partiel supprimé, relancez la commande."
        )
    verified = False
    if checksum is not None:
        digest = _file_digest(part, checksum)
        if not checksum.matches(digest):
            _remove(part, sidecar)
            raise ChecksumMismatch(
                f"{dest.name} : l'empreinte {checksum.type} du fichier reçu ({digest}) ne correspond pas à celle "
                f"annoncée par la source ({checksum.value}) ; le fichier a été supprimé. Relancez le "
                "téléchargement (la source a peut-être été mise à jour entre-temps)."
            )
        verified = True
    try:
        os.replace(part, dest)
    except OSError as exc:
        raise DiskError(f"impossible de renommer {part} en {dest} : {exc.strerror or exc}") from exc
    _remove(sidecar)
    return DownloadResult(dest, url, final_size, checksum, verified, resumed_from, attempts, False)


def _read_sidecar(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_sidecar(path: Path, state: dict[str, object], validator: str | None) -> None:
    try:
        path.write_text(json.dumps({**state, "validator": validator}), encoding="utf-8")
    except OSError as exc:
        raise DiskError(f"impossible d'écrire {path} : {exc.strerror or exc}") from exc


def _check_space(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise DiskError(
            f"espace disque insuffisant dans {folder} : il faut {_human(needed)}, {_human(free)} sont libres."
        )


def _fetch_once(
    http: httpx.Client,
    url: str,
    part: Path,
    sidecar: Path,
    state: dict[str, object],
    size: int | None,
    progress: Progress,
    label: str,
    max_size: int | None = None,
) -> None:
    """One GET of the missing bytes into `part`. Raises _Interrupted when it may be retried."""
    offset = part.stat().st_size if part.exists() else 0
    if size is not None and offset == size and offset > 0:
        return
    # The validator of the response that wrote the part, kept in the sidecar: If-Range makes the
    # server send the whole file again if it changed since.
    validator = (_read_sidecar(sidecar) or {}).get("validator") if offset > 0 else None
    # Identity encoding: Range offsets must count the file's own bytes, not compressed ones.
    headers: dict[str, str] = {"Accept-Encoding": "identity"}
    if offset > 0:
        headers["Range"] = f"bytes={offset}-"
        if isinstance(validator, str):
            headers["If-Range"] = validator
    try:
        with http.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status == 416 and offset > 0:
                match = _UNSATISFIED_RANGE.match(response.headers.get("Content-Range", ""))
                if match and int(match.group(1)) == offset:
                    return  # the part is already complete
                part.unlink(missing_ok=True)
                raise _Interrupted("plage refusée par le serveur, reprise depuis le début")
            if status >= 500 or status == 429:
                raise _Interrupted(f"HTTP {status}", retry_after(response.headers.get("Retry-After")))
            if status >= 400:
                raise _http_error(url, status)
            new_validator = response.headers.get("ETag") or response.headers.get("Last-Modified")
            total: int | None = None
            if status == 206:
                match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
                if match is None or int(match.group(1)) != offset:
                    part.unlink(missing_ok=True)
                    raise _Interrupted("réponse partielle inattendue, reprise depuis le début")
                if match.group(3) != "*":
                    total = int(match.group(3))
                mode = "ab"
            else:
                if offset > 0:  # the server ignored the Range (or the file changed): restart
                    offset = 0
                    progress.start(label, total=size)
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                mode = "wb"
            if total is not None and size is not None and total != size:
                raise DownloadError(
                    f"{url} : le serveur annonce {total} octets mais la source en annonçait {size} ; "
                    "la ressource a sans doute changé, relancez la commande."
                )
            if max_size is not None and total is not None and total > max_size:
                _remove(part, sidecar)
                raise DownloadError(
                    f"{url} : {_human(total)} annoncés par le serveur, au-delà de la limite de "
                    f"{_human(max_size)} — fichier non téléchargé."
                )
            _write_sidecar(sidecar, state, new_validator)
            if total is not None:
                _check_space(part.parent, total - offset)
            written = offset
            try:
                with part.open(mode) as fh:
                    # No re-chunking: every network read is written at once, so a cut loses nothing.
                    for chunk in response.iter_raw():
                        fh.write(chunk)
                        progress.advance(len(chunk))
                        written += len(chunk)
                        if max_size is not None and written > max_size:
                            break
            except OSError as exc:
                raise DiskError(f"écriture impossible dans {part} : {exc.strerror or exc}") from exc
            if max_size is not None and written > max_size:
                _remove(part, sidecar)
                raise DownloadError(
                    f"{url} : plus de {_human(max_size)} reçus, au-delà de la limite — fichier partiel supprimé."
                )
            if total is not None and part.stat().st_size < total:
                raise _Interrupted("connexion fermée avant la fin du fichier")
    except httpx.ConnectError as exc:
        raise _Interrupted(f"impossible de joindre {_host(url)} : {exc}") from exc
    except httpx.TransportError as exc:
        raise _Interrupted(f"{type(exc).__name__} : {exc}") from exc
