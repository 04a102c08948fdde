"""`leviers serve`: help in French, clear errors (missing warehouse, busy port) before any address,
and the address printed only once the server answers."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leviers", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_help() -> None:
    result = run("serve", "--help")
    assert result.returncode == 0
    assert "tableau de bord" in result.stdout
    assert "--port" in result.stdout
    assert "--limite-requetes" in result.stdout


def test_missing_warehouse_is_one_french_line(tmp_path: Path) -> None:
    result = run("serve", "--db", str(tmp_path / "absent.duckdb"), "--port", "8799")
    assert result.returncode == 1
    assert "entrepôt introuvable" in result.stderr
    assert "Traceback" not in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(db: Path, *args: str, timeout: float = 300) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`leviers serve` in a process of its own; yields its announced address as soon as it is
    printed (the test then talks to it at once: no retry), and stops it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "leviers", "serve", "--db", str(db), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            match = re.search(r"(http://[^\s\"]+)", line)
            if match:
                yield match.group(1), process
                return
        stderr = process.stderr.read() if process.stderr and process.poll() is not None else ""
        raise AssertionError(f"no address announced: {''.join(lines)} {stderr}")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def warehouse(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "leviers.duckdb"
    result = run(
        "ingest",
        "--db",
        str(path),
        str(real_data / "decp/minef-decp-augmente/decp_augmente_2022_extrait.csv"),
    )
    assert result.returncode == 0, result.stderr
    return path


def test_the_address_is_printed_once_the_port_answers(warehouse: Path) -> None:
    with running_server(warehouse, "--port", str(free_port())) as (address, _):
        # At once, without retrying: the line is printed after the server started answering.
        with urllib.request.urlopen(address + "/", timeout=30) as response:
            assert response.status == 200
        head = urllib.request.Request(address + "/sources", method="HEAD")
        with urllib.request.urlopen(head, timeout=30) as response:
            assert response.status == 200
            assert response.read() == b""
        # On this machine: the queries are traced, and `?_trace=1` shows them.
        with urllib.request.urlopen(address + "/api/v1/contrats?_trace=1", timeout=30) as response:
            assert response.headers["Server-Timing"].startswith("db;dur=")
            assert json.loads(response.read())["_trace"]["requetes"] >= 1


def test_tracing_can_be_turned_off(warehouse: Path) -> None:
    with (
        running_server(warehouse, "--port", str(free_port()), "--sans-trace") as (address, _),
        urllib.request.urlopen(address + "/api/v1/contrats?_trace=1", timeout=30) as response,
    ):
        assert response.headers["Server-Timing"] is None
        assert "_trace" not in json.loads(response.read())


def test_only_loopback_addresses_are_local() -> None:
    from leviers.web.server import is_loopback

    assert [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "127.0.0.2")] == [True] * 4
    assert [is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.10", "example.org")] == [False] * 4


def test_json_address_line(warehouse: Path) -> None:
    with (
        running_server(warehouse, "--port", str(free_port()), "--json") as (address, _),
        urllib.request.urlopen(address + "/api/v1", timeout=30) as response,
    ):
        assert response.status == 200


@pytest.mark.slow
def test_with_several_processes_the_address_waits_for_every_worker(warehouse: Path) -> None:
    with running_server(warehouse, "--port", str(free_port()), "--processus", "2") as (address, _):
        for _ in range(4):  # both workers answer (the kernel spreads connections between them)
            with urllib.request.urlopen(address + "/", timeout=30) as response:
                assert response.status == 200


def test_a_busy_port_is_told_before_any_address(warehouse: Path, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cache = tmp_path / "cache"
        result = subprocess.run(
            [sys.executable, "-m", "leviers", "serve", "--db", str(warehouse), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "LEVIERS_CACHE_DIR": str(cache)},
        )
    assert result.returncode == 1
    assert f"le port {port} est déjà utilisé" in result.stderr
    assert "--port" in result.stderr
    assert result.stdout == ""  # no address
    assert "Traceback" not in result.stderr
    assert not (cache / "web").exists()  # told before the serving copy is prepared


def test_the_makefile_demo_takes_a_port() -> None:
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text(encoding="utf-8")
    result = subprocess.run(
        ["make", "-n", "-f", "-", "demo", "PORT=8080"],
        input=makefile.replace("demo: setup", "demo:"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "leviers serve --demo --port 8080" in result.stdout


def test_hosted_mode_without_its_settings_is_one_french_line(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # LEVIERS_HEBERGE=1 is --heberge; the site's address is missing: said before anything is built.
    monkeypatch.setenv("LEVIERS_HEBERGE", "1")
    monkeypatch.delenv("LEVIERS_URL_PUBLIQUE", raising=False)
    result = run("serve", "--db", str(warehouse), "--port", str(free_port()))
    assert result.returncode == 1
    assert "LEVIERS_URL_PUBLIQUE" in result.stderr
    assert "Traceback" not in result.stderr
