"""A private PostgreSQL cluster in a folder, for trying hosted mode and for the tests.

Debian's server binaries (package `postgresql`), started with no TCP listener: the only way in is
the Unix socket inside the folder (mode 0700), so trust authentication there reaches no one else.
It gets an ordinary role `leviers` owning a database `leviers`: the role Leviers must use (no
superuser, no BYPASSRLS, leviers.hosted.database.check_role). Run as root, the server runs as the
`postgres` system user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg

from leviers.hosted.errors import HostedStoreError

PORT = 5432  # names the socket file only: there is no TCP listener
ROLE = "leviers"
DATABASE = "leviers"


def server_binaries() -> Path | None:
    """The folder of initdb and pg_ctl: on PATH, else Debian's newest /usr/lib/postgresql/N/bin."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "pg_ctl").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return versions[-1] if versions else None


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


@dataclass
class LocalCluster:
    folder: Path

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def socket_dir(self) -> Path:
        return self.folder / "socket"

    def dsn(self, database: str = DATABASE, role: str = ROLE) -> str:
        return f"postgresql://{role}@/{database}?host={quote(str(self.socket_dir), safe='/')}&port={PORT}"

    def _run(self, argv: list[str]) -> None:
        done = subprocess.run(_as_server_user(argv), capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise HostedStoreError(
                f"PostgreSQL local : {Path(argv[0]).name} {argv[1]} a échoué : {(done.stderr or done.stdout).strip()[-500:]}"
            )

    def is_running(self) -> bool:
        binaries = server_binaries()
        if binaries is None or not (self.data / "postmaster.pid").exists():
            return False
        argv = _as_server_user([str(binaries / "pg_ctl"), "status", "-D", str(self.data)])
        return subprocess.run(argv, capture_output=True, check=False).returncode == 0

    def start(self, *, durable: bool = True) -> str:
        """Create the cluster when absent, start it, and return the DSN of the role `leviers`.
        `durable=False` (tests) turns fsync off: faster, but a crash may lose the data."""
        binaries = server_binaries()
        if binaries is None:
            raise HostedStoreError(
                "serveur PostgreSQL introuvable (ni pg_ctl dans le PATH, ni /usr/lib/postgresql/*/bin) : "
                "installez le paquet Debian postgresql."
            )
        fresh = not (self.data / "PG_VERSION").exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(mode=0o700, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            shutil.chown(self.socket_dir, "postgres", "postgres")
        if fresh:
            initdb = [str(binaries / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust"]
            self._run([*initdb, "--encoding=UTF8", "--locale=C.UTF-8"])
        if self.is_running():
            return self.dsn()
        # pg_ctl hands the options to a shell: the folder is quoted.
        options = f"-c listen_addresses='' -k {shlex.quote(str(self.socket_dir))} -p {PORT}" + (
            "" if durable else " -c fsync=off"
        )
        log = str(self.folder / "postgresql.log")
        self._run([str(binaries / "pg_ctl"), "start", "-w", "-D", str(self.data), "-o", options, "-l", log])
        if fresh:
            admin = self.dsn(database="postgres", role="postgres")
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"CREATE ROLE {ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB")
                conn.execute(f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
        return self.dsn()

    def stop(self) -> None:
        binaries = server_binaries()
        if binaries is not None and (self.data / "postmaster.pid").exists():
            self._run([str(binaries / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.data)])
