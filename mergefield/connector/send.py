"""Send built `HttpRequest` objects with httpx: timeouts, bounded retries, bounded concurrency.

Retries are for answers that say "not now": 429 and every 5xx, up to ``RetryPolicy.attempts``
tries in all, waiting an exponential backoff (with jitter, capped) or the server's
``Retry-After`` seconds when it gives them (capped too).  A connection that could not be opened
is retried as well, because nothing was sent; any other transport failure (a read timeout, a
dropped connection) is *not*, because the server may already have acted on the request, and a
duplicated SMS is worse than a reported failure.  A success (any status that is not retried) is
never sent again.  Before sending, the request target httpx would put on the wire is compared
with the built one, so a request is sent byte-exact or not at all.  Needs the ``http`` extra.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from .requests import HttpRequest

__all__ = ["RetryPolicy", "SendResult", "send", "send_all"]


def _default_statuses() -> frozenset[int]:
    return frozenset({429, *range(500, 600)})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry: ``attempts`` tries in all (1 = no retry).

    The wait before try ``n + 1`` is ``backoff * 2 ** (n - 1)`` seconds, at most
    ``max_backoff``, scaled by a random factor in [0.5, 1] when ``jitter``; a numeric
    ``Retry-After`` header replaces it (still at most ``max_backoff``).
    """

    attempts: int = 4
    backoff: float = 0.5
    max_backoff: float = 30.0
    jitter: bool = True
    statuses: frozenset[int] = field(default_factory=_default_statuses)

    def delay(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait after failed try number ``attempt`` (from 1)."""
        if retry_after is not None and retry_after.strip().isdigit():
            return min(float(retry_after.strip()), self.max_backoff)
        wait = min(self.backoff * 2.0 ** (attempt - 1), self.max_backoff)
        return wait * (0.5 + random.random() / 2) if self.jitter else wait


@dataclass(frozen=True)
class SendResult:
    """The outcome of one request: last ``status`` (None if no answer), ``attempts``, ``error``."""

    request: HttpRequest
    status: int | None
    attempts: int
    body: bytes = b""
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the server answered with a 2xx status."""
        return self.error is None and self.status is not None and 200 <= self.status < 300


def _build(client: httpx.Client, request: HttpRequest) -> httpx.Request:
    return client.build_request(
        request.method, request.url, headers=list(request.headers), content=request.body
    )


def send(
    request: HttpRequest,
    *,
    client: httpx.Client | None = None,
    timeout: float = 10.0,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendResult:
    """Send one request with retries; never raises for HTTP or network failures.

    ``client`` is reused when given (its own timeout then applies); otherwise a client with
    ``timeout`` seconds for each phase is made for this call.
    """
    if client is None:
        with httpx.Client(timeout=timeout) as own:
            return send(request, client=own, retry=retry, sleep=sleep)
    policy = retry or RetryPolicy()
    try:
        outgoing = _build(client, request)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        return SendResult(request, None, 0, error=f"cannot send to {request.url!r}: {exc}")
    if outgoing.url.raw_path != request.target.encode("ascii", errors="replace"):
        raw = outgoing.url.raw_path.decode("ascii", errors="replace")
        msg = f"httpx would send the target {raw!r}, not the built {request.target!r}"
        return SendResult(request, None, 0, error=msg)
    attempt = 0
    while True:
        attempt += 1
        try:
            response = client.send(outgoing)
            response.read()
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Nothing reached the server, so trying again cannot duplicate anything.
            if attempt >= policy.attempts:
                return SendResult(request, None, attempt, error=f"{type(exc).__name__}: {exc}")
            sleep(policy.delay(attempt, None))
            outgoing = _build(client, request)
            continue
        except httpx.HTTPError as exc:
            return SendResult(request, None, attempt, error=f"{type(exc).__name__}: {exc}")
        if response.status_code in policy.statuses and attempt < policy.attempts:
            sleep(policy.delay(attempt, response.headers.get("Retry-After")))
            outgoing = _build(client, request)
            continue
        return SendResult(request, response.status_code, attempt, response.content)


def send_all(
    requests: Iterable[HttpRequest],
    *,
    concurrency: int = 8,
    timeout: float = 10.0,
    retry: RetryPolicy | None = None,
    client: httpx.Client | None = None,
) -> list[SendResult]:
    """Send many requests, at most ``concurrency`` at a time; results in the input order."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    batch: Sequence[HttpRequest] = list(requests)
    if client is None:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        with httpx.Client(timeout=timeout, limits=limits) as own:
            return send_all(batch, concurrency=concurrency, retry=retry, client=own)
    shared = client
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(lambda r: send(r, client=shared, retry=retry), batch))
