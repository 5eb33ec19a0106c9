"""The exception tree: pickling, copying, bounded messages."""

from __future__ import annotations

import copy
import pickle
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from qonto_async import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    ClientClosedError,
    ErrorDetail,
    EventLoopMismatchError,
    InternalServerError,
    NotFoundError,
    QontoError,
    RateLimitError,
    UnprocessableEntityError,
)

SECRET = "sk_live_never_in_an_exception"
LONG_ID = "x" * 10_000


def samples() -> list[QontoError]:
    detail = ErrorDetail(code="invalid", detail="must be a date", pointer="/issue_date")
    rate_limited = RateLimitError(
        status=429, method="GET", url="https://q.test/v2/clients", retry_after=2.5
    )
    exhausted = InternalServerError(
        status=503,
        method="GET",
        url="https://q.test/v2/client_invoices/abc",
        errors=[ErrorDetail(code="service_unavailable", detail="later")],
        trace_id="trace-1",
        resource_id="abc",
    )
    exhausted._record_attempts(4)
    return [
        NotFoundError(
            status=404,
            method="GET",
            url="https://q.test/v2/clients/c1",
            errors=[ErrorDetail(code="not_found", detail="Object not found", parameter="id")],
            trace_id="trace-404",
            resource_id="c1",
        ),
        UnprocessableEntityError(
            status=422, method="POST", url="https://q.test/v2/clients", errors=[detail]
        ),
        rate_limited,
        exhausted,
        APIStatusError(status=418, method="GET", url="https://q.test/v2/x", body_excerpt="<html>"),
        APIConnectionError("connection error (ServerDisconnectedError)", method="GET", url="u"),
        APITimeoutError(method="GET", url="https://q.test/v2/clients/c1", resource_id="c1"),
        APIResponseValidationError(
            status=200,
            body_excerpt='{"client": 1}',
            where="Expected `object`, got `int` - at `$.client`",
            method="GET",
            url="https://q.test/v2/clients/c1",
            resource_id="c1",
            trace_id="trace-2",
        ),
        ClientClosedError(resource_id="c1"),
        EventLoopMismatchError(),
        QontoError("plain"),
    ]


def state(error: QontoError) -> dict[str, Any]:
    return {"type": type(error), "str": str(error), "args": error.args, **vars(error)}


@pytest.mark.parametrize("error", samples(), ids=lambda e: type(e).__name__)
def test_round_trips_through_pickle_and_copy(error: QontoError) -> None:
    for clone in (
        pickle.loads(pickle.dumps(error)),
        copy.copy(error),
        copy.deepcopy(error),
    ):
        assert state(clone) == state(error)
        assert SECRET not in repr(vars(clone))


def _raise_in_child(index: int) -> None:
    raise samples()[index]


def test_errors_cross_a_process_boundary_intact() -> None:
    originals = samples()
    with ProcessPoolExecutor(max_workers=1) as pool:
        for index, original in enumerate(originals):
            with pytest.raises(QontoError) as caught:
                pool.submit(_raise_in_child, index).result(timeout=30)
            assert state(caught.value) == state(original)


def test_status_error_state_carries_every_field() -> None:
    error = pickle.loads(pickle.dumps(samples()[3]))
    assert isinstance(error, InternalServerError)
    assert (error.status, error.code, error.detail) == (503, "service_unavailable", "later")
    assert (error.trace_id, error.method, error.resource_id) == ("trace-1", "GET", "abc")
    assert error.url == "https://q.test/v2/client_invoices/abc"
    assert error.errors == (ErrorDetail(code="service_unavailable", detail="later"),)
    assert error.attempts == 4
    assert "after 4 attempts" in str(error)


@pytest.mark.parametrize(
    "error",
    [
        NotFoundError(
            status=404, method="GET", url="https://q.test/v2/clients/x", resource_id=LONG_ID
        ),
        APIConnectionError(method="GET", url="https://q.test/v2/" + LONG_ID, resource_id=LONG_ID),
        APIResponseValidationError(
            status=200,
            body_excerpt="",
            where="w",
            url="https://q.test/" + LONG_ID,
            resource_id=LONG_ID,
        ),
        ClientClosedError(resource_id=LONG_ID),
    ],
    ids=lambda e: type(e).__name__,
)
def test_messages_repeat_a_bounded_part_of_an_id_or_url(error: QontoError) -> None:
    assert len(str(error)) < 700
    assert "more]" in str(error)
    assert getattr(error, "resource_id", None) == LONG_ID  # the attribute keeps it whole
