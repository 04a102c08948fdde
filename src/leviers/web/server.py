"""Run the dashboard with uvicorn: one call builds the app on a warehouse and serves it.

The listening socket is bound by Leviers before anything else (`bind`), so a port already in use
is a French error before any address is printed and before the serving copy is prepared; the
address is announced (`on_ready`) only once the server answers: after uvicorn's start-up in one
process, after every worker's with several.
"""

from __future__ import annotations

import errno
import importlib.util
import ipaddress
import logging
import socket
import time
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors.multiprocess import Multiprocess

from leviers.errors import LeviersError
from leviers.progress import Progress
from leviers.web.app import create_app
from leviers.web.settings import WebSettings


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def address_of(host: str, port: int) -> str:
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}"


def is_loopback(host: str) -> bool:
    """Whether `host` serves this machine only (127.0.0.1, ::1, localhost): the dashboard is then
    local, and debugging aids such as `?_trace=1` are offered."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str = "127.0.0.1", port: int = 8000) -> socket.socket:
    """The listening socket (not yet listening: connections are refused until the server runs);
    LeviersError in French when the address cannot be taken."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise LeviersError(
            f"adresse d'écoute « {host} » inconnue ({exc.strerror}) : essayez --host 127.0.0.1"
        ) from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    # As uvicorn does: a port left in TIME_WAIT by a server just stopped can be taken again; one
    # with a listener still fails (EADDRINUSE).
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise LeviersError(_bind_error(host, port, exc)) from exc
    sock.set_inheritable(True)  # worker processes serve on it
    return sock


def _bind_error(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"le port {port} est déjà utilisé sur {host} (un autre serveur, ou un `leviers serve` déjà "
            f"lancé ?) : arrêtez-le, ou choisissez un autre port avec --port (par exemple --port {_other(port)})."
        )
    if exc.errno == errno.EACCES:
        return (
            f"le port {port} est réservé à l'administrateur sur cette machine : choisissez un port "
            "au-dessus de 1023 avec --port (par exemple --port 8000)."
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"l'adresse {host} n'appartient pas à cette machine : essayez --host 127.0.0.1."
    return f"impossible d'écouter sur {host}:{port} : {exc.strerror or exc}."


def _other(port: int) -> int:
    return 8080 if port != 8080 else 8081


class _Server(uvicorn.Server):
    """uvicorn's server, announcing itself once it listens and its application has started."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and not self.should_exit and self._on_started is not None:
            self._on_started()


def run(
    app: FastAPI,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    on_ready: Callable[[str], None] | None = None,
    access_log: bool = False,
    sock: socket.socket | None = None,
) -> None:
    """Serve `app` until interrupted (Ctrl+C), calling `on_ready(address)` once it answers.
    `sock`: the socket from `bind()` (bound here when not given)."""
    logging.getLogger("leviers.web").setLevel(logging.INFO)
    sock = sock or bind(host, port)
    address = address_of(host, sock.getsockname()[1])
    config = uvicorn.Config(app, host=host, port=port, **_uvicorn_options(access_log))
    server = _Server(config, None if on_ready is None else lambda: on_ready(address))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def _uvicorn_options(access_log: bool) -> dict[str, Any]:
    """What one process and several processes are served with alike."""
    return {
        "access_log": access_log,
        "log_level": "info" if access_log else "warning",
        "server_header": False,
        "loop": "uvloop" if _has("uvloop") else "asyncio",
        "http": "httptools" if _has("httptools") else "h11",
        "timeout_graceful_shutdown": 5,
    }


def prepare_processes(settings: WebSettings, processes: int, progress: Progress | None = None) -> WebSettings:
    """Prepare (or check) the serving copy once, before worker processes open it; returns the
    settings of each worker (memory and rate limit split between them)."""
    from leviers.warehouse import check_warehouse
    from leviers.web import workers
    from leviers.web.store import Store

    shared = workers.per_process(settings, processes)
    # The workers check the file again (a known-good file costs a look at its size and dates).
    check_warehouse(settings.db_path, progress)
    # The build runs alone, before any worker starts: it has the whole budget, not one share.
    Store(
        settings.db_path,
        directory=settings.cache_dir,
        memory_limit=settings.memory_limit,
        progress=progress,
        isolated_build=settings.isolated_build,
    ).close()
    return shared


class _Workers(Multiprocess):
    """uvicorn's supervisor of worker processes, announcing the address once every worker serves."""

    def __init__(
        self, config: uvicorn.Config, sockets: list[socket.socket], on_ready: Callable[[], None]
    ) -> None:
        super().__init__(config, sockets=sockets)
        self._on_ready = on_ready

    def init_processes(self) -> None:
        super().init_processes()
        # The workers answer a health check through a pipe with whether their server has started;
        # the supervisor's own loop, which uses the same pipes, starts after this returns.
        while not self.signal_queue and not self.should_exit.is_set():
            if any(not process.process.is_alive() for process in self.processes):
                return  # the loop restarts it or stops on its start-up failure
            if all(process.is_ready(timeout=1) for process in self.processes):
                self._on_ready()
                return
            time.sleep(0.1)


def run_processes(
    shared: WebSettings,
    processes: int,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    on_ready: Callable[[str], None] | None = None,
    access_log: bool = False,
    sock: socket.socket | None = None,
) -> None:
    """Serve with `processes` worker processes sharing the port (see leviers.web.workers)."""
    from leviers.web import workers

    workers.export(shared)
    sock = sock or bind(host, port)
    address = address_of(host, sock.getsockname()[1])
    config = uvicorn.Config(
        "leviers.web.workers:from_environment",
        factory=True,
        host=host,
        port=port,
        workers=processes,
        **_uvicorn_options(access_log),
    )
    try:
        _Workers(config, [sock], lambda: on_ready(address) if on_ready is not None else None).run()
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()


def serve(
    settings: WebSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    progress: Progress | None = None,
    on_ready: Callable[[str], None] | None = None,
    access_log: bool = False,
) -> None:
    """Take the port, build the application (preparing the serving copy if needed) and serve it.

    Raises LeviersError (French message) when the port or the warehouse cannot be used."""
    sock = bind(host, port)
    try:
        app = create_app(settings, progress=progress)
    except BaseException:
        sock.close()
        raise
    run(app, host=host, port=port, on_ready=on_ready, access_log=access_log, sock=sock)
