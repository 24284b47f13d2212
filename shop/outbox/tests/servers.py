"""Real network peers for the worker tests: an SMTP server that can be up,
down or hanging on one fixed port, and a webhook receiver."""

import asyncio
import email
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float, interval: float = 0.1, message=""):
    """Poll until `predicate()` is truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s: {message}")
        time.sleep(interval)


class _Recorder:
    """aiosmtpd handler: keeps accepted messages; can hold the DATA reply."""

    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.data_attempts = 0
        self.hold_next_data = False
        self.data_held = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_attempts += 1
            hold, self.hold_next_data = self.hold_next_data, False
        if hold:
            # The whole message is here; the client waits for our "250".
            self.data_held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            # Its sender is gone by now: this message was never accepted.
            return "451 4.3.0 not accepted"
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.messages.append(message)
        return "250 OK"


class SMTPServer:
    """One port, three states: up (aiosmtpd), down (refused), hanging
    (connections accepted, never a byte of reply)."""

    def __init__(self):
        self.port = free_port()
        self.handler = _Recorder()
        self._controller: Controller | None = None
        self._hang_socket: socket.socket | None = None
        self._held: list[socket.socket] = []

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self):
        with self.handler.lock:
            return list(self.handler.messages)

    def up(self):
        self._stop()
        self._controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10
        )
        self._controller.start()

    def down(self):
        self._stop()

    def hang(self):
        self._stop()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(16)
        self._hang_socket = sock

        def accept():
            while True:
                try:
                    conn, _ = sock.accept()
                except OSError:
                    return
                self._held.append(conn)

        threading.Thread(target=accept, daemon=True).start()

    def _stop(self):
        if self._controller is not None:
            self.handler.release.set()
            self._controller.stop()
            self._controller = None
            self.handler.release.clear()
        if self._hang_socket is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone
            # would leave the port bound until it returns.
            try:
                self._hang_socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._hang_socket.close()
            self._hang_socket = None
            for conn in self._held:
                conn.close()
            self._held.clear()

    def close(self):
        self.handler.release.set()
        self._stop()


class _WebhookHandler(BaseHTTPRequestHandler):
    received: list
    lock: threading.Lock

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            self.received.append(body)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class WebhookServer:
    def __init__(self):
        self.handler = type(
            "Handler", (_WebhookHandler,), {"received": [], "lock": threading.Lock()}
        )
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def received(self) -> list[bytes]:
        with self.handler.lock:
            return list(self.handler.received)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
