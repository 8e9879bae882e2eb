"""Sending built requests to a real HTTP server on 127.0.0.1: byte-exact, retried, never doubled.

The server (``ThreadingHTTPServer`` on port 0, HTTP/1.1 keep-alive) records every request's
method, raw request target, headers and body, and answers 503 or 429 a set number of times for
each distinct request before answering 200.  1,000 leads carry every string of the Big List of
Naughty Strings.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

# Extras this module needs: without them it is skipped, not a collection error.
pytest.importorskip("httpx")
pytest.importorskip("jsonschema")
pytest.importorskip("PIL")

import httpx

from mergefield.connector import load
from mergefield.connector.requests import HttpRequest, action_requests, event_request
from mergefield.connector.send import RetryPolicy, send, send_all

ROOT = Path(__file__).resolve().parents[1]
# The Big List of Naughty Strings (MIT) as the package ships it: no file outside the clone.
BLNS = ROOT / "mergefield" / "data" / "blns.json"
SMS = ROOT / "examples" / "connectors" / "sms.json"


@dataclass
class Seen:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Behaviour:
    """How many times each distinct request is refused, and with what."""

    failures: int = 0
    status: int = 503
    retry_after: str | None = None
    seen: list[Seen] = field(default_factory=list)
    counts: Counter[tuple[str, bytes]] = field(default_factory=Counter)
    successes: Counter[tuple[str, bytes]] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def make_handler(behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def answer(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            key = (self.path, body)
            with behaviour.lock:
                behaviour.seen.append(Seen(self.command, self.path, dict(self.headers), body))
                behaviour.counts[key] += 1
                refuse = behaviour.counts[key] <= behaviour.failures
                if not refuse:
                    behaviour.successes[key] += 1
            status = behaviour.status if refuse else 200
            payload = b'{"ok": true}' if not refuse else b"{}"
            self.send_response(status)
            if refuse and behaviour.retry_after is not None:
                self.send_header("Retry-After", behaviour.retry_after)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = answer
        do_POST = answer

    return Handler


class Server(ThreadingHTTPServer):
    """The standard threading server with a deep accept queue: with the default of 5, a loaded
    machine let connections expire in the queue and reset them under the client's feet."""

    request_queue_size = 128


@pytest.fixture
def server() -> Iterator[tuple[str, Behaviour]]:
    behaviour = Behaviour()
    httpd = Server(("127.0.0.1", 0), make_handler(behaviour))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", behaviour
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def local(connector_text: str, base: str) -> str:
    return connector_text.replace("https://sms.example.com", base)


def adversarial_leads(n: int) -> list[dict[str, object]]:
    strings: list[str] = json.loads(BLNS.read_text("utf-8"))
    leads: list[dict[str, object]] = []
    for i in range(n):
        pick = [strings[(i * k + k) % len(strings)] for k in (1, 3, 7, 11)]
        leads.append(
            {
                "EmailAddress": f"lead-{i}@example.com",  # makes every request distinct
                "Mobile": pick[0],
                "FirstName": pick[1],
                "Company": pick[2],
                "Score": pick[3] if i % 2 else i,
            }
        )
    return leads


def load_local(tmp_path: Path, base: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "sms.json"
    path.write_text(local(SMS.read_text("utf-8"), base), "utf-8")
    return load(path)


def assert_arrived_exactly(built: list[HttpRequest], behaviour: Behaviour) -> None:
    by_key = {(r.target, r.body): r for r in built}
    assert len(by_key) == len(built)
    for seen in behaviour.seen:
        request = by_key[(seen.target, seen.body)]
        assert seen.method == request.method
        assert seen.headers["Content-Type"] == "application/json"
        assert int(seen.headers["Content-Length"]) == len(request.body)


@pytest.mark.slow
def test_1000_adversarial_leads_arrive_byte_exact_with_retries(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    base, behaviour = server
    behaviour.failures = 2
    connector = load_local(tmp_path, base)
    built = action_requests(
        connector,
        "Send Bulk SMS",
        adversarial_leads(1000),
        User={"EmailAddress": "ann@example.com"},
        Account={"ShortCode": "org 42"},
    )
    assert len(built) == 1000
    # No wall-clock budget (it failed on a busy machine): the delays are the policy's, tested in
    # test_retry_after_is_honoured_and_capped; here every request must arrive, retried.
    results = send_all(
        built,
        concurrency=16,
        timeout=5.0,
        retry=RetryPolicy(attempts=3, backoff=0.001, max_backoff=0.01),
    )
    assert [r.request for r in results] == built
    assert all(r.ok and r.status == 200 and r.attempts == 3 for r in results), [
        r for r in results if not r.ok
    ][:3]
    assert len(behaviour.seen) == 3000
    assert_arrived_exactly(built, behaviour)
    # Each request was refused twice and accepted once; nothing was sent after its success.
    assert set(behaviour.counts.values()) == {3}
    assert set(behaviour.successes.values()) == {1}
    assert len(behaviour.successes) == 1000


def test_retries_stop_at_the_bound_and_report_the_last_status(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    base, behaviour = server
    behaviour.failures = 10
    behaviour.status = 429
    behaviour.retry_after = "0"
    connector = load_local(tmp_path, base)
    request = event_request(connector, "installation", User={"UserId": "u"})
    result = send(request, retry=RetryPolicy(attempts=4, backoff=0.001))
    assert (result.status, result.attempts, result.ok) == (429, 4, False)
    assert len(behaviour.seen) == 4


def test_retry_after_is_honoured_and_capped() -> None:
    policy = RetryPolicy(backoff=0.5, max_backoff=2.0, jitter=False)
    assert policy.delay(1, None) == 0.5
    assert policy.delay(3, None) == 2.0
    assert policy.delay(1, "1") == 1.0
    assert policy.delay(1, "3600") == 2.0
    assert policy.delay(2, "Wed, 21 Oct 2015 07:28:00 GMT") == 1.0


def test_a_success_is_never_retried_and_4xx_is_final(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    base, behaviour = server
    behaviour.failures = 1
    behaviour.status = 404
    connector = load_local(tmp_path, base)
    request = event_request(connector, "enable", User={"UserId": "u"}, Account={"ShortCode": "o"})
    result = send(request, retry=RetryPolicy(attempts=5, backoff=0.001))
    assert (result.status, result.attempts) == (404, 1)
    again = send(request, retry=RetryPolicy(attempts=5, backoff=0.001))
    assert (again.status, again.attempts, again.ok, again.body) == (200, 1, True, b'{"ok": true}')
    assert len(behaviour.seen) == 2
    assert behaviour.seen[0].method == "GET" and behaviour.seen[0].body == b""


def test_connection_refused_is_retried_then_reported() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    request = HttpRequest("POST", f"http://127.0.0.1:{port}/x", (), b"{}", "")
    waits: list[float] = []
    result = send(request, retry=RetryPolicy(attempts=3, backoff=0.01), sleep=waits.append)
    assert result.status is None and result.attempts == 3 and "ConnectError" in (result.error or "")
    assert len(waits) == 2


def test_a_read_timeout_is_not_retried(server) -> None:  # type: ignore[no-untyped-def]
    base, _ = server

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    request = HttpRequest("POST", f"{base}/x", (), b"{}", "")
    result = send(request, client=client, retry=RetryPolicy(attempts=5, backoff=0.001))
    assert (result.attempts, result.status) == (1, None)
    assert "ReadTimeout" in (result.error or "")


def test_a_target_httpx_would_rewrite_is_not_sent(server) -> None:  # type: ignore[no-untyped-def]
    base, behaviour = server
    request = HttpRequest("GET", f"{base}/a/../b", (), b"", "")  # not built by us: not canonical
    result = send(request)
    assert result.attempts == 0 and "would send the target" in (result.error or "")
    assert behaviour.seen == []


# --- Misbehaving servers ----------------------------------------------------------------------
# Each is a raw socket server on 127.0.0.1 that serves at most `connections` connections with
# `talk(conn, index)` and stops by itself; `talk` bounds its own time and bytes, and
# the number of bytes it managed to write is recorded, which is how a test tells that the
# client hung up early (no wall-clock assertions).


@dataclass
class Raw:
    base: str
    written: list[int] = field(default_factory=list)
    requests: list[bytes] = field(default_factory=list)


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest


@contextlib.contextmanager
def raw_server(talk: Callable[[socket.socket, int], int], connections: int = 1) -> Iterator[Raw]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    raw = Raw(f"http://127.0.0.1:{listener.getsockname()[1]}")

    def serve() -> None:
        with listener:
            for index in range(connections):
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                with conn:
                    conn.settimeout(10)
                    try:
                        raw.requests.append(_read_request(conn))
                        raw.written.append(talk(conn, index))
                    except OSError:
                        raw.written.append(-1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield raw
    finally:
        thread.join(timeout=15)
        assert not thread.is_alive(), "the test server did not stop by itself"


def answer(conn: socket.socket, head: str, body: bytes = b"") -> int:
    conn.sendall(head.encode("latin-1") + b"\r\n\r\n" + body)
    return len(body)


def trickle(conn: socket.socket, data: bytes, interval: float) -> int:
    """Write ``data`` one byte per ``interval`` until the client goes away; bytes written."""
    for i in range(len(data)):
        try:
            conn.sendall(data[i : i + 1])
        except OSError:
            return i
        time.sleep(interval)
    return len(data)


@pytest.mark.parametrize(
    "location", ["javascript:alert(1)", "data:text/html,hi", "mailto:a@example.com", "http://[::1"]
)
def test_a_redirect_anywhere_is_a_result_not_an_exception(location: str) -> None:
    def talk(conn: socket.socket, _: int) -> int:
        return answer(conn, f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0")

    with raw_server(talk) as raw:
        result = send(HttpRequest("POST", f"{raw.base}/x", (), b"{}", ""))
    assert (result.status, result.attempts, result.ok) == (302, 1, False)
    assert result.error is not None and len(raw.requests) == 1


def test_retry_after_digits_are_ascii_only(server) -> None:  # type: ignore[no-untyped-def]
    policy = RetryPolicy(backoff=0.25, jitter=False)
    for odd in ("\u00b2", "\u0661", "\U0001d7d7", "1.5", "-1", "+2", " "):  # ², Arabic 1, bold 9
        assert policy.delay(1, odd) == 0.25
    assert policy.delay(1, " 2\t") == 2.0
    base, behaviour = server
    behaviour.failures = 1
    behaviour.retry_after = "²"
    waits: list[float] = []
    request = HttpRequest("POST", f"{base}/x", (), b"{}", "")
    result = send(request, retry=RetryPolicy(backoff=0.001, jitter=False), sleep=waits.append)
    assert (result.status, result.attempts, result.ok, waits) == (200, 2, True, [0.001])


def test_one_bad_answer_costs_one_result_and_nothing_is_sent_twice() -> None:
    def talk(conn: socket.socket, index: int) -> int:
        if index == 6:
            return answer(conn, "HTTP/1.1 302 Found\r\nLocation: javascript:x\r\nContent-Length: 0")
        return answer(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close", b"ok")

    with raw_server(talk, connections=13) as raw:
        built = [HttpRequest("POST", f"{raw.base}/{i}", (), b"{}", "") for i in range(13)]
        results = send_all(built, concurrency=1, retry=RetryPolicy(backoff=0.001))
    assert [r.request for r in results] == built
    assert [r.status for r in results] == [200] * 6 + [302] + [200] * 6
    assert sum(r.ok for r in results) == 12 and results[6].error is not None
    assert len(raw.requests) == 13  # every request sent exactly once


def test_an_endless_body_is_cut_at_max_body() -> None:
    chunk = b"x" * 65536
    frame = b"%x\r\n%s\r\n" % (len(chunk), chunk)

    def talk(conn: socket.socket, _: int) -> int:
        answer(conn, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked")
        for sent in range(2000):  # 128 MiB at most, then the server gives up by itself
            try:
                conn.sendall(frame)
            except OSError:
                return sent
        return 2000

    with raw_server(talk) as raw:
        result = send(HttpRequest("GET", f"{raw.base}/x", (), b"", ""), max_body=100_000)
    assert (result.status, result.ok, result.truncated) == (200, True, True)
    assert result.body == b"x" * 100_000
    assert raw.written[0] < 1000, raw.written  # the client hung up long before 2,000 frames


def test_a_body_within_max_body_is_whole() -> None:
    def talk(conn: socket.socket, _: int) -> int:
        return answer(conn, "HTTP/1.1 200 OK\r\nContent-Length: 5", b"hello")

    with raw_server(talk) as raw:
        result = send(HttpRequest("GET", f"{raw.base}/x", (), b"", ""), max_body=5)
    assert (result.body, result.truncated, result.ok) == (b"hello", False, True)


@pytest.mark.parametrize("where", ["body", "headers"])
def test_the_deadline_ends_a_trickling_server(where: str) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n"

    def talk(conn: socket.socket, _: int) -> int:
        if where == "body":
            conn.sendall(head)
            return trickle(conn, b"y" * 200, 0.05)
        return trickle(conn, head + b"y" * 200, 0.05)

    with raw_server(talk) as raw:
        # Each byte comes well within the 2 s read timeout; only the deadline can stop it.
        request = HttpRequest("GET", f"{raw.base}/x", (), b"", "")
        result = send(request, timeout=2, deadline=0.5)
    assert result.error is not None and "deadline" in result.error and not result.ok
    assert result.status == (200 if where == "body" else None)
    assert result.truncated == (where == "body")
    # 0.5 s at 20 bytes a second is about 10 bytes; the whole trickle would be 200+.
    assert 0 <= raw.written[0] < 100


def test_the_deadline_ends_trickled_headers_on_a_reused_connection() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Pad: " + b"a" * 300 + b"\r\n\r\nok"

    def talk(conn: socket.socket, _: int) -> int:
        answer(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2", b"ok")  # keep-alive
        _read_request(conn)  # the second request arrives on the same connection
        return trickle(conn, head, 0.05)

    with raw_server(talk) as raw:
        built = [HttpRequest("GET", f"{raw.base}/{i}", (), b"", "") for i in range(2)]
        first, second = send_all(built, concurrency=1, timeout=2, deadline=0.5)
    assert first.ok and first.body == b"ok"
    assert (second.status, second.ok) == (None, False) and "deadline" in (second.error or "")
    assert len(raw.requests) == 1 and 0 <= raw.written[0] < len(head) // 2


def test_a_retry_never_waits_past_the_deadline() -> None:
    def talk(conn: socket.socket, _: int) -> int:
        head = "HTTP/1.1 503 Busy\r\nRetry-After: 20\r\nContent-Length: 0\r\nConnection: close"
        return answer(conn, head)

    waits: list[float] = []
    with raw_server(talk) as raw:
        request = HttpRequest("POST", f"{raw.base}/x", (), b"{}", "")
        result = send(request, deadline=5, sleep=waits.append)
    assert (result.status, result.attempts, waits, len(raw.requests)) == (503, 1, [], 1)


def test_limits_are_checked_before_anything_is_sent() -> None:
    request = HttpRequest("POST", "http://127.0.0.1:9/x", (), b"{}", "")
    with pytest.raises(ValueError, match="deadline"):
        send(request, deadline=0)
    with pytest.raises(ValueError, match="max_body"):
        send_all([request], max_body=-1)
