"""When a failed request is retried, and how long to wait first: client-go's rules.

* A 429 or 5xx response is retried, for every verb, only when it carries an integer
  ``Retry-After`` (the server's way of saying the request was not processed).
* A transport error (connection refused or reset, broken response) is retried only for GET,
  since a write may have reached the server; the client decides which errors are transient.
* At most ``max_retries`` retries, and none that would end past ``max_elapsed`` seconds
  after the call began (the retry budget). The wait is ``max(Retry-After, backoff)``, where backoff
  doubles from ``backoff_base`` up to ``max_delay``; the server's ``Retry-After`` is never
  shortened, but one above ``max_retry_after`` (60 s) is not waited for: the error is raised
  so that no call hangs for an hour. Transport errors count as ``Retry-After: 1``.

The same policy serves the sync and the async client; only ``sleep``/``async_sleep`` differ,
and tests replace them (and ``clock``) so that nothing waits.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

__all__ = ["RetryPolicy", "parse_retry_after"]


async def _anyio_sleep(seconds: float) -> None:
    import anyio  # only async users pay for the import; anyio also serves trio

    await anyio.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """Retry limits and waits; see the module docstring for the rules."""

    max_retries: int = 10
    max_elapsed: float = 120.0
    backoff_base: float = 0.1
    max_delay: float = 10.0
    max_retry_after: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    async_sleep: Callable[[float], Awaitable[None]] = _anyio_sleep
    clock: Callable[[], float] = time.monotonic

    def delay_after_response(
        self, attempt: int, status_code: int, retry_after: str | None
    ) -> float | None:
        """Seconds to wait before retrying a response, or None to not retry.

        ``attempt`` counts the retries already made.
        """
        if attempt >= self.max_retries:
            return None
        if status_code != 429 and not 500 <= status_code <= 599:
            return None
        seconds = parse_retry_after(retry_after)
        if seconds is None or seconds > self.max_retry_after:
            return None  # a longer wait is the caller's call: the error carries Retry-After
        return self._delay(attempt, seconds)

    def allows(self, started: float, delay: float) -> bool:
        """Whether a retry after ``delay`` seconds stays within ``max_elapsed`` of ``started``
        (a ``clock()`` reading taken when the call began)."""
        return self.clock() - started + delay <= self.max_elapsed

    def delay_after_error(self, attempt: int, method: str) -> float | None:
        """Seconds to wait before retrying after a transient transport error, or None."""
        if attempt >= self.max_retries or method.upper() != "GET":
            return None
        return 1.0  # client-go's synthetic Retry-After for transport errors; no growth

    def _delay(self, attempt: int, floor: float) -> float:
        # Our own backoff is capped; the server's Retry-After is always honoured in full.
        return max(floor, min(self.max_delay, self.backoff_base * 2.0**attempt))


def parse_retry_after(value: str | None) -> int | None:
    """Whole seconds from a ``Retry-After`` header; HTTP dates are not honoured (as in
    client-go)."""
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() else None
