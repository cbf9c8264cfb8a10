"""The dispatcher: a background task that sends due outbox deliveries, with retries.

Each attempt is signed afresh (a new `webhook-timestamp`, the same `webhook-id`),
sent through the outbound-safe client, and recorded. A 2xx is a success; a timeout,
a closed connection, any other status (redirects included: they are not followed)
is a failure retried with exponential backoff and jitter until the delivery's
attempt limit. A refused destination (SSRF rules) or an invalid URL is given up at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from collections.abc import Awaitable, Callable

import httpx

from aiagentics.engine.outbound import (
    OutboundRefused,
    ResponseTooLarge,
    SafeClient,
    fetch_capped,
    safe_client,
)
from aiagentics.engine.webhooks.signing import InvalidSecret, signature_headers
from aiagentics.storage.outbox import Delivery, Outbox

__all__ = ["Dispatcher", "Endpoint", "retry_delay"]

log = logging.getLogger("aiagentics.webhooks")

MAX_DELAY_SECONDS = 3600.0
EXCERPT_CHARS = 512
RESPONSE_CAP = 64 * 1024
USER_AGENT = "aiagentics-webhooks/1"


def retry_delay(
    attempt: int,
    base: float,
    cap: float = MAX_DELAY_SECONDS,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds before the retry after failed attempt number `attempt` (1-based).

    Exponential (base * 2**(attempt-1), capped) with "equal jitter": half fixed, half
    random, so retries of many deliveries spread out but never come back too early.
    """
    delay = min(cap, base * float(2 ** max(0, attempt - 1)))
    return delay / 2 + rand() * delay / 2


class Endpoint:
    """What a delivery needs to know about its webhook at send time."""

    __slots__ = ("enabled", "secrets", "url")

    def __init__(self, url: str, secrets: list[str], enabled: bool = True) -> None:
        self.url = url
        self.secrets = secrets
        self.enabled = enabled


# Looks up a delivery's endpoint (None when the webhook was deleted).
EndpointLookup = Callable[[Delivery], Awaitable[Endpoint | None]]


class Dispatcher:
    """Claims due deliveries and sends them, `concurrency` at a time."""

    def __init__(
        self,
        outbox: Outbox,
        lookup: EndpointLookup,
        *,
        allow_private_network: bool,
        timeout: float = 10.0,
        base_delay: float = 1.0,
        concurrency: int = 16,
        poll_seconds: float = 1.0,
        client: SafeClient | None = None,
    ) -> None:
        self.outbox = outbox
        self.lookup = lookup
        self.timeout = timeout
        self.base_delay = base_delay
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        # A lease outlives the slowest attempt, so only a dead process's claims expire.
        self.lease_seconds = timeout * 2 + 30
        self._allow_private = allow_private_network
        self._client = client
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._inflight: dict[str, asyncio.Task[None]] = {}
        # Told each attempt's outcome: delivered, retrying or failed (the gateway's metrics).
        self.on_outcome: Callable[[str], None] | None = None

    def wake(self) -> None:
        """Look for due deliveries now (new messages were enqueued)."""
        self._wake.set()

    async def start(self) -> None:
        """Start the loop; deliveries left pending by a previous process are picked up."""
        if self._task is not None:
            return
        if self._client is None:
            self._client = safe_client(self._allow_private, self.timeout, RESPONSE_CAP)
        self._stopping = False
        self._task = asyncio.create_task(self._loop(), name="webhook-dispatcher")

    async def stop(self, grace_seconds: float = 2.0) -> None:
        """Stop claiming; let in-flight attempts finish briefly, then hand the rest back."""
        if self._task is not None:
            # A flag, not only cancel(): on Python 3.11 a cancel that lands while the wake
            # event fires can be swallowed by the wait, and the loop would run on.
            self._stopping = True
            self._wake.set()
            done, _ = await asyncio.wait({self._task}, timeout=5)
            if not done:
                self._task.cancel()
                await asyncio.wait({self._task}, timeout=1)
            self._task = None
        if self._inflight:
            _, pending = await asyncio.wait(list(self._inflight.values()), timeout=grace_seconds)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=2)
        if self._inflight:
            await self.outbox.release(list(self._inflight))
            self._inflight.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            free = self.concurrency - len(self._inflight)
            batch: list[Delivery] = []
            if free > 0:
                try:
                    batch = await self.outbox.claim_due(free, self.lease_seconds)
                except Exception:  # a locked or closing database: try again on the next tick
                    log.exception("claiming webhook deliveries failed")
            for delivery in batch:
                task = asyncio.create_task(self._attempt(delivery), name=f"webhook-{delivery.id}")
                self._inflight[delivery.id] = task
                task.add_done_callback(functools.partial(self._done, delivery.id))
            if batch and len(batch) == free:
                await asyncio.sleep(0)
                continue
            wait = self.poll_seconds
            try:
                due = await self.outbox.next_due_at()
            except Exception:
                due = None
            if due is not None:
                wait = min(wait, max(0.01, due - time.time()))
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    def _done(self, delivery_id: str, _task: object = None) -> None:
        self._inflight.pop(delivery_id, None)
        self._wake.set()

    async def _attempt(self, delivery: Delivery) -> None:
        try:
            await self.attempt(delivery)
        except asyncio.CancelledError:
            raise
        except Exception:  # never let one delivery kill the loop; it is retried after its lease
            log.exception("webhook delivery %s crashed", delivery.id)

    async def attempt(self, delivery: Delivery) -> Delivery:
        """Send one attempt of a claimed delivery and record its outcome."""
        endpoint = await self.lookup(delivery)
        if endpoint is None:
            await self.outbox.fail(delivery, "the webhook was deleted")
            return delivery
        if not endpoint.enabled:
            await self.outbox.fail(delivery, "the webhook is disabled")
            return delivery
        body = await self.outbox.payload(delivery.message_id) or b"{}"
        started = time.time()
        status: int | None = None
        error: str | None = None
        excerpt: str | None = None
        retry = True
        try:
            headers = signature_headers(endpoint.secrets, delivery.message_id, int(started), body)
            headers.update({"content-type": "application/json", "user-agent": USER_AGENT})
            assert self._client is not None, "the dispatcher is not started"
            status, resp_headers, response = await fetch_capped(
                self._client, "POST", endpoint.url, content=body, headers=headers
            )
            excerpt = response[:EXCERPT_CHARS].decode("utf-8", "replace")
            if not 200 <= status < 300:
                error = (
                    f"redirect to {resp_headers.get('location', '?')} not followed"
                    if 300 <= status < 400
                    else f"HTTP {status}"
                )
        except OutboundRefused as exc:
            error, retry = str(exc), False
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, InvalidSecret) as exc:
            error, retry = f"cannot deliver: {exc}", False
        except ResponseTooLarge as exc:
            error = str(exc)
        except httpx.TimeoutException:
            error = f"timed out after {self.timeout:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        latency_ms = int((time.time() - started) * 1000)
        succeeded = error is None
        number = delivery.attempts + 1
        retry_at = None
        if not succeeded and retry and number < delivery.attempt_limit:
            retry_at = time.time() + retry_delay(number, self.base_delay)
        if self.on_outcome is not None:
            self.on_outcome(
                "delivered" if succeeded else "retrying" if retry_at is not None else "failed"
            )
        return await self.outbox.record_attempt(
            delivery,
            trigger=delivery.next_trigger,
            started_at=started,
            latency_ms=latency_ms,
            status_code=status,
            succeeded=succeeded,
            error=error,
            response_excerpt=excerpt,
            retry_at=retry_at,
        )
