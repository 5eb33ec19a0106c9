"""One request, start to finish: semaphore, rate gate, auth, send, retry, map errors, decode.

The transport knows HTTP and Qonto's error conventions, nothing about resources: a resource
hands it a method, a path and a ``decode`` callable and gets the decoded value back, or a
:class:`~qonto_async.errors.QontoError`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import msgspec
from tenacity import AsyncRetrying, RetryCallState, stop_after_attempt, wait_random_exponential
from tenacity.retry import retry_base
from yarl import URL

from ._auth import Auth
from ._ratelimit import RateGate
from .errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    ErrorDetail,
    QontoError,
    RateLimitError,
    status_error_class,
)

__all__ = ["ClientStats", "RetryPolicy", "Transport", "parse_retry_after"]

T = TypeVar("T")
logger = logging.getLogger("qonto_async")

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
EXCERPT_CHARS = 200

QueryParams = Sequence[tuple[str, str]]
FormFactory = Callable[[], aiohttp.FormData]
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class ClientStats:
    """Counters since the client was created, for progress lines and summaries."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    failures: int = 0


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    retry_after_cap: float = 60.0


class _ErrorSource(msgspec.Struct, frozen=True):
    pointer: str | None = None
    parameter: str | None = None


class _ErrorItem(msgspec.Struct, frozen=True):
    code: str | None = None
    detail: str | None = None
    source: _ErrorSource | None = None
    status: str | int | None = None


class _ErrorBody(msgspec.Struct, frozen=True):
    errors: list[_ErrorItem] | None = None
    trace_id: str | None = None


_error_body_decoder = msgspec.json.Decoder(_ErrorBody)


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def _excerpt(body: bytes) -> str:
    return body[: EXCERPT_CHARS * 4].decode("utf-8", "replace")[:EXCERPT_CHARS]


def _public_url(url: URL) -> str:
    """The URL as it may appear in messages and logs: no user info, no query string.

    Signed download links carry their signature in the query; API queries carry only filters,
    which the caller knows anyway.
    """
    return str(url.with_user(None).with_query(None))


@dataclass(slots=True)
class _Call:
    """Everything one request needs, built once and reused by every attempt."""

    method: str
    url: URL
    params: QueryParams | None
    headers: dict[str, str]
    body: Callable[[], Any]
    resource_id: str | None
    authenticated: bool


def _connection_error(
    exc: BaseException, call_method: str, url: URL, resource_id: str | None
) -> APIConnectionError:
    if isinstance(exc, TimeoutError):
        return APITimeoutError(method=call_method, url=_public_url(url), resource_id=resource_id)
    return APIConnectionError(
        f"connection error ({type(exc).__name__})",
        method=call_method,
        url=_public_url(url),
        resource_id=resource_id,
    )


def _brief(exc: BaseException | None) -> str:
    """One short line for a retry warning: what failed, without the body excerpt."""
    if isinstance(exc, APIStatusError):
        parts = [str(exc.status), exc.method, exc.url]
        if exc.resource_id is not None:
            parts.append(f"(id {exc.resource_id!r})")
        if exc.code:
            parts.append(exc.code)
        if exc.trace_id:
            parts.append(f"[trace_id {exc.trace_id}]")
        return " ".join(parts)
    return str(exc)


class _RetryWhen(retry_base):
    """Retry connection errors and retryable statuses, unless the wait asked is too long."""

    def __init__(self, retry_after_cap: float) -> None:
        self._cap = retry_after_cap

    def __call__(self, retry_state: RetryCallState) -> bool:
        outcome = retry_state.outcome
        return self.accepts(outcome.exception() if outcome is not None else None)

    def accepts(self, exc: BaseException | None) -> bool:
        if isinstance(exc, APIConnectionError):
            return True
        if isinstance(exc, APIStatusError) and exc.status in RETRYABLE_STATUSES:
            return exc.retry_after is None or exc.retry_after <= self._cap
        return False


class Transport:
    def __init__(
        self,
        *,
        base_url: str,
        auth: Auth,
        staging_token: str | None,
        timeout: float,
        retry: RetryPolicy,
        max_concurrency: int,
        gate: RateGate,
        session: aiohttp.ClientSession | None,
        user_agent: str,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if retry.max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.retry = retry
        self.gate = gate
        self.stats = ClientStats()
        self.max_concurrency = max_concurrency
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._session = session
        self._owns_session = session is None
        self._closed = False
        headers = {"Accept": "application/json", "User-Agent": user_agent}
        if staging_token:
            headers["X-Qonto-Staging-Token"] = staging_token
        self._api_headers: Mapping[str, str] = headers
        self._plain_headers: Mapping[str, str] = {"User-Agent": user_agent}
        self._backoff = wait_random_exponential(
            multiplier=retry.backoff_base, max=retry.backoff_cap
        )
        self._retry_when = _RetryWhen(retry.retry_after_cap)
        # What tenacity sleeps with between attempts; tests swap in a recorder.
        self.sleep: Sleep = asyncio.sleep

    # -- session lifecycle -------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("this QontoClient is closed")
        session = self._session
        if session is None:
            asyncio.get_running_loop()  # a clear RuntimeError outside a loop
            connector = aiohttp.TCPConnector(limit=self.max_concurrency, ttl_dns_cache=300)
            session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
            self._session = session
        return session

    async def aclose(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session:
            await session.close()

    # -- requests ----------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        decode: Callable[[bytes], T],
        *,
        params: QueryParams | None = None,
        json: Any = None,
        form: FormFactory | None = None,
        idempotency_key: str | None = None,
        resource_id: str | None = None,
    ) -> T:
        """Send ``method path`` (path already quoted), retrying as allowed, and decode."""
        url = URL(self.base_url + path, encoded=True)
        headers = dict(self._api_headers)
        payload: bytes | None = None
        if json is not None:
            payload = msgspec.json.encode(json)
            headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            headers["X-Qonto-Idempotency-Key"] = idempotency_key
        call = _Call(
            method,
            url,
            params,
            headers,
            (lambda: payload) if form is None else form,
            resource_id,
            authenticated=True,
        )
        retryable = method in IDEMPOTENT_METHODS or idempotency_key is not None
        status, body, trace_id = await self._send(call, retryable=retryable)
        try:
            return decode(body)
        except msgspec.DecodeError as exc:
            raise APIResponseValidationError(
                status=status,
                body_excerpt=_excerpt(body),
                where=str(exc),
                method=method,
                url=_public_url(url),
                resource_id=resource_id,
                trace_id=trace_id,
            ) from None

    async def download(self, url: str, *, resource_id: str | None = None) -> bytes:
        """GET an absolute URL (a signed link) with no Qonto credentials, with retries."""
        call = _Call(
            "GET",
            URL(url),
            None,
            dict(self._plain_headers),
            lambda: None,
            resource_id,
            authenticated=False,
        )
        _, body, _ = await self._send(call, retryable=True)
        return body

    async def post_form(self, url: str, form: dict[str, str]) -> tuple[int, bytes, str | None]:
        """POST a form with no Qonto credentials (the OAuth token endpoint), once.

        A refresh token rotates on success, so a second POST after an unknown outcome could
        spend a token Qonto already replaced: one attempt, and the caller sees what happened.
        """
        session = self._get_session()
        target = URL(url)
        try:
            async with session.post(
                target, data=form, headers=self._plain_headers, timeout=self._timeout
            ) as resp:
                return resp.status, await resp.read(), resp.headers.get("X-Tyk-Trace-Id")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise _connection_error(exc, "POST", target, None) from None

    async def _send(self, call: _Call, *, retryable: bool) -> tuple[int, bytes, str | None]:
        try:
            return await self._attempt(call, 1)
        except QontoError as exc:
            return await self._after_failure(call, exc, retryable=retryable)

    async def _after_failure(
        self, call: _Call, first_failure: QontoError, *, retryable: bool
    ) -> tuple[int, bytes, str | None]:
        """Retry a request whose first attempt failed, or give up on it.

        Most requests succeed at once, and building a tenacity AsyncRetrying costs about as
        much CPU as the rest of a request (measured: ``benchmarks/throughput.py --profile``).
        So the first attempt runs bare, and only a failure worth retrying gets the request
        its own AsyncRetrying, whose attempt 1 replays that failure: waits, logging and
        counting all follow the one policy below.
        """
        if not (retryable and self.retry.max_retries and self._retry_when.accepts(first_failure)):
            self.stats.failures += 1
            first_failure._record_attempts(1)
            raise first_failure
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.max_retries + 1),
            wait=self._wait,
            retry=self._retry_when,
            before_sleep=self._before_sleep,
            sleep=self.sleep,
            reraise=True,
        )
        attempt_number = 1
        try:
            async for attempt in retrying:
                attempt_number = attempt.retry_state.attempt_number
                with attempt:
                    if attempt_number == 1:
                        raise first_failure
                    return await self._attempt(call, attempt_number)
        except QontoError as exc:
            self.stats.failures += 1
            exc._record_attempts(attempt_number)
            raise
        raise AssertionError("unreachable: tenacity returns or raises")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, APIStatusError) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._backoff(state))

    def _before_sleep(self, state: RetryCallState) -> None:
        self.stats.retries += 1
        exc = state.outcome.exception() if state.outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        if isinstance(exc, RateLimitError):
            # Every request of this client waits, not only the one that was told.
            self.gate.pause(wait)
        logger.warning(
            "retrying in %.2fs after attempt %d: %s", wait, state.attempt_number, _brief(exc)
        )

    async def _attempt(self, call: _Call, attempt_number: int) -> tuple[int, bytes, str | None]:
        session = self._get_session()
        method, url, headers = call.method, call.url, call.headers
        refreshed = False
        async with self._semaphore:
            while True:
                if not self.gate.try_acquire():
                    await self.gate.acquire()
                if call.authenticated:
                    headers["Authorization"] = (
                        self.auth.static_authorization or await self.auth.authorization()
                    )
                debug = logger.isEnabledFor(logging.DEBUG)
                started = time.perf_counter() if debug else 0.0
                self.stats.requests += 1
                try:
                    async with session.request(
                        method,
                        url,
                        params=call.params,
                        data=call.body(),
                        headers=headers,
                        timeout=self._timeout,
                        # Credentials must not follow a redirect to wherever it points;
                        # Qonto's API does not redirect, signed download links may.
                        allow_redirects=not call.authenticated,
                    ) as resp:
                        status = resp.status
                        payload = await resp.read()
                        resp_headers = resp.headers
                except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                    raise _connection_error(exc, method, url, call.resource_id) from None
                trace_id = resp_headers.get("X-Tyk-Trace-Id")
                if debug:
                    logger.debug(
                        "%s %s -> %d in %.1f ms (attempt %d, trace_id %s)",
                        method,
                        url.path,
                        status,
                        (time.perf_counter() - started) * 1000,
                        attempt_number,
                        trace_id,
                    )
                if status < 300:
                    return status, payload, trace_id
                if status == 401 and call.authenticated and not refreshed:
                    refreshed = True
                    if await self.auth.should_retry_unauthorized(headers["Authorization"]):
                        continue
                raise self._status_error(
                    status, payload, resp_headers, trace_id, method, url, call.resource_id
                )

    def _status_error(
        self,
        status: int,
        body: bytes,
        headers: Mapping[str, str],
        trace_id: str | None,
        method: str,
        url: URL,
        resource_id: str | None,
    ) -> APIStatusError:
        errors: list[ErrorDetail] = []
        parsed: _ErrorBody | None = None
        if body[:1] == b"{":
            try:
                parsed = _error_body_decoder.decode(body)
            except msgspec.DecodeError:
                parsed = None
        if parsed is not None:
            trace_id = trace_id or parsed.trace_id
            for item in parsed.errors or ():
                source = item.source
                errors.append(
                    ErrorDetail(
                        code=item.code,
                        detail=item.detail,
                        pointer=source.pointer if source else None,
                        parameter=source.parameter if source else None,
                        status=None if item.status is None else str(item.status),
                    )
                )
        if status == 429:
            self.stats.rate_limited += 1
        return status_error_class(status)(
            status=status,
            method=method,
            url=_public_url(url),
            errors=errors,
            trace_id=trace_id,
            resource_id=resource_id,
            body_excerpt=None if errors else (_excerpt(body) or None),
            retry_after=parse_retry_after(headers.get("Retry-After")),
        )
