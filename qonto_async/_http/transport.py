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
from yarl import URL

from ..errors import ClientClosedError, QontoError
from .answers import Answer, Target, connection_error, public_url
from .auth import Auth
from .call import TRACE_HEADER, Call, QueryParams, content_encoding_reason
from .headers import RequestHeaders
from .ratelimit import LONG_WAIT, Gate
from .raw import ANSWERS
from .retry import IDEMPOTENT_METHODS, Retrier, RetryPolicy
from .session import SessionHolder
from .slots import Slots
from .stats import ClientStats

__all__ = ["QueryParams", "Transport"]

T = TypeVar("T")
logger = logging.getLogger("qonto_async")

FormFactory = Callable[[], aiohttp.FormData]


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
        gate.on_wait = self._on_gate_wait

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
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (the SDK's per-call option)
    ) -> tuple[T, Answer]:
        """A read like :meth:`request`, decoded, with the :class:`Answer` it came from (its
        body left out): its status, headers (the server's ``Date``, which sync cursors go by)
        and trace id. The answer is kept the way ``with_raw_response`` keeps it
        (:data:`._raw.ANSWERS`)."""
        outer = ANSWERS.get()
        sink: list[Answer] = []
        token = ANSWERS.set(sink)
        try:
            value = await self.request(
                method,
                path,
                decode,
                params=params,
                resource_id=resource_id,
                headers=headers,
                timeout=timeout,
            )
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
            # The token URL may carry user info or a query secret: the message shows neither,
            # and no frame of the failure keeps it.
            failure = connection_error(
                exc, Target("POST", public_url(target, keep_query=False), None)
            )
        del url, target, form
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

    def _on_gate_wait(self, seconds: float, why: str) -> None:
        self.stats.budget_waits += 1
        self.stats.budget_wait_seconds += seconds
        if seconds > LONG_WAIT:
            logger.info("rate limit: waiting %.1fs for %s", seconds, why)

    # -- one attempt ----------------------------------------------------------------------
    #
    # ``_attempt`` is the one coroutine a request that succeeds at once runs in (a second
    # one costs more than every other step of it together); each step it takes is a function
    # of its own below, and those that await (credentials, a 401, a failure) run only when
    # there is something to await.

    async def _attempt(
        self,
        call: Call,
        number: int,
        decode: Callable[[bytes], Any] | None = None,
        repeatable: bool = True,
    ) -> Any:
        """One attempt, holding a slot: through the gate, with credentials, onto the wire and
        back; its :class:`Answer`, or its value through ``decode``.

        A 401 for an OAuth token that has since been replaced is tried once more at once.
        Attempt 1 hands its own failure to the retry runner (after giving back its slot);
        later attempts raise it. Errors are raised outside ``except`` blocks: nothing chained.
        """
        slots = self.slots
        if not slots.try_take():
            await slots.take()
        failure: QontoError | None = None
        refreshed = False
        try:
            while True:
                gate = self.gate
                if not gate.try_acquire():
                    await gate.acquire()
                session = self._session_for(call)
                token = None
                if call.authenticated and self._headers.authorization is None:
                    token = await self._authorize(call)
                debug = logger.isEnabledFor(logging.DEBUG)
                started = time.perf_counter() if debug else 0.0
                self.stats.requests += 1
                reason: str | None = None
                try:
                    async with call.send(session, self._sessions.default_timeout) as resp:
                        status, headers = resp.status, resp.headers
                        try:
                            body = await resp.read()
                        except aiohttp.ClientPayloadError as exc:
                            reason = content_encoding_reason(exc)
                except (TimeoutError, aiohttp.ClientError, OSError, RuntimeError) as exc:
                    failure = self._no_answer(exc, call, session)
                if failure is not None:
                    raise failure
                if reason is not None:
                    raise call.misencoded(status, headers, reason, number)
                if debug:
                    call.log_exchange(status, headers, started, number)
                if status < 300:
                    break
                if status == 401 and not refreshed and token is not None:
                    refreshed = True
                    if await self.auth.should_retry_unauthorized(token):
                        continue
                if status == 429:
                    self.stats.rate_limited += 1
                raise call.refused(status, headers, body, number)
        except QontoError as exc:
            failure = exc
        finally:
            slots.give()
        if failure is not None:
            status, headers, body, number = await self._after_failure(
                call, failure, number, repeatable
            )
        return call.result(decode, status, headers, body, number)

    def _session_for(self, call: Call) -> aiohttp.ClientSession:
        """The client's own session, or for a credential-free call (a signed link) the one
        that adds no header of the client's."""
        return self._sessions.get() if call.authenticated else self._sessions.plain()

    async def _authorize(self, call: Call) -> str:
        """Put a fresh OAuth token on the call's headers (built for each request when the
        session carries none: see :meth:`request`); the header sent, for a 401 to name."""
        headers = call.headers
        assert headers is not None
        headers["Authorization"] = token = await self.auth.authorization()
        return token

    async def _after_failure(
        self, call: Call, failure: QontoError, number: int, repeatable: bool
    ) -> tuple[int, Mapping[str, str], bytes, int]:
        """What attempt ``number`` failed with becomes: a later attempt's failure is raised to
        the retry runner; the first attempt's goes to it, and comes back as the answer that
        succeeded (status, headers, body, attempts) or is raised as the last failure."""
        if number != 1:
            raise failure
        answer = await self._recover(call, failure, repeatable)
        return answer.status, answer.headers, answer.body, answer.attempts

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
