"""A local data.gouv.fr look-alike: the API v2 resource endpoint, the API v1 catalogue (datasets
by id, the listing filtered by schema with pages, organisations), files with Range support,
redirects and canned pages (the DG Trésor's ESUS page).

It can cut the connection after a given number of body bytes, answer 5xx or 429, ignore Range
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
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from leviers.download.decp import DECP_DATASET_ID, DECP_RESOURCES


@dataclass
class ServedFile:
    content: bytes
    etag: str = '"v1"'
    checksum_type: str = "sha1"
    checksum_value: str | None = None  # None: the right one
    announce_size: bool = True  # in the API's description
    content_length: bool = True  # in the file's answer (False: the body ends when the connection closes)


@dataclass
class FakeDataGouv:
    files: dict[str, ServedFile] = field(default_factory=dict)  # name → file
    resources: dict[str, str] = field(default_factory=dict)  # resource id → file name
    cuts: list[int] = field(default_factory=list)  # body bytes to send before cutting, per request
    statuses: list[int] = field(default_factory=list)  # statuses to answer first on file requests
    ignore_range: bool = False
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    port: int = 0
    # The API v1 catalogue: datasets and organisations by id (JSON as data.gouv.fr answers them).
    datasets: dict[str, dict[str, Any]] = field(default_factory=dict)
    organizations: dict[str, dict[str, Any]] = field(default_factory=dict)
    api_statuses: list[int] = field(default_factory=list)  # statuses to answer first on /api/1/ requests
    file_cuts: dict[str, list[int]] = field(default_factory=dict)  # per file: body bytes before a cut
    redirects: dict[str, str] = field(default_factory=dict)  # path → Location (302)
    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # path → (content type, body)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def file_requests(self) -> list[dict[str, str]]:
        return [h for p, h in self.requests if p.startswith("/files/")]

    def api_requests(self, prefix: str = "/api/1/") -> list[str]:
        return [p for p, _ in self.requests if p.startswith(prefix)]

    def serve(self, name: str, content: bytes, **options: Any) -> str:
        """Serve `content` at /files/<name>; return its address."""
        self.files[name] = ServedFile(content, **options)
        return f"{self.base_url}/files/{name}"

    def resource(
        self,
        rid: str,
        name: str,
        *,
        title: str | None = None,
        fmt: str | None = None,
        schema: str | None = None,
        last_modified: str | None = "2024-03-01T10:00:00+00:00",
        url: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A v1 resource describing the served file `name` (size and checksum as announced)."""
        served = self.files.get(name)
        checksum = None
        if served is not None:
            value = served.checksum_value or hashlib.new(served.checksum_type, served.content).hexdigest()
            checksum = {"type": served.checksum_type, "value": value}
        return {
            "id": rid,
            "title": title or name,
            "url": url or f"{self.base_url}/files/{name}",
            "format": fmt or name.rsplit(".", 1)[-1],
            "type": "main",
            "filesize": len(served.content) if served is not None and served.announce_size else None,
            "checksum": checksum,
            "last_modified": last_modified,
            "created_at": last_modified,
            "schema": {"name": schema, "version": "2.1.1"} if schema else None,
            **extra,
        }


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

        def _json(self, status: int, payload: object) -> None:
            self._send(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})

        def _catalogue(self) -> bool:
            """The API v1 answers; False when the path is not one of them."""
            parts = urlsplit(self.path)
            path, query = parts.path, parse_qs(parts.query)
            if not path.startswith("/api/1/"):
                return False
            if state.api_statuses:
                status = state.api_statuses.pop(0)
                self._send(status, b"busy", {"Retry-After": "0"} if status == 429 else {})
                return True
            found = re.fullmatch(r"/api/1/(datasets|organizations)/([^/]+)/", path)
            if found:
                table = state.datasets if found.group(1) == "datasets" else state.organizations
                item = table.get(found.group(2))
                if item is None:
                    self._json(404, {"message": "Not found"})
                else:
                    self._json(200, item)
                return True
            if path == "/api/1/datasets/":
                schema = query.get("schema", [None])[0]
                page = int(query.get("page", ["1"])[0])
                size = int(query.get("page_size", ["20"])[0])
                items = [
                    d
                    for d in state.datasets.values()
                    if schema is None
                    or any((r.get("schema") or {}).get("name") == schema for r in d.get("resources", []))
                ]
                if query.get("sort", [""])[0] == "-last_update":
                    items.sort(key=lambda d: str(d.get("last_update") or ""), reverse=True)
                chunk = items[(page - 1) * size : page * size]
                more = page * size < len(items)
                self._json(
                    200,
                    {
                        "data": chunk,
                        "page": page,
                        "page_size": size,
                        "total": len(items),
                        "next_page": f"{state.base_url}/api/1/datasets/?page={page + 1}" if more else None,
                    },
                )
                return True
            self._json(404, {"message": "Not found"})
            return True

        def do_GET(self) -> None:
            state.requests.append((self.path, dict(self.headers.items())))
            if self.path in state.redirects:
                self._send(302, b"", {"Location": state.redirects[self.path]})
                return
            if self.path in state.pages:
                kind, body = state.pages[self.path]
                self._send(200, body, {"Content-Type": kind})
                return
            if self._catalogue():
                return
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
            if served.content_length:
                self.send_header("Content-Length", str(len(body)))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            cuts = state.file_cuts.get(name) or state.cuts
            if cuts:
                self.wfile.write(body[: cuts.pop(0)])
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
