"""A local SMTP server for the tests (aiosmtpd), keeping the messages it receives."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def body_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def last_message(inbox: Inbox, timeout_s: float = 10.0) -> Any:
    """The latest message, waiting for it: the sign-in link is sent after the page's answer (a
    browser can show the page before the message has arrived)."""
    import time

    deadline = time.monotonic() + timeout_s
    while not inbox.messages:
        if time.monotonic() > deadline:
            raise AssertionError("aucun courriel reçu")
        time.sleep(0.05)
    return inbox.messages[-1]
