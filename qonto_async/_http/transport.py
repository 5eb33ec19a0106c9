"""One request, start to finish: semaphore, rate gate, auth, send, retry, decode.

The transport knows HTTP, nothing about resources: a resource hands it a method, a path and
a ``decode`` callable and gets the decoded value back, or a
:class:`~qonto_async.errors.QontoError`. What an answer means is :mod:`._answers`'s job;
when to try again is :mod:`._retry`'s; which session and loop, :mod:`._session`'s.

No credential survives in a failure: header values are :class:`~._auth.Redacted`, and errors
are raised outside ``except`` blocks so aiohttp's own exceptions (whose ``RequestInfo`` holds
the request headers) are not chained to them.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar

import aiohttp
import msgspec
from aiohttp.http_exceptions import ContentEncodingError
from yarl import URL

from ..errors import ClientClosedError, QontoError
from .answers import Answer, Target, connection_error, public_url, status_error, undecodable
from .auth import Auth
from .call import Call, QueryParams
from .headers import RequestHeaders
from .ratelimit import Gate
from .raw import ANSWERS
from .retry import IDEMPOTENT_METHODS, Retrier, RetryPolicy
from .session import SessionHolder
from .slots import Slots
from .stats import ClientStats

__all__ = ["QueryParams", "Transport"]

T = TypeVar("T")
logger = logging.getLogger("qonto_async")

FormFactory = Callable[[], aiohttp.FormData]
TRACE_HEADER = "X-Tyk-Trace-Id"


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
        gate: Gate,
        session: aiohttp.ClientSession | None,
        user_agent: str,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.base_url = base_url.rstrip("/")
        self._origin = URL(self.base_url)
        self._prefix = self._origin.raw_path.rstrip("/")
        self.auth = auth
        self.gate = gate
        self.stats = ClientStats()
        self.max_concurrency = max_concurrency
        self.slots = Slots(max_concurrency)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._headers = RequestHeaders(
            user_agent=user_agent,
            staging_token=staging_token,
            authorization=auth.static_authorization,
            owned_session=session is None,
        )
        self._sessions = SessionHolder(
            session,
            timeout=self._timeout,
            max_connections=max_concurrency,
            default_headers=self._headers.session_defaults,
        )
        self.retrier = Retrier(retry, sleep=asyncio.sleep, on_retry=self._on_retry)
        self._derived = False
        gate.on_long_wait = self._on_long_wait

    @property
    def closed(self) -> bool:
        return self._sessions.closed

    async def aclose(self) -> None:
        if not self._derived:
            await self._sessions.aclose()

    def derive(
        self,
        *,
        timeout: float | None,
        max_retries: int | None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Transport:
        """This transport with another timeout or retry budget, or more headers on every
        request, sharing everything else: the session, the concurrency slots, the rate gate,
        the credentials and the stats. Closing it closes nothing; the transport it came from
        owns the session."""
        clone = copy.copy(self)
        clone._derived = True
        if extra_headers:
            clone._headers = self._headers.with_extra(extra_headers)
        if timeout is not None:
            if timeout <= 0:
                raise ValueError("timeout must be positive")
            clone._timeout = aiohttp.ClientTimeout(total=timeout)
        if max_retries is not None:
            policy = dataclasses.replace(self.retrier.policy, max_retries=max_retries)
            clone.retrier = Retrier(policy, sleep=self.retrier.sleep, on_retry=clone._on_retry)
        return clone

    # -- requests ----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        decode: Callable[[bytes], T],
        *,
        params: QueryParams | None = None,
        json: Any = None,
        form: FormFactory | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        resource_id: str | None = None,
        timeout: float | None = None,
    ) -> Coroutine[Any, Any, T]:
        """Send ``method path`` (path already quoted), retrying as allowed, and decode.

        ``json`` is encoded with msgspec; ``headers`` are added to the SDK's own (they cannot
        replace ``Authorization``); ``idempotency_key`` is sent on every attempt and makes a
        write retryable; ``timeout`` (seconds, per attempt) replaces the client's.

        A plain function returning the attempt's coroutine: one coroutine per request on the
        success path, not two. (Every line here runs once per request: ``get_many`` is
        measured against bare aiohttp in ``benchmarks/throughput.py``.)
        """
        # From the origin parsed once, not a string split again for every request.
        url = self._origin.with_path(self._prefix + path, encoded=True)
        body: Callable[[], Any] | None = None
        if form is not None:
            body = form
        elif json is not None:
            payload = msgspec.json.encode(json)
            body = lambda: payload  # noqa: E731 - every attempt sends the same bytes
        sent = self._headers.plain_request
        extra = body is not None or headers or idempotency_key is not None
        if extra or self._headers.authorization is None:
            sent = self._headers.for_request(
                headers, json=json is not None, idempotency_key=idempotency_key
            )
        wait = self._timeout if timeout is None else self._call_timeout(timeout)
        call = Call(method, url, params, sent, body, resource_id, True, wait)
        repeatable = method in IDEMPOTENT_METHODS or idempotency_key is not None
        return self._attempt(call, 1, decode, repeatable)

    async def request_with_answer(
        self,
        method: str,
        path: str,
        decode: Callable[[bytes], T],
        *,
        params: QueryParams | None = None,
        resource_id: str | None = None,
    ) -> tuple[T, Answer]:
        """A read like :meth:`request`, decoded, with the :class:`Answer` it came from (its
        body left out): its status, headers (the server's ``Date``, which sync cursors go by)
        and trace id. The answer is kept the way ``with_raw_response`` keeps it
        (:data:`._raw.ANSWERS`)."""
        outer = ANSWERS.get()
        sink: list[Answer] = []
        token = ANSWERS.set(sink)
        try:
            value = await self.request(method, path, decode, params=params, resource_id=resource_id)
        finally:
            ANSWERS.reset(token)
        if outer is not None:
            outer.extend(sink)
        return value, sink[-1]

    async def download(self, url: str, *, resource_id: str | None = None) -> bytes:
        """GET an absolute URL (a signed link) with no Qonto credentials, with retries."""
        headers = self._headers.credential_free
        call = Call("GET", URL(url), None, headers, None, resource_id, False, self._timeout)
        answer: Answer = await self._attempt(call, 1)
        return answer.body

    async def post_form(self, url: str, form: dict[str, str]) -> tuple[int, bytes, str | None]:
        """POST a form with no Qonto credentials (the OAuth token endpoint), once.

        A refresh token rotates on success, so a second POST after an unknown outcome could
        spend a token Qonto already replaced: one attempt, and the caller sees what happened.
        """
        session = self._sessions.plain()
        target = URL(url)
        failure: QontoError | None = None
        try:
            async with session.post(
                target, data=form, headers=self._headers.credential_free, timeout=self._timeout
            ) as resp:
                return resp.status, await resp.read(), resp.headers.get(TRACE_HEADER)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            failure = connection_error(exc, Target("POST", public_url(target), None))
        raise failure

    @staticmethod
    def _call_timeout(timeout: float) -> aiohttp.ClientTimeout:
        if not timeout > 0:
            raise ValueError(f"timeout must be positive, not {timeout!r}")
        return aiohttp.ClientTimeout(total=timeout)

    async def _recover(self, call: Call, failure: QontoError, repeatable: bool) -> Answer:
        try:
            return await self.retrier.after_failure(
                failure, lambda number: self._attempt(call, number), repeatable=repeatable
            )
        except QontoError:
            self.stats.failures += 1
            raise

    def _on_retry(self, failure: QontoError, wait: float) -> None:
        self.stats.retries += 1
        if getattr(failure, "status", None) == 429:
            # Every request of this client waits, not only the one that was told.
            self.gate.pause(wait)

    def _on_long_wait(self, seconds: float, why: str) -> None:
        self.stats.budget_waits += 1
        self.stats.budget_wait_seconds += seconds
        logger.info("rate limit: waiting %.1fs for %s", seconds, why)

    async def _attempt(
        self,
        call: Call,
        number: int,
        decode: Callable[[bytes], Any] | None = None,
        repeatable: bool = True,
    ) -> Any:
        """One attempt: its :class:`Answer`, or its value through ``decode``.

        Attempt 1 hands its own failure to the retry runner (after giving back its slot), so
        a request that succeeds at once runs in this one coroutine; later attempts raise.
        A decoded success outside ``with_raw_response`` builds no :class:`Answer` and looks
        up no header.
        """
        method, url, headers, body = call.method, call.url, call.headers, call.body
        # Nothing to pass that the session would not do by itself: aiohttp then packs and
        # unpacks one keyword argument twice instead of five.
        lean = (
            headers is None
            and body is None
            and call.params is None
            and call.timeout is self._sessions.default_timeout
        )
        refreshed = False
        token: str | None = None
        failure: QontoError | None = None
        slots = self.slots
        if not slots.try_take():
            await slots.take()
        try:
            while True:
                if not self.gate.try_acquire():
                    await self.gate.acquire()
                authenticated = call.authenticated
                session = self._sessions.get() if authenticated else self._sessions.plain()
                if authenticated and self._headers.authorization is None:
                    assert headers is not None  # built for each request: see request()
                    headers["Authorization"] = token = await self.auth.authorization()
                debug = logger.isEnabledFor(logging.DEBUG)
                started = time.perf_counter() if debug else 0.0
                self.stats.requests += 1
                payload: bytes | None = None
                reason = ""
                try:
                    # Credentials must not follow a redirect to wherever it points; Qonto's
                    # API does not redirect, signed download links may.
                    if lean:
                        sending = session.request(method, url, allow_redirects=not authenticated)
                    else:
                        sending = session.request(
                            method,
                            url,
                            params=call.params,
                            data=None if body is None else body(),
                            headers=headers,
                            timeout=call.timeout,
                            allow_redirects=not authenticated,
                        )
                    async with sending as resp:
                        status = resp.status
                        resp_headers: Mapping[str, str] = resp.headers
                        try:
                            payload = await resp.read()
                        except aiohttp.ClientPayloadError as exc:
                            if not isinstance(exc.__cause__, ContentEncodingError):
                                raise
                            reason = exc.__cause__.message
                except (TimeoutError, aiohttp.ClientError, OSError, RuntimeError) as exc:
                    failure = self._no_answer(exc, call, session)
                if failure is not None:
                    raise failure
                if payload is None:
                    encoding = resp_headers.get("Content-Encoding")
                    raise undecodable(
                        Answer(status, resp_headers, b"", resp_headers.get(TRACE_HEADER), number),
                        call.target(),
                        f"body does not match its Content-Encoding {encoding!r}: {reason}",
                    )
                if debug:
                    logger.debug(
                        "%s %s -> %d in %.1f ms (attempt %d, trace_id %s)",
                        method,
                        url.path,
                        status,
                        (time.perf_counter() - started) * 1000,
                        number,
                        resp_headers.get(TRACE_HEADER),
                    )
                received: bytes = payload
                if status < 300:
                    break
                answer = Answer(
                    status, resp_headers, payload, resp_headers.get(TRACE_HEADER), number
                )
                if status == 401 and token is not None and not refreshed:
                    refreshed = True
                    if await self.auth.should_retry_unauthorized(token):
                        continue
                if status == 429:
                    self.stats.rate_limited += 1
                raise status_error(answer, call.target())
        except QontoError as exc:
            failure = exc
        finally:
            slots.give()
        if failure is not None:
            if number != 1:
                raise failure
            answer = await self._recover(call, failure, repeatable)
            status, resp_headers, received, number = (
                answer.status,
                answer.headers,
                answer.body,
                answer.attempts,
            )
        if decode is None:
            return Answer(status, resp_headers, received, resp_headers.get(TRACE_HEADER), number)
        sink = ANSWERS.get()
        if sink is not None:
            # Without the body: what a context variable holds during a request lives on in
            # asyncio's copies of the context, in timer handles that linger until their
            # deadline, and a page body is 390 KB.
            sink.append(Answer(status, resp_headers, b"", resp_headers.get(TRACE_HEADER), number))
        where = ""
        try:
            return decode(received)
        except msgspec.DecodeError as exc:
            where = str(exc)
        answer = Answer(status, resp_headers, received, resp_headers.get(TRACE_HEADER), number)
        error = undecodable(answer, call.target(), where)
        error._record_attempts(number)
        raise error

    def _no_answer(
        self, exc: BaseException, call: Call, session: aiohttp.ClientSession
    ) -> QontoError:
        if self._sessions.closed or session.closed:
            # aclose() ran while this request was on the wire, or its owner closed an
            # injected session: "Session is closed", "Connector is closed"...
            return ClientClosedError(resource_id=call.resource_id)
        if isinstance(exc, RuntimeError):
            raise exc
        return connection_error(exc, call.target())
