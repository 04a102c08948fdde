"""HEAD answered on every GET route, as HTTP asks (RFC 9110 §9.3.2): the same status and headers as
GET, without the body.

FastAPI registers GET routes for GET only, so a HEAD (link checkers, monitoring, `curl -I`) got
405. This middleware, outermost, runs the GET and sends its status and headers with an empty body;
once the headers are out it tells the application the client has gone, so a streamed response (an
export) stops instead of being computed for nothing.
"""

from __future__ import annotations

from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        headers_sent = anyio.Event()
        request_read = False
        body_sent = False

        async def receive_as_get() -> Message:
            nonlocal request_read
            if not request_read:
                request_read = True
                return await receive()
            await headers_sent.wait()
            return {"type": "http.disconnect"}

        async def send_head(message: Message) -> None:
            nonlocal body_sent
            if message["type"] == "http.response.start":
                await send(message)
                headers_sent.set()
            elif message["type"] == "http.response.body":
                if not body_sent:
                    body_sent = True
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
            else:
                await send(message)

        get: dict[str, Any] = {**scope, "method": "GET"}
        await self.app(get, receive_as_get, send_head)
        if headers_sent.is_set() and not body_sent:
            # A stream stopped before its first chunk: the response still has to end.
            await send({"type": "http.response.body", "body": b"", "more_body": False})
