"""The local OpenID Connect provider of the ProConnect tests: panva's oidc-provider (certified),
pinned in tests/hosted/oidc/package-lock.json, run with Node.js on 127.0.0.1.

Its packages are installed once per lock file into a cache folder (`npm ci`, which uses npm's own
cache first: an install made once works offline). Without node or npm the tests are skipped,
unless LEVIERS_REQUIRE_OIDC=1 (set by .ci/run, which installs them): then they fail.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import select
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hosted.smtp import free_port

SOURCE = Path(__file__).resolve().parent / "oidc"
FILES = ("package.json", "package-lock.json", "provider.mjs")


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str


def _tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        if os.environ.get("LEVIERS_REQUIRE_OIDC") == "1":
            pytest.fail("node or npm not found and LEVIERS_REQUIRE_OIDC=1")
        pytest.skip("Node.js and npm not installed (Debian packages nodejs npm): no local OpenID provider")
    return node, npm


def installed() -> Path:
    """The folder holding the provider script and its node_modules, installed from the lock file."""
    _, npm = _tools()
    digest = hashlib.sha256(b"".join((SOURCE / name).read_bytes() for name in FILES)).hexdigest()[:16]
    base = Path(os.environ.get("LEVIERS_TEST_CACHE", tempfile.gettempdir()))
    folder = base / f"leviers-oidc-provider-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    # Test processes running side by side (pytest -n 2) install once.
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "node_modules" / ".installed").exists():
            for name in FILES:
                shutil.copyfile(SOURCE / name, folder / name)
            done = subprocess.run(
                [npm, "ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if done.returncode != 0:
                pytest.fail(f"npm ci of the test OpenID provider failed: {done.stderr[-2000:]}")
            (folder / "node_modules" / ".installed").touch()
    return folder


@contextmanager
def running(redirect_uri: str, post_logout_uri: str) -> Iterator[Provider]:
    node, _ = _tools()
    folder = installed()
    port = free_port()
    client = Provider(f"http://127.0.0.1:{port}", "leviers-test", hashlib.sha256(os.urandom(16)).hexdigest())
    argv = [
        node,
        "provider.mjs",
        str(port),
        client.client_id,
        client.client_secret,
        redirect_uri,
        post_logout_uri,
    ]
    # Its warnings go to a file: a pipe nobody reads could fill up and stop it.
    with (
        tempfile.TemporaryFile(mode="w+") as log,
        subprocess.Popen(argv, cwd=folder, stdout=subprocess.PIPE, stderr=log, text=True) as process,
    ):
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], 30)
            line = process.stdout.readline() if ready else ""
            if not line.startswith("ready "):
                process.kill()
                log.seek(0)
                pytest.fail(f"the test OpenID provider did not start: {line} {log.read()[-2000:]}")
            yield client
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
