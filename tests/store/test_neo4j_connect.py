"""Connecting to Neo4j with the real driver against loopback listeners this test starts:
every failure in a few seconds, its real cause in one line, no password in it (issue 16)."""
from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
import time

import pytest

from hmlm_sb.errors import StoreError
from hmlm_sb.store.neo4j_store import Neo4jStore, neo4j_timeout
from hmlm_sb.store.urls import parse_neo4j_url, redact_url

from .conftest import ROOT

TIMEOUT_S = 1.0
BOUND_S = 10.0


@pytest.fixture
def silent_port():
    """A listener that accepts and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture
def http_port():
    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Answer)
    server.timeout = 0.2
    stop = threading.Event()

    def serve():
        while not stop.is_set():  # bounded: handle_request returns after server.timeout
            server.handle_request()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.server_address[1]
    stop.set()
    thread.join(5)
    server.server_close()


@pytest.fixture
def raw_http_port():
    """Answers any bytes with an HTTP status line at once (as Neo4j's own HTTP port does)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    conn.recv(64)
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    thread.join(5)
    sock.close()


def free_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def connect_error(url: str, **options) -> tuple[str, float]:
    started = time.perf_counter()
    with pytest.raises(StoreError) as info:
        Neo4jStore(url, timeout_s=TIMEOUT_S, **options)
    elapsed = time.perf_counter() - started
    message = str(info.value)
    assert "\n" not in message
    assert elapsed < BOUND_S, f"{elapsed:.1f} s: {message}"
    return message, elapsed


@pytest.mark.parametrize("scheme", ["bolt", "neo4j"])
def test_a_port_that_accepts_and_never_answers(silent_port, scheme):
    message, _ = connect_error(f"{scheme}://127.0.0.1:{silent_port}")
    assert "accepted the connection but gave no Bolt answer within 1 s" in message, message


@pytest.mark.parametrize("scheme", ["bolt", "neo4j"])
def test_an_http_server_is_not_bolt(raw_http_port, scheme):
    message, _ = connect_error(f"{scheme}://127.0.0.1:{raw_http_port}")
    assert "answers HTTP, not Bolt" in message, message


def test_a_python_http_server_is_refused_in_time(http_port):
    message, _ = connect_error(f"bolt://127.0.0.1:{http_port}")
    assert f"127.0.0.1:{http_port}" in message and ("Bolt" in message or "HTTP" in message), message


def test_nothing_listening_is_connection_refused():
    port = free_port()
    message, _ = connect_error(f"bolt://127.0.0.1:{port}")
    assert f"connection refused, nothing listens on 127.0.0.1:{port}" in message


@pytest.mark.parametrize("url, says", [
    ("bolt://127.0.0.1:99999", "port 99999 is not a number in 1-65535"),
    ("bolt://127.0.0.1:0", "port 0 is not"),
    ("neo4j://127.0.0.1:http", "port http is not"),
    ("neo4j://:7687", "no host"),
])
def test_bad_urls_are_refused_before_connecting(url, says):
    with pytest.raises(StoreError, match=says):
        parse_neo4j_url(url)


def test_a_password_in_the_url_is_never_shown(silent_port):
    url = f"neo4j://user:pass-w0rd@127.0.0.1:{silent_port}"
    message, _ = connect_error(url)
    assert "pass-w0rd" not in message and "user:***@" in message
    address = parse_neo4j_url(url)
    assert (address.username, address.password) == ("user", "pass-w0rd")
    assert "pass-w0rd" not in address.driver_url and "user" not in address.driver_url
    assert redact_url("bolt://u:p%40ss@h:1/db?x=1") == "bolt://u:***@h:1/db?x=1"
    assert redact_url("bolt://h:1") == "bolt://h:1"


def test_the_cli_shows_no_password_and_obeys_the_timeout(silent_port):
    url = f"neo4j://user:s3cret-pass@127.0.0.1:{silent_port}"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "hmlm_sb.cli.main", "--db", url, "--neo4j-timeout", "1", "info"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    elapsed = time.perf_counter() - started
    assert done.returncode == 2 and "s3cret-pass" not in done.stdout + done.stderr
    assert "gave no Bolt answer within 1 s" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert elapsed < BOUND_S + 5  # interpreter start and imports on a loaded machine


def test_timeout_from_environment(monkeypatch):
    monkeypatch.setenv("HMLM_NEO4J_TIMEOUT", "2.5")
    assert neo4j_timeout() == 2.5 and neo4j_timeout(1) == 1.0
    monkeypatch.setenv("HMLM_NEO4J_TIMEOUT", "soon")
    with pytest.raises(StoreError, match="not a number of seconds"):
        neo4j_timeout()
    monkeypatch.delenv("HMLM_NEO4J_TIMEOUT")
    assert neo4j_timeout() == 5.0


@pytest.mark.parametrize("inner, says", [
    (TimeoutError("timed out"), "no answer from db:7687 within 5 s"),
    (OSError(-2, "Name or service not known"), "cannot resolve the host name 'db'"),
])
def test_causes_that_loopback_cannot_show(inner, says):
    """A connect time-out (a host that drops packets) and an unknown host, as the driver raises them."""
    from neo4j.exceptions import ServiceUnavailable

    from hmlm_sb.store.neo4j_store import _unreachable

    outer = ServiceUnavailable("Couldn't connect to db:7687 (resolved to ()):")
    cause = ServiceUnavailable(f"Failed to establish connection to db:7687 (reason {inner})")
    cause.__cause__ = inner
    outer.__cause__ = cause
    message = _unreachable(outer, parse_neo4j_url("bolt://db:7687"), 5.0)
    assert says in message and message.startswith("cannot reach Neo4j at bolt://db:7687")


def test_a_driver_message_holding_the_password_is_scrubbed(monkeypatch):
    import neo4j
    from neo4j.exceptions import ConfigurationError

    class Leaky:
        def verify_connectivity(self):
            raise ConfigurationError("cannot use auth ('neo4j', 'env-s3cret') here")

        def close(self):
            pass

    monkeypatch.setenv("NEO4J_PASSWORD", "env-s3cret")
    monkeypatch.setattr(neo4j.GraphDatabase, "driver", lambda url, auth=None, **options: Leaky())
    with pytest.raises(StoreError) as info:
        Neo4jStore("bolt://db:7687")
    assert "env-s3cret" not in str(info.value) and "***" in str(info.value)
