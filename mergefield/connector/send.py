"""Send built `HttpRequest` objects with httpx: timeouts, a deadline, retries, bounded reads.

Retries are for answers that say "not now": 429 and every 5xx, up to ``RetryPolicy.attempts``
tries in all, waiting an exponential backoff (with jitter, capped) or the server's
``Retry-After`` seconds when it gives them (capped too).  A connection that could not be opened
is retried as well, because nothing was sent; any other failure (a read timeout, a dropped
connection, an answer that cannot be read) is *not*, because the server may already have acted
on the request, and a duplicated SMS is worse than a reported failure.  A success (any status
that is not retried) is never sent again.  Before sending, the request target httpx would put on
the wire is compared with the built one, so a request is sent byte-exact or not at all.

Every request ends in a `SendResult`, never in an exception: whatever the server does (a
redirect to ``javascript:``, an endless body, one byte a second), ``send`` returns by its
``deadline`` with at most ``max_body`` bytes of body, and ``send_all`` returns one result per
request.  Needs the ``http`` extra.
"""

from __future__ import annotations

import contextlib
import random
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from .requests import HttpRequest

__all__ = ["DEADLINE", "MAX_BODY", "RetryPolicy", "SendResult", "send", "send_all"]

MAX_BODY = 1024 * 1024
"""Default cap, in bytes, on the response body ``send`` keeps; reading stops past it."""
DEADLINE = 60.0
"""Default seconds one ``send`` may take in all: every try, every wait and every read."""

# Retry-After is delay-seconds (RFC 9110 10.2.3): ASCII digits only.  str.isdigit also takes
# "²" and other digits float() refuses.
_DELAY_SECONDS = re.compile(r"[0-9]+")


def _default_statuses() -> frozenset[int]:
    return frozenset({429, *range(500, 600)})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry: ``attempts`` tries in all (1 = no retry).

    The wait before try ``n + 1`` is ``backoff * 2 ** (n - 1)`` seconds, at most
    ``max_backoff``, scaled by a random factor in [0.5, 1] when ``jitter``; a ``Retry-After``
    header of ASCII digits replaces it (still at most ``max_backoff``); any other value of the
    header (an HTTP date, garbage) is ignored.
    """

    attempts: int = 4
    backoff: float = 0.5
    max_backoff: float = 30.0
    jitter: bool = True
    statuses: frozenset[int] = field(default_factory=_default_statuses)

    def delay(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait after failed try number ``attempt`` (from 1)."""
        if retry_after is not None and _DELAY_SECONDS.fullmatch(retry_after.strip(" \t")):
            return min(float(retry_after.strip(" \t")), self.max_backoff)
        wait = min(self.backoff * 2.0 ** (attempt - 1), self.max_backoff)
        return wait * (0.5 + random.random() / 2) if self.jitter else wait


@dataclass(frozen=True)
class SendResult:
    """The outcome of one request: last ``status`` (None if no answer), ``attempts``, ``error``.

    ``status`` is set whenever the server's status line arrived, even when reading the rest
    failed (then ``error`` says why): a result with a status reached the server, so sending it
    again may act twice.  ``truncated`` means the body was longer than ``max_body``: ``body``
    holds its first ``max_body`` bytes and the rest was never read; that alone is not an error
    (the status is the server's verdict), so ``ok`` still follows the status.  A body cut short
    by the deadline is truncated *and* an error.
    """

    request: HttpRequest
    status: int | None
    attempts: int
    body: bytes = b""
    error: str | None = None
    truncated: bool = False

    @property
    def ok(self) -> bool:
        """True when the server answered with a 2xx status and nothing went wrong."""
        return self.error is None and self.status is not None and 200 <= self.status < 300


def _connection_stream() -> Any:
    """The network stream of the httpcore connection whose trace called us, or None.

    A reused keep-alive connection reports no ``connect_tcp`` event, and httpcore's trace gives
    no other handle on its socket, so this looks at the ``self`` of the calling frames for the
    connection's ``_network_stream`` (httpcore 1.x).  Should that change, the stream stays
    unknown until the headers are in, and only the per-read timeout bounds a server that
    trickles its headers.
    """
    frame = sys._getframe(1)
    for _ in range(6):
        owner = frame.f_locals.get("self")
        stream = getattr(owner, "_network_stream", None)
        if stream is not None:
            return stream
        if frame.f_back is None:
            return None
        frame = frame.f_back
    return None


class _Attempt:
    """One try on the wire: the status as soon as it arrives, and a watchdog for the deadline.

    The per-phase timeouts bound each wait for a *silent* server; a server that trickles a byte
    at a time resets them forever, so when the deadline passes a timer thread shuts the socket
    down, which wakes the blocked read with an end of file.  httpcore's ``trace`` extension
    reports the status and the socket of a new connection (a reused one: `_connection_stream`).
    """

    def __init__(self, stop_at: float | None) -> None:
        self.status: int | None = None
        self.expired = False
        self._finished = False
        self._stream: Any = None
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        if stop_at is not None:
            self._timer = threading.Timer(max(0.0, stop_at - time.monotonic()), self._expire)
            self._timer.daemon = True
            self._timer.start()

    def trace(self, name: str, info: dict[str, Any]) -> None:
        if name.endswith(".receive_response_headers.complete"):
            self.status = info["return_value"][1]
        elif name in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            self.watch(info.get("return_value"))
        elif name == "http11.send_request_headers.started" and self._stream is None:
            self.watch(_connection_stream())

    def watch(self, stream: Any) -> None:
        if stream is None:
            return
        with self._lock:
            self._stream = stream
            if self.expired:
                self._shutdown()

    def _expire(self) -> None:
        with self._lock:
            if self._finished:  # the connection may be back in the pool, serving someone else
                return
            self.expired = True
            self._shutdown()

    def _shutdown(self) -> None:
        get = getattr(self._stream, "get_extra_info", None)
        sock = get("socket") if get is not None else None
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):  # already closed: nothing left to wake
                sock.shutdown(socket.SHUT_RDWR)

    def done(self) -> None:
        with self._lock:
            self._finished = True
        if self._timer is not None:
            self._timer.cancel()


def _build(
    client: httpx.Client, request: HttpRequest, attempt: _Attempt, stop_at: float | None
) -> httpx.Request:
    outgoing = client.build_request(
        request.method, request.url, headers=list(request.headers), content=request.body
    )
    outgoing.extensions["trace"] = attempt.trace
    if stop_at is not None:
        # No single wait may outlast the deadline, so a silent server cannot either.
        left = max(stop_at - time.monotonic(), 0.001)
        phases = outgoing.extensions.get("timeout", {})
        outgoing.extensions["timeout"] = {
            phase: left if phases.get(phase) is None else min(phases[phase], left)
            for phase in ("connect", "read", "write", "pool")
        }
    return outgoing


def _read(response: httpx.Response, max_body: int, attempt: _Attempt) -> tuple[bytes, bool]:
    """At most ``max_body`` bytes of the (decoded) body, and whether there was more."""
    stream = response.extensions.get("network_stream")
    if stream is not None:
        attempt.watch(stream)
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        if size + len(chunk) > max_body:
            chunks.append(chunk[: max_body - size])
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), False


def _check_limits(deadline: float | None, max_body: int) -> None:
    if deadline is not None and not deadline > 0:
        raise ValueError(f"deadline must be a positive number of seconds or None, not {deadline!r}")
    if max_body < 0:
        raise ValueError(f"max_body must be at least 0, not {max_body!r}")


def _failure(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def send(
    request: HttpRequest,
    *,
    client: httpx.Client | None = None,
    timeout: float = 10.0,
    deadline: float | None = DEADLINE,
    max_body: int = MAX_BODY,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendResult:
    """Send one request with retries; never raises for anything the server or network does.

    ``client`` is reused when given (its own timeout then applies); otherwise a client with
    ``timeout`` seconds for each phase (connect, write, each read) is made for this call.
    ``deadline`` bounds the whole call, every try and wait included (``None``: no bound): when
    it passes the connection is shut and the result says so; a retry whose wait would end past
    it is not made.  Only the first ``max_body`` bytes of a body are read (see `SendResult`).
    Redirects are followed only if the client says so (httpx's default: not, so a 3xx is the
    result).  Raises ``ValueError`` only for a ``deadline`` that is not positive or a negative
    ``max_body``, before sending anything.
    """
    _check_limits(deadline, max_body)
    if client is None:
        with httpx.Client(timeout=timeout) as own:
            return send(
                request,
                client=own,
                deadline=deadline,
                max_body=max_body,
                retry=retry,
                sleep=sleep,
            )
    stop_at = None if deadline is None else time.monotonic() + deadline
    policy = retry or RetryPolicy()
    try:
        outgoing = _build(client, request, _Attempt(None), None)
    except Exception as exc:  # a hand-made request httpx cannot encode: nothing was sent
        return SendResult(request, None, 0, error=f"cannot send to {request.url!r}: {exc}")
    if outgoing.url.raw_path != request.target.encode("ascii", errors="replace"):
        raw = outgoing.url.raw_path.decode("ascii", errors="replace")
        msg = f"httpx would send the target {raw!r}, not the built {request.target!r}"
        return SendResult(request, None, 0, error=msg)
    tries = 0
    while True:
        tries += 1
        attempt = _Attempt(stop_at)
        retry_after: str | None = None
        try:
            outgoing = _build(client, request, attempt, stop_at)
            response = client.send(outgoing, stream=True)
            try:
                retry_after = response.headers.get("Retry-After")
                body, truncated = _read(response, max_body, attempt)
            finally:
                # The watchdog stops first: once closed, a fully read connection goes back to the
                # pool and may serve another request.  Closing a cut body drops the connection.
                attempt.done()
                response.close()
            if attempt.expired:  # the shut socket ended a body that runs to the close
                raise TimeoutError("deadline")
            result = SendResult(request, response.status_code, tries, body, None, truncated)
        except Exception as exc:
            # Anything raised past this point is a failure of this exchange (httpx also raises
            # InvalidURL for a redirect to javascript:); only a connection never opened is
            # safe to try again.
            unsent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
            if attempt.expired or (stop_at is not None and time.monotonic() >= stop_at):
                attempt.expired = True
                error = f"deadline of {deadline} s passed"
                if attempt.status is not None:
                    error += " while reading the answer"
            else:
                error = _failure(exc)
            truncated = attempt.expired and attempt.status is not None
            result = SendResult(request, attempt.status, tries, b"", error, truncated)
            if not unsent or attempt.expired:
                return result
        finally:
            attempt.done()
        if result.error is None and (result.status not in policy.statuses):
            return result
        if tries >= policy.attempts:
            return result
        wait = policy.delay(tries, retry_after)
        if stop_at is not None and time.monotonic() + wait >= stop_at:
            return result
        sleep(wait)


def send_all(
    requests: Iterable[HttpRequest],
    *,
    concurrency: int = 8,
    timeout: float = 10.0,
    deadline: float | None = DEADLINE,
    max_body: int = MAX_BODY,
    retry: RetryPolicy | None = None,
    client: httpx.Client | None = None,
) -> list[SendResult]:
    """Send many requests, at most ``concurrency`` at a time; one result each, in input order.

    ``deadline`` and ``max_body`` apply to each request as in `send`.  No request's failure
    touches another's result: an unexpected exception while sending one becomes that
    request's ``error``.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    _check_limits(deadline, max_body)
    batch: Sequence[HttpRequest] = list(requests)
    if client is None:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        with httpx.Client(timeout=timeout, limits=limits) as own:
            return send_all(
                batch,
                concurrency=concurrency,
                deadline=deadline,
                max_body=max_body,
                retry=retry,
                client=own,
            )
    shared = client

    def one(request: HttpRequest) -> SendResult:
        try:
            return send(request, client=shared, deadline=deadline, max_body=max_body, retry=retry)
        except Exception as exc:  # a bug must cost one result, not the batch
            error = f"failed while sending (it may have reached the server): {_failure(exc)}"
            return SendResult(request, None, 0, error=error)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(one, batch))
