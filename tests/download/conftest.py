"""A local data.gouv.fr look-alike: the API v2 resource endpoint and files with Range support.

It can cut the connection after a given number of body bytes, answer 5xx, ignore Range
requests or change the file (new ETag), to exercise resume and verification. No real network.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from leviers.download.decp import DECP_DATASET_ID, DECP_RESOURCES


@dataclass
class ServedFile:
    content: bytes
    etag: str = '"v1"'
    checksum_type: str = "sha1"
    checksum_value: str | None = None  # None: the right one
    announce_size: bool = True


@dataclass
class FakeDataGouv:
    files: dict[str, ServedFile] = field(default_factory=dict)  # name → file
    resources: dict[str, str] = field(default_factory=dict)  # resource id → file name
    cuts: list[int] = field(default_factory=list)  # body bytes to send before cutting, per request
    statuses: list[int] = field(default_factory=list)  # statuses to answer first on file requests
    ignore_range: bool = False
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def file_requests(self) -> list[dict[str, str]]:
        return [h for p, h in self.requests if p.startswith("/files/")]


def make_handler(state: FakeDataGouv) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            state.requests.append((self.path, dict(self.headers.items())))
            api = re.fullmatch(r"/api/2/datasets/resources/([^/]+)/", self.path)
            if api:
                name = state.resources.get(api.group(1))
                if name is None:
                    self._send(
                        404, b'{"message": "Resource does not exist"}', {"Content-Type": "application/json"}
                    )
                    return
                served = state.files[name]
                checksum = (
                    served.checksum_value or hashlib.new(served.checksum_type, served.content).hexdigest()
                )
                payload = {
                    "resource": {
                        "id": api.group(1),
                        "title": name,
                        "url": f"{state.base_url}/files/{name}",
                        "format": name.rsplit(".", 1)[-1],
                        "filesize": len(served.content) if served.announce_size else None,
                        "checksum": {"type": served.checksum_type, "value": checksum},
                        "last_modified": "2026-11-25T05:15:00+00:00",
                    },
                    "dataset_id": DECP_DATASET_ID,
                }
                self._send(200, json.dumps(payload).encode(), {"Content-Type": "application/json"})
                return
            name = self.path.removeprefix("/files/")
            if not self.path.startswith("/files/") or name not in state.files:
                self._send(404, b"not found", {})
                return
            if state.statuses:
                self._send(state.statuses.pop(0), b"busy", {})
                return
            served = state.files[name]
            start = 0
            rng = self.headers.get("Range")
            if_range = self.headers.get("If-Range")
            if rng and not state.ignore_range and (if_range is None or if_range == served.etag):
                start = int(re.fullmatch(r"bytes=(\d+)-", rng).group(1))  # type: ignore[union-attr]
            total = len(served.content)
            if start >= total and rng:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{total}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = served.content[start:]
            self.send_response(206 if start else 200)
            self.send_header("ETag", served.etag)
            self.send_header("Accept-Ranges", "bytes")
            if start:
                self.send_header("Content-Range", f"bytes {start}-{total - 1}/{total}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if state.cuts:
                self.wfile.write(body[: state.cuts.pop(0)])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that give up mid-response (tests of errors) are expected


CONTENT = random.Random(7).randbytes(3_000_000)


@pytest.fixture
def fake_datagouv() -> Iterator[FakeDataGouv]:
    state = FakeDataGouv(
        files={"decp.parquet": ServedFile(CONTENT), "decp.csv": ServedFile(CONTENT[:500_000], etag='"csv1"')},
        resources={DECP_RESOURCES["parquet"]: "decp.parquet", DECP_RESOURCES["csv"]: "decp.csv"},
    )
    server = QuietServer(("127.0.0.1", 0), make_handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
