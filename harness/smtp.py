"""A real SMTP server in the test process (aiosmtpd), keeping every message it receives."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    """An SMTP server on a free loopback port; ``messages`` are parsed ``EmailMessage`` objects.

    ``refuse(n)`` answers the next n messages with a temporary 451 error, for retry tests.
    """

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._refusals = 0
        self._controller = Controller(self, hostname="127.0.0.1", port=free_port())

    # aiosmtpd's handler hook.
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        with self._lock:
            if self._refusals:
                self._refusals -= 1
                return "451 Try again later"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append(message)
        return "250 Message accepted"

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @property
    def port(self) -> int:
        return self._controller.port

    @property
    def url(self) -> str:
        """An EMAIL_URL for processes the tests start (no TLS on loopback)."""
        return f"smtp://127.0.0.1:{self.port}?tls=False"

    def refuse(self, count: int) -> None:
        with self._lock:
            self._refusals = count

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def wait_for(self, count: int, timeout: float = 10.0, *, to: str | None = None) -> list[EmailMessage]:
        """Wait until at least ``count`` messages arrived (addressed to ``to``, if given); return
        them all (those to ``to``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                arrived = [message for message in self.messages if to is None or message["To"] == to]
            if len(arrived) >= count:
                return arrived
            time.sleep(0.05)
        raise AssertionError(f"expected {count} message(s) within {timeout} s, got {len(arrived)}")
